"""Group types (+ specs), groups (create, update members, delete with volumes, reset,
create from a group or a group snapshot) and group snapshots, at their microversions."""
from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa

from tests.functional.volume.conftest import VolApi, cinder_fault
from tests.functional.volume.snapshot_support import (set_snapshot, usage, volume_columns,
                                                      volume_row)
from tests.support.api import assert_status
from tests.support.identity import Member, unique

V = "3.20"
GROUP_DETAIL = {"id", "name", "description", "status", "availability_zone", "created_at",
                "group_type", "volume_types", "group_snapshot_id", "source_group_id"}


def _pid(member: Member) -> str:
    return member.project["id"]


def _default_type(vol: VolApi) -> str:
    from onestack.volume.models.types import VolumeType

    return vol.db.read(lambda s: s.scalar(sa.select(VolumeType.id).where(
        VolumeType.name == "__DEFAULT__")))


def _group_type(vol: VolApi, **attrs: Any) -> dict[str, Any]:
    attrs.setdefault("name", unique("gt"))
    return assert_status(vol.post("/group_types", version=V, json={"group_type": attrs}),
                         202)["group_type"]


def _group(vol: VolApi, member: Member, **attrs: Any) -> dict[str, Any]:
    attrs.setdefault("group_type", _group_type(vol)["id"])
    attrs.setdefault("volume_types", [_default_type(vol)])
    attrs.setdefault("name", unique("grp"))
    return assert_status(vol.post("/groups", member.token, version=V, json={"group": attrs}),
                         202)["group"]


def _show(vol: VolApi, token: str, gid: str) -> dict[str, Any]:
    return assert_status(vol.get(f"/groups/{gid}", token, version=V), 200)["group"]


def test_group_types_and_specs(vol: VolApi, member: Member) -> None:
    made = _group_type(vol, name="a_" + unique("gt"), description="d",
                       group_specs={"consistent_group_snapshot_enabled": "<is> False"},
                       is_public=True)
    assert set(made) == {"id", "name", "description", "is_public", "group_specs"}
    private = _group_type(vol, name="b_" + unique("gt"), is_public=False)
    tid = made["id"]
    names = [t["name"] for t in assert_status(vol.get(
        "/group_types?sort=name:asc&is_public=None", version=V), 200)["group_types"]]
    assert names.index(made["name"]) < names.index(private["name"])
    names = [t["name"] for t in assert_status(vol.get(
        "/group_types?sort=name:desc&is_public=None", version=V), 200)["group_types"]]
    assert names.index(private["name"]) < names.index(made["name"])
    only_private = [t["name"] for t in assert_status(vol.get(
        "/group_types?is_public=False", version=V), 200)["group_types"]]
    assert private["name"] in only_private and made["name"] not in only_private
    # a member sees public types only, and manages none
    seen = [t["id"] for t in assert_status(vol.get("/group_types?is_public=None",
                                                   member.token, version=V),
                                           200)["group_types"]]
    assert tid in seen and private["id"] not in seen
    cinder_fault(vol.get(f"/group_types/{private['id']}", member.token, version=V), 404)
    cinder_fault(vol.post("/group_types", member.token, version=V,
                          json={"group_type": {"name": unique("x")}}), 403)
    cinder_fault(vol.post("/group_types", version=V, json={"group_type": {
        "name": made["name"]}}), 409)
    cinder_fault(vol.get("/group_types", version="3.10"), 404)

    updated = assert_status(vol.put(f"/group_types/{tid}", version=V, json={"group_type": {
        "name": made["name"] + "-u", "description": "new"}}), 200)["group_type"]
    assert (updated["name"], updated["description"]) == (made["name"] + "-u", "new")
    shown = assert_status(vol.get(f"/group_types/{tid}", version=V), 200)["group_type"]
    assert shown["group_specs"] == {"consistent_group_snapshot_enabled": "<is> False"}

    base = f"/group_types/{tid}/group_specs"
    assert assert_status(vol.post(base, version=V, json={"group_specs": {
        "k1": "v1", "k2": "v2"}}), 202) == {"group_specs": {"k1": "v1", "k2": "v2"}}
    assert assert_status(vol.get(f"{base}/k2", version=V), 200) == {"k2": "v2"}
    assert assert_status(vol.put(f"{base}/k2", version=V, json={"k2": "x"}), 200) == \
        {"k2": "x"}
    cinder_fault(vol.put(f"{base}/k2", version=V, json={"k3": "x"}), 400)
    listed = assert_status(vol.get(base, version=V), 200)["group_specs"]
    assert listed == {"consistent_group_snapshot_enabled": "<is> False", "k1": "v1",
                      "k2": "x"}
    assert_status(vol.delete(f"{base}/k1", version=V), 202)
    cinder_fault(vol.get(f"{base}/k1", version=V), 404)

    assert_status(vol.delete(f"/group_types/{tid}", version=V), 202)
    cinder_fault(vol.get(f"/group_types/{tid}", version=V), 404)


def test_group_create_show_list_and_quota(vol: VolApi, member: Member, cloud) -> None:
    group = _group(vol, member)
    assert set(group) == {"id", "name"}
    shown = _show(vol, member.token, group["id"])
    assert set(shown) == GROUP_DETAIL
    assert shown["status"] == "available"
    assert shown["volume_types"] == [_default_type(vol)]
    # 3.58's project_id is for admins (group:group_project_attribute)
    late = assert_status(vol.get(f"/groups/{group['id']}", member.token, version="3.58"),
                         200)["group"]
    assert "project_id" not in late
    late = assert_status(vol.get(f"/groups/{group['id']}", version="3.58"), 200)["group"]
    assert late["project_id"] == _pid(member)
    at_13 = assert_status(vol.get(f"/groups/{group['id']}", member.token, version="3.13"),
                          200)["group"]
    assert set(at_13) == GROUP_DETAIL - {"group_snapshot_id", "source_group_id"}
    assert usage(vol, _pid(member))["groups"] == 1
    detail = assert_status(vol.get("/groups/detail", member.token, version=V),
                           200)["groups"]
    assert [g["id"] for g in detail] == [group["id"]]
    summary = assert_status(vol.get("/groups", member.token, version=V), 200)["groups"]
    assert summary == [group]
    other = cloud.make_project_member()
    cinder_fault(vol.get(f"/groups/{group['id']}", other.token, version=V), 404)
    assert assert_status(vol.get("/groups", other.token, version=V), 200)["groups"] == []
    cinder_fault(vol.get("/groups", member.token, version="3.12"), 404)
    # bad input
    cinder_fault(vol.post("/groups", member.token, version=V, json={"group": {
        "group_type": str(uuid.uuid4()), "volume_types": [_default_type(vol)]}}), 404)
    cinder_fault(vol.post("/groups", member.token, version=V, json={"group": {
        "group_type": _group_type(vol)["id"], "volume_types": [str(uuid.uuid4())]}}), 404)
    cinder_fault(vol.post("/groups", member.token, version=V, json={"group": {
        "group_type": _group_type(vol)["id"], "volume_types": []}}), 400)


def test_update_members_and_delete_with_volumes(vol: VolApi, member: Member) -> None:
    gid = _group(vol, member)["id"]
    vids = [volume_row(vol, _pid(member), group_id=gid) for _ in range(2)]
    loose = volume_row(vol, _pid(member))
    assert_status(vol.put(f"/groups/{gid}", member.token, version=V, json={"group": {
        "name": "new", "description": "d", "remove_volumes": vids[1]}}), 202)
    shown = assert_status(vol.get(f"/groups/{gid}?list_volume=true", member.token,
                                  version="3.25"), 200)["group"]
    assert (shown["name"], shown["description"], shown["volumes"]) == ("new", "d",
                                                                       [vids[0]])
    assert_status(vol.put(f"/groups/{gid}", member.token, version=V, json={"group": {
        "add_volumes": f"{vids[1]},{loose}"}}), 202)
    shown = assert_status(vol.get(f"/groups/{gid}?list_volume=true", member.token,
                                  version="3.25"), 200)["group"]
    assert sorted(shown["volumes"]) == sorted([*vids, loose])
    cinder_fault(vol.put(f"/groups/{gid}", member.token, version=V, json={"group": {
        "remove_volumes": str(uuid.uuid4())}}), 400)
    cinder_fault(vol.put(f"/groups/{gid}", member.token, version=V, json={"group": {}}), 400)
    busy = volume_row(vol, _pid(member), status="creating")
    cinder_fault(vol.put(f"/groups/{gid}", member.token, version=V, json={"group": {
        "add_volumes": busy}}), 400)

    cinder_fault(vol.post(f"/groups/{gid}/action", member.token, version=V, json={
        "delete": {"delete-volumes": False}}), 400, "still contains volumes")
    assert_status(vol.post(f"/groups/{gid}/action", member.token, version=V, json={
        "delete": {"delete-volumes": True}}), 202)
    cinder_fault(vol.get(f"/groups/{gid}", member.token, version=V), 404)
    for vid in [*vids, loose]:
        assert volume_columns(vol, vid)["status"] == "deleting"
    assert usage(vol, _pid(member))["groups"] == 0


def test_reset_status_is_admin_and_sticks(vol: VolApi, member: Member) -> None:
    gid = _group(vol, member)["id"]
    action = f"/groups/{gid}/action"
    cinder_fault(vol.post(action, member.token, version=V, json={"reset_status": {
        "status": "error"}}), 403)
    for status in ("creating", "available", "error"):
        assert_status(vol.post(action, version=V, json={"reset_status": {
            "status": status}}), 202)
        assert _show(vol, member.token, gid)["status"] == status
    cinder_fault(vol.post(action, version=V, json={"reset_status": {"status": "x"}}), 400)
    cinder_fault(vol.post(action, version="3.19", json={"reset_status": {
        "status": "available"}}), 400)


def test_group_snapshot_lifecycle(vol: VolApi, member: Member) -> None:
    gid = _group(vol, member)["id"]
    vids = [volume_row(vol, _pid(member), group_id=gid, size=2) for _ in range(2)]
    made = assert_status(vol.post("/group_snapshots", member.token, version=V, json={
        "group_snapshot": {"group_id": gid, "name": "gs"}}), 202)["group_snapshot"]
    assert set(made) == {"id", "name", "group_type_id"}
    gsid = made["id"]
    members = [s for s in assert_status(vol.get("/snapshots/detail", member.token),
                                        200)["snapshots"] if s["volume_id"] in vids]
    assert len(members) == 2 and all(s["status"] == "creating" for s in members)
    assert usage(vol, _pid(member))["snapshots"] == 2
    shown = assert_status(vol.get(f"/group_snapshots/{gsid}", member.token, version=V),
                          200)["group_snapshot"]
    assert shown["status"] == "creating"
    assert set(shown) == {"id", "name", "description", "status", "created_at", "group_id",
                          "group_type_id"}
    # a member alone cannot be deleted
    set_snapshot(vol, members[0]["id"], status="available")
    cinder_fault(vol.delete(f"/snapshots/{members[0]['id']}", member.token), 400)
    set_snapshot(vol, members[1]["id"], status="available")
    shown = assert_status(vol.get(f"/group_snapshots/{gsid}", member.token, version=V),
                          200)["group_snapshot"]
    assert shown["status"] == "available"
    listed = assert_status(vol.get("/group_snapshots/detail", member.token, version=V),
                           200)["group_snapshots"]
    assert [g["id"] for g in listed] == [gsid]
    # the group cannot go while it has snapshots
    cinder_fault(vol.post(f"/groups/{gid}/action", member.token, version=V, json={
        "delete": {"delete-volumes": True}}), 400, "snapshots")

    # reset (3.19, admin) sticks even though the members are available
    for status in ("creating", "error", "available"):
        assert_status(vol.post(f"/group_snapshots/{gsid}/action", version=V, json={
            "reset_status": {"status": status}}), 202)
        got = assert_status(vol.get(f"/group_snapshots/{gsid}", member.token, version=V),
                            200)["group_snapshot"]
        assert got["status"] == status

    assert_status(vol.delete(f"/group_snapshots/{gsid}", member.token, version=V), 202)
    for snap in members:
        got = assert_status(vol.get(f"/snapshots/{snap['id']}", member.token), 200)
        assert got["snapshot"]["status"] == "deleting"
    assert_status(vol.get(f"/group_snapshots/{gsid}", member.token, version=V), 200)
    _agent_deletes_snapshots(vol, [s["id"] for s in members])
    cinder_fault(vol.get(f"/group_snapshots/{gsid}", member.token, version=V), 404)
    # gone for good: the group can be deleted now
    assert_status(vol.post(f"/groups/{gid}/action", member.token, version=V, json={
        "delete": {"delete-volumes": True}}), 202)


def test_group_delete_settles_a_deleted_group_snapshot(vol: VolApi, member: Member) -> None:
    gid = _group(vol, member)["id"]
    vid = volume_row(vol, _pid(member), group_id=gid)
    gsid = assert_status(vol.post("/group_snapshots", member.token, version=V, json={
        "group_snapshot": {"group_id": gid}}), 202)["group_snapshot"]["id"]
    (snap,) = [s for s in assert_status(vol.get("/snapshots/detail", member.token),
                                        200)["snapshots"] if s["volume_id"] == vid]
    set_snapshot(vol, snap["id"], status="available")
    assert_status(vol.delete(f"/group_snapshots/{gsid}", member.token, version=V), 202)
    cinder_fault(vol.delete(f"/group_snapshots/{gsid}", member.token, version=V), 400)
    _agent_deletes_snapshots(vol, [snap["id"]])
    # nobody looked at the group snapshot since its last member went
    assert_status(vol.post(f"/groups/{gid}/action", member.token, version=V, json={
        "delete": {"delete-volumes": True}}), 202)
    cinder_fault(vol.get(f"/group_snapshots/{gsid}", member.token, version=V), 404)


def _agent_deletes_snapshots(vol: VolApi, ids: list[str]) -> None:
    from onestack.volume.models.snapshots import Snapshot

    vol.db.write(lambda s: s.execute(sa.delete(Snapshot).where(Snapshot.id.in_(ids))))


def test_create_from_group_and_from_group_snapshot(vol: VolApi, member: Member) -> None:
    gid = _group(vol, member)["id"]
    src = volume_row(vol, _pid(member), group_id=gid, size=2)
    made = assert_status(vol.post("/groups/action", member.token, version=V, json={
        "create-from-src": {"source_group_id": gid, "name": "copy"}}), 202)["group"]
    assert made["name"] == "copy"
    shown = assert_status(vol.get(f"/groups/{made['id']}?list_volume=true", member.token,
                                  version="3.25"), 200)["group"]
    assert shown["status"] == "creating" and shown["source_group_id"] == gid
    (copy,) = shown["volumes"]
    volume = assert_status(vol.get(f"/volumes/{copy}", member.token, version=V), 200)
    assert volume["volume"]["source_volid"] == src
    assert volume["volume"]["group_id"] == made["id"]
    vol.settle(copy)
    assert _show(vol, member.token, made["id"])["status"] == "available"

    gsid = assert_status(vol.post("/group_snapshots", member.token, version=V, json={
        "group_snapshot": {"group_id": gid}}), 202)["group_snapshot"]["id"]
    snaps = [s for s in assert_status(vol.get("/snapshots/detail", member.token),
                                      200)["snapshots"] if s["volume_id"] == src]
    set_snapshot(vol, snaps[0]["id"], status="available")
    made = assert_status(vol.post("/groups/action", member.token, version=V, json={
        "create-from-src": {"group_snapshot_id": gsid}}), 202)["group"]
    shown = assert_status(vol.get(f"/groups/{made['id']}?list_volume=true", member.token,
                                  version="3.25"), 200)["group"]
    assert shown["group_snapshot_id"] == gsid
    (copy,) = shown["volumes"]
    volume = assert_status(vol.get(f"/volumes/{copy}", member.token, version=V), 200)
    assert volume["volume"]["snapshot_id"] == snaps[0]["id"]
    vol.settle(copy, "error")
    assert _show(vol, member.token, made["id"])["status"] == "error"
    cinder_fault(vol.post("/groups/action", member.token, version=V, json={
        "create-from-src": {"group_snapshot_id": gsid, "source_group_id": gid}}), 400)
    cinder_fault(vol.post("/groups/action", member.token, version="3.13", json={
        "create-from-src": {"source_group_id": gid}}), 404)


def test_check_member_is_what_a_volume_create_into_a_group_asks(vol: VolApi,
                                                                member: Member, cloud) -> None:
    """``groups.check_member`` (for the volumes area's create with ``group_id``)."""
    from onestack.core.context import RequestContext
    from onestack.core.errors import BadRequest, NotFound
    from onestack.volume.service.groups import check_member

    gid = _group(vol, member)["id"]
    mine = RequestContext("r", user_id=member.user["id"], project_id=_pid(member),
                          roles=["member", "reader"])
    other = RequestContext("r", user_id="u", project_id=cloud.make_project()["id"],
                           roles=["member", "reader"])
    default = _default_type(vol)
    assert vol.db.read(lambda s: check_member(s, mine, gid, default)).id == gid
    for ctx, group_id, type_id, error in (
            (other, gid, default, NotFound), (mine, str(uuid.uuid4()), default, NotFound),
            (mine, gid, str(uuid.uuid4()), BadRequest)):
        try:
            vol.db.read(lambda s: check_member(s, ctx, group_id, type_id))
        except error:
            continue
        raise AssertionError(f"{ctx.project_id} {group_id} {type_id}: no {error.__name__}")
    assert_status(vol.post(f"/groups/{gid}/action", version=V, json={"reset_status": {
        "status": "error"}}), 202)
    try:
        vol.db.read(lambda s: check_member(s, mine, gid, default))
    except BadRequest as exc:
        assert "status must be available" in exc.message
    else:
        raise AssertionError("a group in error took a member")

"""Snapshots through the API: create (states, force, quota), list (filters, sort, paging,
count), show, update, delete, metadata, the admin and status actions, other projects."""
from __future__ import annotations

import uuid

import pytest

from tests.functional.volume.conftest import BACKEND, VolApi, cinder_fault
from tests.functional.volume.snapshot_support import (set_snapshot, snapshot, usage,
                                                      volume_row)
from tests.support.api import assert_status
from tests.support.identity import Member, unique

SUMMARY = {"id", "created_at", "updated_at", "name", "description", "volume_id", "status",
           "size", "metadata"}
EXTENDED = {"os-extended-snapshot-attributes:progress",
            "os-extended-snapshot-attributes:project_id"}


def _pid(member: Member) -> str:
    return member.project["id"]


def test_create_answers_creating_with_the_summary_fields_and_charges_quota(
        vol: VolApi, member: Member) -> None:
    vid = volume_row(vol, _pid(member), size=3)
    body = assert_status(vol.post("/snapshots", member.token, json={"snapshot": {
        "volume_id": vid, "name": "s1", "description": "d", "metadata": {"a": "b"}}}),
        202)["snapshot"]
    assert set(body) == SUMMARY
    assert (body["status"], body["size"], body["volume_id"], body["metadata"]) == \
        ("creating", 3, vid, {"a": "b"})
    held = usage(vol, _pid(member))
    assert held["snapshots"] == 1 and held["gigabytes"] == 3
    assert held["snapshots___DEFAULT__"] == 1


def test_create_wakes_the_agent_of_the_volume_backend(vol: VolApi, member: Member,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from onestack.volume.service import snapshots as service

    woken: list[tuple[str, str]] = []
    monkeypatch.setattr(service, "wake", lambda bus, backend, ident: woken.append(
        (backend, ident)))
    vid = volume_row(vol, _pid(member))
    snap = snapshot(vol, vid, member.token, settle=False)
    assert woken == [(BACKEND, snap["id"])]
    assert_status(vol.delete(f"/snapshots/{snap['id']}", member.token), 400)  # creating
    set_snapshot(vol, snap["id"], status="available")
    assert_status(vol.delete(f"/snapshots/{snap['id']}", member.token), 202)
    assert woken[-1] == (BACKEND, snap["id"])
    shown = assert_status(vol.get(f"/snapshots/{snap['id']}", member.token), 200)
    assert shown["snapshot"]["status"] == "deleting"


def test_in_use_volume_needs_force(vol: VolApi, member: Member) -> None:
    vid = volume_row(vol, _pid(member), status="in-use", attach_status="attached")
    msg = cinder_fault(vol.post("/snapshots", member.token, json={"snapshot": {
        "volume_id": vid, "force": False}}), 400)
    assert "must be available" in msg
    cinder_fault(vol.post("/snapshots", member.token, json={"snapshot": {
        "volume_id": vid, "force": "maybe"}}), 400)
    for force in (True, "true"):
        snapshot(vol, vid, member.token, force=force)
    cinder_fault(vol.post("/snapshots", member.token, json={"snapshot": {
        "volume_id": vid}}), 400)
    # 3.66: an in-use volume needs no force (an explicit false still refuses)
    assert_status(vol.post("/snapshots", member.token, version="3.66", json={"snapshot": {
        "volume_id": vid}}), 202)
    cinder_fault(vol.post("/snapshots", member.token, version="3.66", json={"snapshot": {
        "volume_id": vid, "force": False}}), 400)


@pytest.mark.parametrize("status", ["creating", "error", "deleting", "awaiting-transfer"])
def test_busy_volume_is_refused_even_with_force(vol: VolApi, member: Member,
                                                status: str) -> None:
    vid = volume_row(vol, _pid(member), status=status)
    cinder_fault(vol.post("/snapshots", member.token, json={"snapshot": {
        "volume_id": vid, "force": True}}), 400, "Invalid volume")


def test_unknown_missing_and_other_projects_volume_is_404(vol: VolApi, member: Member,
                                                          cloud) -> None:
    other = cloud.make_project_member()
    theirs = volume_row(vol, _pid(other))
    for volume_id in (str(uuid.uuid4()), None, theirs):
        cinder_fault(vol.post("/snapshots", member.token, json={"snapshot": {
            "volume_id": volume_id}}), 404)
    cinder_fault(vol.post("/snapshots", member.token, json={"snapshot": {}}), 404)
    cinder_fault(vol.post("/snapshots", member.token, json={"nope": {}}), 400)
    cinder_fault(vol.post("/snapshots", member.token, json={"snapshot": {
        "volume_id": theirs, "bogus": 1}}), 400)


def test_quota_exceeded_is_413_and_charges_nothing(vol: VolApi, member: Member) -> None:
    _set_limit(vol, _pid(member), "snapshots", 1)
    vid = volume_row(vol, _pid(member), size=2)
    snapshot(vol, vid, member.token)
    response = vol.post("/snapshots", member.token, json={"snapshot": {"volume_id": vid}})
    assert response.status_code == 413, response.text
    assert usage(vol, _pid(member))["snapshots"] == 1
    assert usage(vol, _pid(member))["gigabytes"] == 2


def _set_limit(vol: VolApi, project_id: str, resource: str, limit: int) -> None:
    from onestack.volume.models.quotas import QuotaLimit

    vol.db.write(lambda s: s.add(QuotaLimit(project_id=project_id, resource=resource,
                                            hard_limit=limit)))


def test_show_has_the_extended_attributes_and_microversion_fields(
        vol: VolApi, member: Member) -> None:
    vid = volume_row(vol, _pid(member))
    snap = snapshot(vol, vid, member.token)
    body = assert_status(vol.get(f"/snapshots/{snap['id']}", member.token), 200)["snapshot"]
    assert set(body) == SUMMARY | EXTENDED
    assert body["os-extended-snapshot-attributes:project_id"] == _pid(member)
    assert body["os-extended-snapshot-attributes:progress"] == "100%"
    late = assert_status(vol.get(f"/snapshots/{snap['id']}", member.token, version="3.65"),
                         200)
    assert late["snapshot"]["user_id"] == member.user["id"]
    assert late["snapshot"]["group_snapshot_id"] is None
    assert late["snapshot"]["consumes_quota"] is True
    mid = assert_status(vol.get(f"/snapshots/{snap['id']}", member.token, version="3.14"),
                        200)["snapshot"]
    assert "group_snapshot_id" in mid and "user_id" not in mid


def test_other_projects_snapshot_is_404_everywhere(vol: VolApi, member: Member,
                                                   cloud) -> None:
    other = cloud.make_project_member()
    snap = snapshot(vol, volume_row(vol, _pid(other)), other.token)
    sid = snap["id"]
    for method, path, body in (
            ("GET", f"/snapshots/{sid}", None),
            ("PUT", f"/snapshots/{sid}", {"snapshot": {"name": "x"}}),
            ("DELETE", f"/snapshots/{sid}", None),
            ("GET", f"/snapshots/{sid}/metadata", None),
            ("POST", f"/snapshots/{sid}/metadata", {"metadata": {"a": "b"}}),
            ("POST", f"/snapshots/{sid}/action", {"os-update_snapshot_status": {
                "status": "error"}})):
        kw = {"json": body} if body is not None else {}
        cinder_fault(vol.request(method, path, member.token, **kw), 404)
    listed = assert_status(vol.get("/snapshots", member.token), 200)["snapshots"]
    assert sid not in [s["id"] for s in listed]
    # the admin sees it by id and with all_tenants
    assert_status(vol.get(f"/snapshots/{sid}"), 200)
    everyone = assert_status(vol.get("/snapshots/detail?all_tenants=1"), 200)["snapshots"]
    assert sid in [s["id"] for s in everyone]
    theirs = assert_status(vol.get(f"/snapshots?project_id={_pid(other)}"), 200)["snapshots"]
    assert [s["id"] for s in theirs] == [sid]
    # a member's project_id filter is refused; marker of another project's snapshot is 404
    cinder_fault(vol.get(f"/snapshots?project_id={_pid(other)}", member.token), 400)
    cinder_fault(vol.get(f"/snapshots?marker={sid}", member.token), 404)


def test_list_filters_sort_paging_and_count(vol: VolApi, member: Member) -> None:
    vid = volume_row(vol, _pid(member))
    made = [snapshot(vol, vid, member.token, name=f"n{i}") for i in range(3)]
    ids = [s["id"] for s in made]
    listed = assert_status(vol.get("/snapshots", member.token), 200)
    assert [s["id"] for s in listed["snapshots"]] == ids[::-1]  # newest first
    assert "snapshots_links" not in listed
    for item in listed["snapshots"]:
        assert set(item) == SUMMARY
    detail = assert_status(vol.get("/snapshots/detail", member.token), 200)["snapshots"]
    assert all(set(item) == SUMMARY | EXTENDED for item in detail)

    by_name = assert_status(vol.get("/snapshots?name=n1", member.token), 200)["snapshots"]
    assert [s["id"] for s in by_name] == [ids[1]]
    assert assert_status(vol.get("/snapshots?status=creating", member.token),
                         200)["snapshots"] == []
    assert assert_status(vol.get("/snapshots?limit=0", member.token), 200)["snapshots"] == []
    page = assert_status(vol.get("/snapshots?limit=1", member.token), 200)
    assert [s["id"] for s in page["snapshots"]] == [ids[2]]
    href = page["snapshots_links"][0]["href"]
    assert page["snapshots_links"][0]["rel"] == "next"
    assert href.startswith("http://onestack.test/volume/v3/snapshots?")
    assert f"marker={ids[2]}" in href and "limit=1" in href
    after = assert_status(vol.get(f"/snapshots?marker={ids[1]}", member.token), 200)
    assert [s["id"] for s in after["snapshots"]] == [ids[0]]
    offset = assert_status(vol.get("/snapshots?offset=2&limit=3", member.token), 200)
    assert len(offset["snapshots"]) == 1

    for key in ("id", "created_at", "display_name"):
        for direction in ("asc", "desc"):
            got = assert_status(vol.get(f"/snapshots?sort_key={key}&sort_dir={direction}",
                                        member.token), 200)["snapshots"]
            field = "name" if key == "display_name" else key
            values = [s[field] for s in got]
            assert values == sorted(values, reverse=direction == "desc")
    got = assert_status(vol.get("/snapshots?sort=name:asc", member.token), 200)["snapshots"]
    assert [s["name"] for s in got] == ["n0", "n1", "n2"]

    counted = assert_status(vol.get("/snapshots?with_count=true", member.token,
                                    version="3.45"), 200)
    assert counted["count"] == 3
    liked = assert_status(vol.get("/snapshots?name~=n", member.token, version="3.34"), 200)
    assert len(liked["snapshots"]) == 3
    assert assert_status(vol.get("/snapshots?name~=%25", member.token, version="3.34"),
                         200)["snapshots"] == []  # % is a character, not a wildcard
    two = assert_status(vol.get("/snapshots?limit=2&sort=name:asc", member.token), 200)
    rest = assert_status(vol.get(two["snapshots_links"][0]["href"].split("/v3")[1],
                                 member.token), 200)
    assert [s["name"] for s in two["snapshots"] + rest["snapshots"]] == ["n0", "n1", "n2"]
    assert "snapshots_links" not in rest


def test_list_bad_parameters(vol: VolApi, member: Member) -> None:
    cinder_fault(vol.get("/snapshots?limit=invalid", member.token), 400)
    cinder_fault(vol.get("/snapshots?limit=-1", member.token), 400)
    cinder_fault(vol.get("/snapshots?sort_key=invalid", member.token), 400)
    cinder_fault(vol.get("/snapshots?sort_dir=up", member.token), 400)
    cinder_fault(vol.get("/snapshots?bogus_filter=1", member.token), 400, "bogus_filter")
    cinder_fault(vol.get(f"/snapshots?marker={uuid.uuid4()}", member.token), 404)


def test_update_and_its_bad_bodies(vol: VolApi, member: Member) -> None:
    snap = snapshot(vol, volume_row(vol, _pid(member)), member.token)
    body = assert_status(vol.put(f"/snapshots/{snap['id']}", member.token, json={
        "snapshot": {"name": "new", "description": "desc"}}), 200)["snapshot"]
    assert set(body) == SUMMARY
    assert (body["name"], body["description"]) == ("new", "desc")
    assert body["updated_at"] is not None
    body = assert_status(vol.put(f"/snapshots/{snap['id']}", member.token, json={
        "snapshot": {"display_name": "old-style"}}), 200)["snapshot"]
    assert body["name"] == "old-style"
    for bad in ({"snapshot": {}}, {"snapshot": {"size": 3}}, {"x": {}},
                {"snapshot": {"name": "x" * 256}}):
        cinder_fault(vol.put(f"/snapshots/{snap['id']}", member.token, json=bad), 400)


def test_reader_reads_but_cannot_write(vol: VolApi, member: Member, cloud) -> None:
    reader = cloud.make_project_member(role="reader", project=member.project)
    snap = snapshot(vol, volume_row(vol, _pid(member)), member.token)
    assert_status(vol.get(f"/snapshots/{snap['id']}", reader.token), 200)
    assert_status(vol.get("/snapshots", reader.token), 200)
    cinder_fault(vol.put(f"/snapshots/{snap['id']}", reader.token,
                         json={"snapshot": {"name": "x"}}), 403)
    cinder_fault(vol.delete(f"/snapshots/{snap['id']}", reader.token), 403)
    cinder_fault(vol.post("/snapshots", reader.token, json={"snapshot": {
        "volume_id": snap["volume_id"]}}), 403)


def test_metadata_crud(vol: VolApi, member: Member) -> None:
    sid = snapshot(vol, volume_row(vol, _pid(member)), member.token,
                   metadata={"k0": "v0"})["id"]
    base = f"/snapshots/{sid}/metadata"
    got = assert_status(vol.post(base, member.token, json={"metadata": {
        "k1": "v1", "k2": "v2"}}), 200)["metadata"]
    assert got == {"k0": "v0", "k1": "v1", "k2": "v2"}
    got = assert_status(vol.put(base, member.token, json={"metadata": {
        "k2": "new", "k3": "v3"}}), 200)["metadata"]
    assert got == {"k2": "new", "k3": "v3"}
    assert assert_status(vol.get(base, member.token), 200)["metadata"] == got
    assert assert_status(vol.get(f"{base}/k3", member.token), 200) == {"meta": {"k3": "v3"}}
    assert assert_status(vol.put(f"{base}/k3", member.token, json={"meta": {"k3": "x"}}),
                         200) == {"meta": {"k3": "x"}}
    cinder_fault(vol.put(f"{base}/k3", member.token, json={"meta": {"other": "x"}}), 400)
    cinder_fault(vol.put(f"{base}/k3", member.token, json={"meta": {"k3": "x", "b": "y"}}),
                 400)
    response = vol.delete(f"{base}/k2", member.token)
    assert response.status_code == 200, response.text
    assert assert_status(vol.get(base, member.token), 200)["metadata"] == {"k3": "x"}
    cinder_fault(vol.get(f"{base}/k2", member.token), 404)
    cinder_fault(vol.delete(f"{base}/k2", member.token), 404)
    cinder_fault(vol.post(base, member.token, json={"metadata": {"": "x"}}), 400)
    cinder_fault(vol.post(base, member.token, json={"metadata": {"k": "x" * 256}}), 400)
    cinder_fault(vol.post(base, member.token, json={"metadata": {"k": 1}}), 400)
    cinder_fault(vol.post(base, member.token, json={"metadata": ["k"]}), 400)
    shown = assert_status(vol.get(f"/snapshots/{sid}", member.token), 200)["snapshot"]
    assert shown["metadata"] == {"k3": "x"}


def test_reset_status_and_force_delete_are_admin_actions(vol: VolApi, member: Member) -> None:
    sid = snapshot(vol, volume_row(vol, _pid(member)), member.token)["id"]
    action = f"/snapshots/{sid}/action"
    cinder_fault(vol.post(action, member.token, json={"os-reset_status": {
        "status": "error"}}), 403)
    cinder_fault(vol.post(action, member.token, json={"os-force_delete": {}}), 403)
    for status in ("creating", "deleting", "error", "error_deleting", "available"):
        assert_status(vol.post(action, json={"os-reset_status": {"status": status}}), 202)
        shown = assert_status(vol.get(f"/snapshots/{sid}"), 200)["snapshot"]
        assert shown["status"] == status
    cinder_fault(vol.post(action, json={"os-reset_status": {"status": "bogus"}}), 400)
    cinder_fault(vol.post(action, json={"os-bogus": {}}), 400)
    assert_status(vol.post(action, json={"os-reset_status": {"status": "creating"}}), 202)
    assert _status_reset(vol, sid) is True  # a label: no work for the agent
    assert_status(vol.post(action, json={"os-force_delete": {}}), 202)
    shown = assert_status(vol.get(f"/snapshots/{sid}"), 200)["snapshot"]
    assert shown["status"] == "deleting"
    assert _status_reset(vol, sid) is False  # the delete is work again


def _status_reset(vol: VolApi, sid: str) -> bool:
    from onestack.volume.models.snapshots import Snapshot

    return vol.db.read(lambda s: s.get(Snapshot, sid).status_reset)


def test_update_snapshot_status_by_the_owner(vol: VolApi, member: Member) -> None:
    sid = snapshot(vol, volume_row(vol, _pid(member)), member.token)["id"]
    action = f"/snapshots/{sid}/action"
    # available → error is not a reported transition
    cinder_fault(vol.post(action, member.token, json={"os-update_snapshot_status": {
        "status": "error"}}), 400)
    assert_status(vol.post(action, json={"os-reset_status": {"status": "creating"}}), 202)
    assert_status(vol.post(action, member.token, json={"os-update_snapshot_status": {
        "status": "error", "progress": "80%"}}), 202)
    shown = assert_status(vol.get(f"/snapshots/{sid}", member.token), 200)["snapshot"]
    assert shown["status"] == "error"
    assert shown["os-extended-snapshot-attributes:progress"] == "80%"
    assert_status(vol.post(action, json={"os-update_progress": "90%"}), 202)
    shown = assert_status(vol.get(f"/snapshots/{sid}", member.token), 200)["snapshot"]
    assert shown["os-extended-snapshot-attributes:progress"] == "90%"


def test_reported_deleted_removes_the_row_and_releases_quota(vol: VolApi,
                                                              member: Member) -> None:
    vid = volume_row(vol, _pid(member), size=2)
    sid = snapshot(vol, vid, member.token)["id"]
    assert usage(vol, _pid(member))["gigabytes"] == 2
    set_snapshot(vol, sid, status="deleting")
    assert_status(vol.post(f"/snapshots/{sid}/action", member.token, json={
        "os-update_snapshot_status": {"status": "deleted"}}), 202)
    cinder_fault(vol.get(f"/snapshots/{sid}", member.token), 404)
    assert usage(vol, _pid(member))["snapshots"] == 0
    assert usage(vol, _pid(member))["gigabytes"] == 0


def test_project_url_form_and_microversion_header(vol: VolApi, member: Member) -> None:
    sid = snapshot(vol, volume_row(vol, _pid(member)), member.token)["id"]
    response = vol.get(f"/{_pid(member)}/snapshots/{sid}", member.token, version="3.50")
    assert response.status_code == 200
    assert response.headers["OpenStack-API-Version"] == "volume 3.50"
    page = assert_status(vol.get(f"/{_pid(member)}/snapshots?limit=1", member.token), 200)
    assert f"/volume/v3/{_pid(member)}/snapshots?" in page["snapshots_links"][0]["href"]
    cinder_fault(vol.get(f"/{unique('p')}/snapshots", member.token), 400)

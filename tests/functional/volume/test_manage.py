"""Manage/unmanage (admin): unmanage drops the row and gives back quota and capacity;
manage writes a ``managing`` row for the backend's agent to adopt the named bytes."""
from __future__ import annotations

import sqlalchemy as sa

from tests.functional.volume.conftest import BACKEND, VolApi, cinder_fault
from tests.functional.volume.snapshot_support import snapshot, usage, volume_row
from tests.support.api import assert_status
from tests.support.identity import Member


def _pid(member: Member) -> str:
    return member.project["id"]


def _charged(vol: VolApi, member: Member, size: int = 2, **columns) -> str:
    from onestack.volume.service import quotas

    vid = volume_row(vol, _pid(member), size=size, **columns)
    vol.db.write(lambda s: quotas.charge(s, _pid(member), {"volumes": 1, "gigabytes": size},
                                         volume_type_name="__DEFAULT__"))
    return vid


def _allocated(vol: VolApi) -> int:
    from onestack.volume.models.backends import Backend

    return vol.db.read(lambda s: s.scalar(sa.select(Backend.allocated_capacity_gb).where(
        Backend.name == BACKEND)))


def test_unmanage_volume_drops_the_row_and_gives_back(vol: VolApi, member: Member) -> None:
    vol.backend(allocated=10)
    vid = _charged(vol, member, size=2)
    action = f"/volumes/{vid}/action"
    cinder_fault(vol.post(action, member.token, json={"os-unmanage": {}}), 403)
    assert_status(vol.post(action, json={"os-unmanage": {}}), 202)
    cinder_fault(vol.get(f"/volumes/{vid}"), 404)
    held = usage(vol, _pid(member))
    assert (held["volumes"], held["gigabytes"]) == (0, 0)
    assert _allocated(vol) == 8


def test_unmanage_volume_refusals(vol: VolApi, member: Member) -> None:
    attached = volume_row(vol, _pid(member), status="in-use", attach_status="attached")
    cinder_fault(vol.post(f"/volumes/{attached}/action", json={"os-unmanage": {}}), 400)
    with_snap = volume_row(vol, _pid(member))
    snapshot(vol, with_snap, member.token)
    cinder_fault(vol.post(f"/volumes/{with_snap}/action", json={"os-unmanage": {}}), 400,
                 "snapshots")


def test_unmanage_snapshot(vol: VolApi, member: Member) -> None:
    sid = snapshot(vol, volume_row(vol, _pid(member), size=3), member.token)["id"]
    action = f"/snapshots/{sid}/action"
    cinder_fault(vol.post(action, member.token, json={"os-unmanage": {}}), 403)
    assert usage(vol, _pid(member))["snapshots"] == 1
    assert_status(vol.post(action, json={"os-unmanage": {}}), 202)
    cinder_fault(vol.get(f"/snapshots/{sid}"), 404)
    everyone = assert_status(vol.get("/snapshots/detail?all_tenants=1"), 200)["snapshots"]
    assert sid not in [s["id"] for s in everyone]
    assert usage(vol, _pid(member))["snapshots"] == 0
    assert usage(vol, _pid(member))["gigabytes"] == 0


def test_manage_volume_writes_a_managing_row(vol: VolApi, member: Member,
                                             monkeypatch) -> None:
    from onestack.volume.service import manage

    woken: list[tuple[str, str]] = []
    monkeypatch.setattr(manage, "wake", lambda bus, backend, ident: woken.append(
        (backend, ident)))
    body = {"volume": {"host": BACKEND.partition("#")[0], "name": "adopted",
                       "ref": {"source-name": "volume-old"}, "metadata": {"k": "v"}}}
    cinder_fault(vol.post("/os-volume-manage", member.token, json=body), 403)
    made = assert_status(vol.post("/os-volume-manage", json=body), 202)["volume"]
    assert (made["status"], made["name"], made["metadata"]) == ("managing", "adopted",
                                                                {"k": "v"})
    assert made["os-vol-host-attr:host"] == BACKEND
    assert woken == [(BACKEND, made["id"])]
    from onestack.volume.models.volumes import Volume

    location = vol.db.read(lambda s: s.get(Volume, made["id"]).provider_location)
    assert location == "volume-old"
    for bad in ({"volume": {"host": "nowhere@x", "ref": {"source-name": "v"}}},
                {"volume": {"host": BACKEND}},
                {"volume": {"host": BACKEND, "ref": {"other": "v"}}},
                {"nope": {}}):
        cinder_fault(vol.post("/os-volume-manage", json=bad), 400)


def test_manage_snapshot_writes_a_managing_row(vol: VolApi, member: Member) -> None:
    vid = volume_row(vol, _pid(member), size=4)
    body = {"snapshot": {"volume_id": vid, "ref": {"source-name": "snapshot-old"},
                         "name": "n", "description": "d", "metadata": {"a": "b"}}}
    cinder_fault(vol.post("/os-snapshot-manage", member.token, json=body), 403)
    made = assert_status(vol.post("/os-snapshot-manage", json=body), 202)["snapshot"]
    assert set(made) == {"id", "created_at", "updated_at", "name", "description",
                         "volume_id", "status", "size", "metadata"}
    assert (made["status"], made["size"], made["metadata"]) == ("managing", 4, {"a": "b"})
    shown = assert_status(vol.get(f"/snapshots/{made['id']}"), 200)["snapshot"]
    assert shown["os-extended-snapshot-attributes:project_id"] == _pid(member)
    assert usage(vol, _pid(member))["snapshots"] == 1
    cinder_fault(vol.post("/os-snapshot-manage", json={"snapshot": {
        "volume_id": vid}}), 400)

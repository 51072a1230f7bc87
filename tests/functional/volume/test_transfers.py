"""Volume transfers: create (awaiting-transfer, the key shown once), list, show, delete
(available again), accept by another project (volume, snapshots and quota move), on both
paths (``os-volume-transfer`` and 3.55's ``volume-transfers``)."""
from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from tests.functional.volume.conftest import VolApi, cinder_fault
from tests.functional.volume.snapshot_support import (snapshot, usage, volume_columns,
                                                      volume_row)
from tests.support.api import assert_status
from tests.support.identity import Member

PATHS = [("/os-volume-transfer", None), ("/volume-transfers", "3.55"),
         ("/volume-transfers", "3.57")]


def _pid(member: Member) -> str:
    return member.project["id"]


def _charged_volume(vol: VolApi, member: Member, size: int = 1) -> str:
    """A volume whose quota usage is recorded, as a create through the API leaves it."""
    from onestack.volume.service import quotas

    vid = volume_row(vol, _pid(member), size=size, user_id=member.user["id"])
    vol.db.write(lambda s: quotas.charge(s, _pid(member), {"volumes": 1, "gigabytes": size},
                                         volume_type_name="__DEFAULT__"))
    return vid


@pytest.mark.parametrize("path,version", PATHS)
def test_create_show_list_accept(vol: VolApi, member: Member, cloud, path: str,
                                 version: str | None) -> None:
    taker = cloud.make_project_member()
    vid = _charged_volume(vol, member, size=2)
    snap = snapshot(vol, vid, member.token)
    created = assert_status(vol.post(path, member.token, version=version, json={
        "transfer": {"volume_id": vid, "name": "t1"}}), 202)["transfer"]
    expected = {"id", "name", "volume_id", "links", "created_at", "auth_key"}
    if version:
        expected |= {"no_snapshots"}
    if version == "3.57":
        expected |= {"destination_project_id", "source_project_id", "accepted"}
        assert created["source_project_id"] == _pid(member)
        assert created["accepted"] is False and created["destination_project_id"] is None
    assert set(created) == expected
    assert len(created["auth_key"]) == 16
    assert volume_columns(vol, vid)["status"] == "awaiting-transfer"
    tid = created["id"]

    shown = assert_status(vol.get(f"{path}/{tid}", member.token, version=version),
                          200)["transfer"]
    assert "auth_key" not in shown and shown["volume_id"] == vid
    summary = assert_status(vol.get(path, member.token, version=version), 200)["transfers"]
    assert [t["id"] for t in summary] == [tid]
    assert set(summary[0]) == {"id", "name", "volume_id", "links"}
    detail = assert_status(vol.get(f"{path}/detail", member.token, version=version),
                           200)["transfers"]
    assert set(detail[0]) == expected - {"auth_key"}
    # the taker does not see the offer, and a wrong key is refused
    cinder_fault(vol.get(f"{path}/{tid}", taker.token, version=version), 404)
    assert assert_status(vol.get(path, taker.token, version=version), 200)["transfers"] == []
    cinder_fault(vol.post(f"{path}/{tid}/accept", taker.token, version=version, json={
        "accept": {"auth_key": "wrong"}}), 400, "Invalid auth key")
    cinder_fault(vol.post(f"{path}/{tid}/accept", taker.token, version=version, json={
        "accept": {}}), 400)

    accepted = assert_status(vol.post(f"{path}/{tid}/accept", taker.token, version=version,
                                      json={"accept": {"auth_key": created["auth_key"]}}),
                             202)["transfer"]
    assert set(accepted) == {"id", "name", "volume_id", "links"}
    moved = volume_columns(vol, vid)
    assert moved == {"status": "available", "project_id": _pid(taker),
                     "user_id": taker.user["id"], "size": 2}
    taken = assert_status(vol.get(f"/snapshots/{snap['id']}", taker.token), 200)["snapshot"]
    assert taken["os-extended-snapshot-attributes:project_id"] == _pid(taker)
    assert usage(vol, _pid(taker))["volumes"] == 1
    assert usage(vol, _pid(taker))["gigabytes"] == 4  # the volume and its snapshot
    assert usage(vol, _pid(taker))["snapshots"] == 1
    left = usage(vol, _pid(member))
    assert (left["volumes"], left["gigabytes"], left["snapshots"]) == (0, 0, 0)
    cinder_fault(vol.get(f"{path}/{tid}", member.token, version=version), 404)


def test_no_snapshots_leaves_the_snapshots_behind(vol: VolApi, member: Member,
                                                  cloud) -> None:
    taker = cloud.make_project_member()
    vid = _charged_volume(vol, member)
    snap = snapshot(vol, vid, member.token)
    created = assert_status(vol.post("/volume-transfers", member.token, version="3.55", json={
        "transfer": {"volume_id": vid, "no_snapshots": True}}), 202)["transfer"]
    assert created["no_snapshots"] is True
    assert_status(vol.post(f"/volume-transfers/{created['id']}/accept", taker.token,
                           version="3.55", json={"accept": {
                               "auth_key": created["auth_key"]}}), 202)
    assert_status(vol.get(f"/snapshots/{snap['id']}", member.token), 200)
    assert usage(vol, _pid(taker)).get("snapshots", 0) == 0
    assert usage(vol, _pid(member))["snapshots"] == 1


def test_delete_makes_the_volume_available_again(vol: VolApi, member: Member) -> None:
    vid = _charged_volume(vol, member)
    tid = assert_status(vol.post("/os-volume-transfer", member.token, json={
        "transfer": {"volume_id": vid}}), 202)["transfer"]["id"]
    # a second offer of the same volume is refused: it is no longer available
    cinder_fault(vol.post("/os-volume-transfer", member.token, json={
        "transfer": {"volume_id": vid}}), 400, "Invalid volume")
    assert_status(vol.delete(f"/os-volume-transfer/{tid}", member.token), 202)
    assert volume_columns(vol, vid)["status"] == "available"
    cinder_fault(vol.get(f"/os-volume-transfer/{tid}", member.token), 404)


def test_bad_requests(vol: VolApi, member: Member, cloud) -> None:
    other = cloud.make_project_member()
    theirs = volume_row(vol, _pid(other))
    busy = volume_row(vol, _pid(member), status="in-use")
    cinder_fault(vol.post("/os-volume-transfer", member.token, json={
        "transfer": {"volume_id": theirs}}), 404)
    cinder_fault(vol.post("/os-volume-transfer", member.token, json={
        "transfer": {"volume_id": str(uuid.uuid4())}}), 404)
    cinder_fault(vol.post("/os-volume-transfer", member.token, json={
        "transfer": {"volume_id": busy}}), 400, "Invalid volume")
    cinder_fault(vol.post("/os-volume-transfer", member.token, json={"x": {}}), 400)
    cinder_fault(vol.post(f"/os-volume-transfer/{uuid.uuid4()}/accept", member.token,
                          json={"accept": {"auth_key": "k"}}), 404)
    # the 3.55 path does not exist below 3.55
    cinder_fault(vol.get("/volume-transfers", member.token), 404)
    # an unavailable snapshot blocks a transfer that takes snapshots
    vid = volume_row(vol, _pid(member))
    snapshot(vol, vid, member.token, settle=False)
    cinder_fault(vol.post("/os-volume-transfer", member.token, json={
        "transfer": {"volume_id": vid}}), 400, "Invalid snapshot")


def test_accept_over_quota_moves_nothing(vol: VolApi, member: Member, cloud) -> None:
    from onestack.volume.models.quotas import QuotaLimit

    taker = cloud.make_project_member()
    vol.db.write(lambda s: s.add(QuotaLimit(project_id=_pid(taker), resource="volumes",
                                            hard_limit=0)))
    vid = _charged_volume(vol, member)
    created = assert_status(vol.post("/os-volume-transfer", member.token, json={
        "transfer": {"volume_id": vid}}), 202)["transfer"]
    response = vol.post(f"/os-volume-transfer/{created['id']}/accept", taker.token,
                        json={"accept": {"auth_key": created["auth_key"]}})
    assert response.status_code == 413, response.text
    assert volume_columns(vol, vid)["project_id"] == _pid(member)
    assert volume_columns(vol, vid)["status"] == "awaiting-transfer"
    assert usage(vol, _pid(member))["volumes"] == 1


def test_key_is_stored_hashed(vol: VolApi, member: Member) -> None:
    from onestack.volume.models.transfers import Transfer

    vid = _charged_volume(vol, member)
    created = assert_status(vol.post("/os-volume-transfer", member.token, json={
        "transfer": {"volume_id": vid}}), 202)["transfer"]
    row = vol.db.read(lambda s: s.scalar(sa.select(Transfer).where(
        Transfer.id == created["id"])))
    assert created["auth_key"] not in (row.crypt_hash, row.salt)

"""Backups through the API, with the backup worker and the volume agent moving rows on:
real bytes (a restored volume holds the backed-up bytes; an incremental after a change
restores the changed bytes), the create checks and states, incrementals and their
dependents, delete/force delete, restore into a new or an existing volume, the admin
actions, export and import of records, list filters/paging/count, update (3.9), the
microversion fields, another project's backups, quota."""
from __future__ import annotations

import base64
import json
import os
import uuid
from pathlib import Path

import pytest

from tests.functional.volume.backup_support import Rig, make_rig
from tests.functional.volume.conftest import VolApi, cinder_fault
from tests.functional.volume.snapshot_support import volume_row
from tests.support.api import assert_status
from tests.support.identity import Member

MiB = 1 << 20
DETAIL = {"id", "status", "size", "object_count", "availability_zone", "container",
          "created_at", "updated_at", "name", "description", "fail_reason", "volume_id",
          "links", "is_incremental", "has_dependent_backups", "snapshot_id",
          "data_timestamp"}


@pytest.fixture(scope="module")
def rig(vol: VolApi, tmp_path_factory: pytest.TempPathFactory) -> Rig:
    return make_rig(vol, tmp_path_factory.mktemp("backups"))


@pytest.fixture(autouse=True)
def _backup_service_up(rig: Rig) -> None:
    rig.beat()


def _pid(member: Member) -> str:
    return member.project["id"]


def _usage(vol: VolApi, project_id: str) -> dict[str, int]:
    from onestack.volume.service.quotas import usage

    return vol.db.read(lambda s: usage(s, project_id))


# --- real data -----------------------------------------------------------------------------
def test_restored_volumes_hold_the_backed_up_bytes_full_and_incremental(
        vol: VolApi, rig: Rig, member: Member) -> None:
    """The must-show: file backend, file store. A full backup restored into a new volume
    holds the volume's bytes; after a change, an incremental restored over an existing
    volume holds the changed bytes (and stored only the changed chunk)."""
    first = os.urandom(5 * MiB + 123)
    vid = rig.volume(member.token, first, size=1)
    full = rig.backup(member.token, vid, name="full")
    assert (full["is_incremental"], full["size"], full["object_count"]) == (False, 1, 6)
    assert rig.volume_row(vid)["status"] == "available"

    done = assert_status(vol.post(f"/backups/{full['id']}/restore", member.token,
                                  json={"restore": {}}), 202)["restore"]
    assert set(done) == {"backup_id", "volume_id", "volume_name"}
    assert done["volume_name"] == f"restore_backup_{full['id']}"
    assert rig.settle_volume(done["volume_id"])["status"] == "available"
    assert rig.work(full["id"])["status"] == "available"
    assert rig.volume_bytes(done["volume_id"], len(first)) == first

    changed = bytearray(first)
    changed[2 * MiB:2 * MiB + 10] = b"CHANGED!!!"
    rig.driver.write_volume(vid, 1, [bytes(changed)])
    incr = rig.backup(member.token, vid, incremental=True)
    assert incr["is_incremental"] is True and incr["object_count"] == 1
    shown = assert_status(vol.get(f"/backups/{full['id']}", member.token), 200)["backup"]
    assert shown["has_dependent_backups"] is True

    target = rig.volume(member.token, os.urandom(MiB), size=2)
    done = assert_status(vol.post(f"/backups/{incr['id']}/restore", member.token, json={
        "restore": {"volume_id": target}}), 202)["restore"]
    assert done["volume_id"] == target
    assert rig.volume_row(target)["status"] == "restoring-backup"
    assert rig.settle_volume(target)["status"] == "available"
    assert rig.work(incr["id"])["status"] == "available"
    assert rig.volume_bytes(target, len(first)) == bytes(changed)
    assert rig.volume_row(target)["size"] == 2


def test_restore_gives_the_new_volume_the_source_metadata_and_bootable(
        vol: VolApi, rig: Rig, member: Member) -> None:
    vid = rig.volume(member.token, b"boot", metadata={"k1": "v1", "k2": "v2"})
    rig.db.write(lambda s: _set_bootable(s, vid))
    backup = rig.backup(member.token, vid)
    done = assert_status(vol.post(f"/backups/{backup['id']}/restore", member.token,
                                  json={"restore": {"name": "again"}}), 202)["restore"]
    assert done["volume_name"] == "again"
    rig.settle_volume(done["volume_id"])
    shown = assert_status(vol.get(f"/volumes/{done['volume_id']}", member.token),
                          200)["volume"]
    assert shown["status"] == "available" and shown["bootable"] == "true"
    assert shown["metadata"] == {"k1": "v1", "k2": "v2"}


def _set_bootable(s, volume_id: str) -> None:  # noqa: ANN001
    from onestack.volume.models.volumes import Volume

    s.get(Volume, volume_id).bootable = True


# --- create --------------------------------------------------------------------------------
def test_create_answers_the_summary_and_moves_volume_and_quota(
        vol: VolApi, rig: Rig, member: Member) -> None:
    vid = volume_row(vol, _pid(member), size=3)
    resp = vol.post("/backups", member.token, version="3.0",
                    json={"backup": {"volume_id": vid, "name": "b", "description": "d"}})
    body = assert_status(resp, 202)["backup"]
    assert set(body) == {"id", "links", "name"} and body["name"] == "b"
    assert resp.headers["OpenStack-API-Version"] == "volume 3.0"
    assert rig.volume_row(vid)["status"] == "backing-up"
    assert rig.volume_row(vid)["previous_status"] == "available"
    shown = assert_status(vol.get(f"/backups/{body['id']}", member.token), 200)["backup"]
    assert set(shown) == DETAIL
    assert (shown["status"], shown["size"], shown["volume_id"], shown["description"]) == \
        ("creating", 3, vid, "d")
    held = _usage(vol, _pid(member))
    assert held["backups"] == 1 and held["backup_gigabytes"] == 3
    cinder_fault(vol.delete(f"/backups/{body['id']}", member.token), 400,
                 "must be available or error")


def test_in_use_volume_needs_force_and_goes_back_in_use(vol: VolApi, rig: Rig,
                                                         member: Member) -> None:
    vid = volume_row(vol, _pid(member), status="in-use", attach_status="attached")
    cinder_fault(vol.post("/backups", member.token, json={"backup": {"volume_id": vid}}),
                 400, "Backing up an in-use volume must use the force flag.")
    body = assert_status(vol.post("/backups", member.token, json={"backup": {
        "volume_id": vid, "force": True}}), 202)["backup"]
    assert rig.volume_row(vid)["status"] == "backing-up"
    rig.driver.create_volume(vid, 1)
    assert rig.work(body["id"])["status"] == "available"
    assert rig.volume_row(vid)["status"] == "in-use"


@pytest.mark.parametrize("status", ["creating", "error", "backing-up", "deleting"])
def test_busy_volume_is_refused(vol: VolApi, member: Member, status: str) -> None:
    vid = volume_row(vol, _pid(member), status=status)
    cinder_fault(vol.post("/backups", member.token, json={"backup": {
        "volume_id": vid, "force": True}}), 400, "must be available or in-use")


def test_bad_bodies_are_400_and_unknown_volumes_404(vol: VolApi, member: Member,
                                                   cloud) -> None:  # noqa: ANN001
    vid = volume_row(vol, _pid(member))
    for body in ({}, {"backup": "x"}, {"backup": {}}, {"backup": {"volume_id": "nope"}},
                 {"backup": {"volume_id": vid, "bogus": 1}},
                 {"backup": {"volume_id": vid, "force": "maybe"}},
                 {"backup": {"volume_id": vid, "name": "x" * 256}},
                 {"backup": {"volume_id": vid, "metadata": {"a": "b"}}}):  # before 3.43
        cinder_fault(vol.post("/backups", member.token, json=body), 400)
    other = cloud.make_project_member()
    for volume_id in (str(uuid.uuid4()), volume_row(vol, _pid(other))):
        cinder_fault(vol.post("/backups", member.token, json={"backup": {
            "volume_id": volume_id}}), 404, "could not be found")
    assert rig_free(vol, vid)


def rig_free(vol: VolApi, volume_id: str) -> bool:
    """Nothing refused moved the volume."""
    from onestack.volume.models.volumes import Volume

    return vol.db.read(lambda s: s.get(Volume, volume_id).status) == "available"


def test_metadata_and_zone_from_their_microversions(vol: VolApi, rig: Rig,
                                                    member: Member) -> None:
    vid = volume_row(vol, _pid(member))
    body = assert_status(vol.post("/backups", member.token, version="3.51", json={
        "backup": {"volume_id": vid, "metadata": {"a": "b"},
                   "availability_zone": "nova"}}), 202)["backup"]
    shown = assert_status(vol.get(f"/backups/{body['id']}", member.token, version="3.43"),
                          200)["backup"]
    assert shown["metadata"] == {"a": "b"} and shown["availability_zone"] == "nova"
    assert "encryption_key_id" not in shown
    shown = assert_status(vol.get(f"/backups/{body['id']}", member.token, version="3.64"),
                          200)["backup"]
    assert set(shown) == DETAIL | {"metadata", "encryption_key_id"}


def test_project_and_user_attributes_are_for_admins_from_their_versions(
        vol: VolApi, rig: Rig, member: Member) -> None:
    vid = volume_row(vol, _pid(member))
    body = assert_status(vol.post("/backups", member.token, json={"backup": {
        "volume_id": vid}}), 202)["backup"]
    seen = assert_status(vol.get(f"/backups/{body['id']}", member.token, version="3.56"),
                         200)["backup"]
    assert "os-backup-project-attr:project_id" not in seen and "user_id" not in seen
    seen = assert_status(vol.get(f"/backups/{body['id']}", version="3.18"), 200)["backup"]
    assert seen["os-backup-project-attr:project_id"] == _pid(member)
    assert "user_id" not in seen
    seen = assert_status(vol.get(f"/backups/{body['id']}", version="3.56"), 200)["backup"]
    assert seen["user_id"] == member.user["id"]
    seen = assert_status(vol.get(f"/backups/{body['id']}"), 200)["backup"]
    assert set(seen) == DETAIL


def test_snapshot_backup_needs_the_volumes_available_snapshot(
        vol: VolApi, rig: Rig, member: Member) -> None:
    from tests.functional.volume.snapshot_support import set_snapshot, snapshot

    data = os.urandom(MiB)
    vid = rig.volume(member.token, data)
    snap = snapshot(vol, vid, member.token, settle=False)
    rig.agent(rig.volume_row(vid)["host"]).reconcile(f"snapshot:{snap['id']}")
    other = rig.volume(member.token)
    cinder_fault(vol.post("/backups", member.token, json={"backup": {
        "volume_id": other, "snapshot_id": snap["id"]}}), 400, "does not match")
    set_snapshot(vol, snap["id"], status="error")
    cinder_fault(vol.post("/backups", member.token, json={"backup": {
        "volume_id": vid, "snapshot_id": snap["id"]}}), 400, "must be available")
    set_snapshot(vol, snap["id"], status="available")
    rig.driver.write_volume(vid, 1, [os.urandom(MiB)])
    backup = rig.backup(member.token, vid, snapshot_id=snap["id"])
    assert backup["snapshot_id"] == snap["id"]
    done = assert_status(vol.post(f"/backups/{backup['id']}/restore", member.token,
                                  json={"restore": {}}), 202)["restore"]
    rig.settle_volume(done["volume_id"])
    assert rig.volume_bytes(done["volume_id"], MiB) == data


# --- incrementals and delete ---------------------------------------------------------------
def test_incremental_needs_a_full_backup_and_protects_its_parent(
        vol: VolApi, rig: Rig, member: Member) -> None:
    vid = rig.volume(member.token, b"abc")
    cinder_fault(vol.post("/backups", member.token, json={"backup": {
        "volume_id": vid, "incremental": True}}), 400,
        "No backups available to do an incremental backup.")
    full = rig.backup(member.token, vid)
    assert full["has_dependent_backups"] is False
    incr = rig.backup(member.token, vid, incremental=True)
    assert (incr["is_incremental"], incr["has_dependent_backups"]) == (True, False)
    cinder_fault(vol.delete(f"/backups/{full['id']}", member.token), 400,
                 "Incremental backups exist for this backup.")
    assert_status(vol.delete(f"/backups/{incr['id']}", member.token), 202)
    assert rig.work(incr["id"]) is None
    again = rig.backup(member.token, vid, incremental=True)  # Tempest's bug 1703011
    assert again["is_incremental"] is True
    assert_status(vol.delete(f"/backups/{again['id']}", member.token), 202)
    assert rig.work(again["id"]) is None
    assert_status(vol.delete(f"/backups/{full['id']}", member.token), 202)
    assert rig.work(full["id"]) is None
    cinder_fault(vol.get(f"/backups/{full['id']}", member.token), 404,
                 f"Backup {full['id']} could not be found.")
    assert rig.store.names(f"backup-{full['id']}/") == []
    held = _usage(vol, _pid(member))
    assert held["backups"] == 0 and held["backup_gigabytes"] == 0


def test_force_delete_is_for_admins_and_takes_any_status(vol: VolApi, rig: Rig,
                                                         member: Member) -> None:
    vid = volume_row(vol, _pid(member))
    body = assert_status(vol.post("/backups", member.token, json={"backup": {
        "volume_id": vid}}), 202)["backup"]
    cinder_fault(vol.post(f"/backups/{body['id']}/action", member.token,
                          json={"os-force_delete": {}}), 403)
    assert_status(vol.post(f"/backups/{body['id']}/action", json={"os-force_delete": {}}),
                  202)
    assert rig.work(body["id"]) is None
    assert rig.volume_row(vid)["status"] == "available"  # no longer backing up


def test_reset_status_is_for_admins(vol: VolApi, rig: Rig, member: Member) -> None:
    vid = rig.volume(member.token, b"x")
    backup = rig.backup(member.token, vid)
    path = f"/backups/{backup['id']}/action"
    cinder_fault(vol.post(path, member.token, json={"os-reset_status": {"status": "error"}}),
                 403)
    cinder_fault(vol.post(path, json={"os-reset_status": {"status": "deleting"}}), 400)
    cinder_fault(vol.post(path, json={"os-reset_status": {}}), 400)
    cinder_fault(vol.post(path, json={"os-bogus": {}}), 400)
    assert_status(vol.post(path, json={"os-reset_status": {"status": "error"}}), 202)
    shown = assert_status(vol.get(f"/backups/{backup['id']}", member.token), 200)["backup"]
    assert shown["status"] == "error"
    cinder_fault(vol.post(f"/backups/{backup['id']}/restore", member.token,
                          json={"restore": {}}), 400, "Backup status must be available")


# --- restore checks --------------------------------------------------------------------------
def test_restore_target_checks(vol: VolApi, rig: Rig, member: Member, cloud) -> None:  # noqa: ANN001
    vid = rig.volume(member.token, b"x", size=2)
    backup = rig.backup(member.token, vid)
    path = f"/backups/{backup['id']}/restore"
    small = volume_row(vol, _pid(member), size=1)
    cinder_fault(vol.post(path, member.token, json={"restore": {"volume_id": small}}), 400,
                 "volume size 1 is too small to restore backup of size 2.")
    busy = volume_row(vol, _pid(member), size=2, status="in-use")
    cinder_fault(vol.post(path, member.token, json={"restore": {"volume_id": busy}}), 400,
                 "Volume to be restored to must be available")
    theirs = volume_row(vol, _pid(cloud.make_project_member()), size=2)
    cinder_fault(vol.post(path, member.token, json={"restore": {"volume_id": theirs}}),
                 404)
    cinder_fault(vol.post(path, member.token, json={"restore": {"bogus": 1}}), 400)
    cinder_fault(vol.post(path, member.token, json={}), 400)
    assert rig.work(backup["id"])["status"] == "available"


# --- other projects, list ----------------------------------------------------------------
def test_another_projects_backup_is_404(vol: VolApi, rig: Rig, member: Member,
                                        cloud) -> None:  # noqa: ANN001
    vid = volume_row(vol, _pid(member))
    mine = assert_status(vol.post("/backups", member.token, json={"backup": {
        "volume_id": vid}}), 202)["backup"]["id"]
    other = cloud.make_project_member()
    for call in (lambda: vol.get(f"/backups/{mine}", other.token),
                 lambda: vol.delete(f"/backups/{mine}", other.token),
                 lambda: vol.post(f"/backups/{mine}/restore", other.token,
                                  json={"restore": {}}),
                 lambda: vol.put(f"/backups/{mine}", other.token, version="3.9",
                                 json={"backup": {"name": "x"}})):
        cinder_fault(call(), 404, f"Backup {mine} could not be found.")
    listed = assert_status(vol.get("/backups", other.token), 200)["backups"]
    assert mine not in [b["id"] for b in listed]
    everyone = assert_status(vol.get("/backups/detail?all_tenants=1"), 200)["backups"]
    assert mine in [b["id"] for b in everyone]
    own = assert_status(vol.get("/backups"), 200)["backups"]
    assert mine not in [b["id"] for b in own]


def test_list_filters_sort_paging_and_count(vol: VolApi, rig: Rig, member: Member) -> None:
    vids = [volume_row(vol, _pid(member)) for _ in range(3)]
    ids = [assert_status(vol.post("/backups", member.token, json={"backup": {
        "volume_id": v, "name": f"bk-{i}"}}), 202)["backup"]["id"]
        for i, v in enumerate(vids)]
    rig.work(ids[0])
    summary = assert_status(vol.get("/backups", member.token), 200)
    assert set(summary) == {"backups"}
    assert {frozenset(b) for b in summary["backups"]} == {frozenset({"id", "name", "links"})}
    assert [b["id"] for b in summary["backups"]] == ids[::-1]  # newest first
    detail = assert_status(vol.get("/backups/detail?status=creating", member.token),
                           200)["backups"]
    assert {b["id"] for b in detail} == set(ids[1:])
    named = assert_status(vol.get(f"/backups?volume_id={vids[2]}", member.token),
                          200)["backups"]
    assert [b["id"] for b in named] == [ids[2]]
    assert [b["id"] for b in assert_status(vol.get("/backups?name=bk-1", member.token),
                                           200)["backups"]] == [ids[1]]
    like = assert_status(vol.get("/backups?name~=bk-", member.token, version="3.34"),
                         200)["backups"]
    assert len(like) == 3
    cinder_fault(vol.get("/backups?bogus=1", member.token), 400, "Invalid filters")
    asc = assert_status(vol.get("/backups?sort=name:asc", member.token), 200)["backups"]
    assert [b["name"] for b in asc] == ["bk-0", "bk-1", "bk-2"]
    cinder_fault(vol.get("/backups?sort=nope:asc", member.token), 400)
    page = assert_status(vol.get("/backups?limit=2&sort=name:asc", member.token), 200)
    assert [b["name"] for b in page["backups"]] == ["bk-0", "bk-1"]
    nxt = page["backups_links"][0]
    assert nxt["rel"] == "next" and f"marker={page['backups'][1]['id']}" in nxt["href"]
    rest = assert_status(vol.get(nxt["href"].split("/volume/v3", 1)[1], member.token), 200)
    assert [b["name"] for b in rest["backups"]] == ["bk-2"] and "backups_links" not in rest
    counted = assert_status(vol.get("/backups/detail?with_count=true&limit=1",
                                    member.token, version="3.45"), 200)
    assert counted["count"] == 3 and len(counted["backups"]) == 1
    assert "count" not in assert_status(vol.get("/backups?with_count=true", member.token),
                                        200)


# --- update ----------------------------------------------------------------------------------
def test_update_from_3_9(vol: VolApi, rig: Rig, member: Member) -> None:
    vid = volume_row(vol, _pid(member))
    bid = assert_status(vol.post("/backups", member.token, json={"backup": {
        "volume_id": vid, "name": "before"}}), 202)["backup"]["id"]
    cinder_fault(vol.put(f"/backups/{bid}", member.token, json={"backup": {"name": "x"}}),
                 404)
    body = assert_status(vol.put(f"/backups/{bid}", member.token, version="3.9", json={
        "backup": {"name": "after", "description": "new"}}), 200)["backup"]
    assert set(body) == {"id", "links", "name"} and body["name"] == "after"
    shown = assert_status(vol.get(f"/backups/{bid}", member.token), 200)["backup"]
    assert (shown["name"], shown["description"]) == ("after", "new")
    cinder_fault(vol.put(f"/backups/{bid}", member.token, version="3.9",
                         json={"backup": {"metadata": {"a": "b"}}}), 400)
    assert_status(vol.put(f"/backups/{bid}", member.token, version="3.43",
                          json={"backup": {"metadata": {"a": "b"}}}), 200)
    shown = assert_status(vol.get(f"/backups/{bid}", member.token, version="3.43"),
                          200)["backup"]
    assert shown["metadata"] == {"a": "b"}


# --- export / import -------------------------------------------------------------------------
def test_export_and_import_a_record(vol: VolApi, rig: Rig, member: Member) -> None:
    """Tempest's flow: export, change the id in the record, import (201), the copy
    becomes available and restores the same bytes; both deletes work and only the last
    one removes the data."""
    data = os.urandom(2 * MiB)
    vid = rig.volume(member.token, data)
    backup = rig.backup(member.token, vid)
    cinder_fault(vol.get(f"/backups/{backup['id']}/export_record", member.token), 403)
    record = assert_status(vol.get(f"/backups/{backup['id']}/export_record"),
                           200)["backup-record"]
    assert set(record) == {"backup_service", "backup_url"}
    assert record["backup_service"].startswith("cinder.backup.drivers")
    decoded = json.loads(base64.b64decode(record["backup_url"]))
    assert decoded["id"] == backup["id"] and decoded["chunks"]
    body = {"backup_service": record["backup_service"], "backup_url": record["backup_url"]}
    cinder_fault(vol.post("/backups/import_record", json={"backup-record": body}), 400,
                 "Backup already exists in database.")
    new_id = str(uuid.uuid4())
    decoded["id"] = new_id
    body["backup_url"] = base64.b64encode(json.dumps(decoded).encode()).decode()
    cinder_fault(vol.post("/backups/import_record", member.token,
                          json={"backup-record": body}), 403)
    imported = assert_status(vol.post("/backups/import_record",
                                      json={"backup-record": body}), 201)["backup"]
    assert set(imported) == {"id", "links", "name"} and imported["id"] == new_id
    assert rig.work(new_id)["status"] == "available"
    assert new_id in [b["id"] for b in assert_status(vol.get("/backups"), 200)["backups"]]
    done = assert_status(vol.post(f"/backups/{new_id}/restore", json={"restore": {}}),
                         202)["restore"]
    rig.settle_volume(done["volume_id"])
    assert rig.volume_bytes(done["volume_id"], len(data)) == data
    rig.work(new_id)
    assert_status(vol.delete(f"/backups/{new_id}"), 202)
    assert rig.work(new_id) is None
    assert rig.store.names(f"backup-{backup['id']}/")  # the original's data stays
    assert_status(vol.delete(f"/backups/{backup['id']}", member.token), 202)
    assert rig.work(backup["id"]) is None
    assert rig.store.names(f"backup-{backup['id']}/") == []


def test_import_refuses_garbage(vol: VolApi) -> None:
    good = "cinder.backup.drivers.onestack_file"
    for body in ({"backup_service": good, "backup_url": "not base64!"},
                 {"backup_service": good,
                  "backup_url": base64.b64encode(b"[1, 2]").decode()},
                 {"backup_service": good, "backup_url": base64.b64encode(
                     json.dumps({"id": str(uuid.uuid4()), "chunks": "x"}).encode()).decode()},
                 {"backup_service": good}):
        cinder_fault(vol.post("/backups/import_record", json={"backup-record": body}), 400)
    cinder_fault(vol.post("/backups/import_record", json={"backup-record": {
        "backup_service": "nova.nope", "backup_url": base64.b64encode(
            json.dumps({"id": str(uuid.uuid4())}).encode()).decode()}}), 404)


# --- quota -----------------------------------------------------------------------------------
def test_backup_quota_is_a_413(vol: VolApi, rig: Rig, member: Member) -> None:
    from onestack.volume.models.quotas import QuotaLimit

    pid = _pid(member)
    vol.db.write(lambda s: s.add(QuotaLimit(project_id=pid, resource="backups",
                                            hard_limit=1)))
    first, second = (volume_row(vol, pid) for _ in range(2))
    assert_status(vol.post("/backups", member.token, json={"backup": {
        "volume_id": first}}), 202)
    msg = cinder_fault(vol.post("/backups", member.token, json={"backup": {
        "volume_id": second}}), 413)
    assert "Maximum number of backups allowed (1) exceeded" in msg
    assert rig_free(vol, second)


def test_file_store_lives_under_the_data_dir(tmp_path: Path) -> None:
    from onestack.volume.backup.runner import store_root

    assert store_root(tmp_path) == tmp_path / "backups"


def test_delete_and_restore_go_to_an_up_worker_when_the_backups_host_is_down(
        vol: VolApi, rig: Rig, member: Member) -> None:
    from onestack.volume.models.backups import Backup

    vid = rig.volume(member.token, b"data")
    backup = rig.backup(member.token, vid)

    def move(host: str) -> None:
        vol.db.write(lambda s: setattr(s.get(Backup, backup["id"]), "host", host))
    move("gone-host")  # a worker that never beats again
    done = assert_status(vol.post(f"/backups/{backup['id']}/restore", member.token,
                                  json={"restore": {}}), 202)["restore"]
    assert vol.db.read(lambda s: s.get(Backup, backup["id"]).host) == rig.host
    rig.settle_volume(done["volume_id"])
    assert rig.work(backup["id"])["status"] == "available"
    move("gone-host")
    assert_status(vol.delete(f"/backups/{backup['id']}", member.token), 202)
    assert vol.db.read(lambda s: s.get(Backup, backup["id"]).host) == rig.host
    assert rig.work(backup["id"]) is None

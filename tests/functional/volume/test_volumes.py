"""The volumes API through the whole app: create (placed, quota, sources, validation),
show, list, update, delete, metadata — Cinder's bodies and faults."""
from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from onestack.volume.models.backends import Backend
from onestack.volume.models.volumes import Volume
from tests.functional.volume.conftest import BACKEND, VolApi, cinder_fault, unique
from tests.support.api import assert_status

DETAIL_KEYS = {"attachments", "links", "encrypted", "updated_at", "replication_status", "id",
               "size", "user_id", "availability_zone", "metadata", "status", "description",
               "multiattach", "consistencygroup_id", "name", "bootable", "created_at",
               "volume_type", "snapshot_id", "source_volid"}
ADMIN_KEYS = {"migration_status", "os-vol-host-attr:host", "os-vol-mig-status-attr:migstat",
              "os-vol-mig-status-attr:name_id", "os-vol-tenant-attr:tenant_id"}


@pytest.fixture(scope="module", autouse=True)
def _unlimited(vol: VolApi, admin_project_id: str) -> None:
    vol.unlimit(admin_project_id)


def row(vol: VolApi, volume_id: str) -> Volume | None:
    return vol.db.read(lambda s: s.get(Volume, volume_id))


def test_create_answers_202_creating_on_a_backend(vol: VolApi, admin_project_id: str) -> None:
    body = assert_status(vol.post("/volumes", json={"volume": {
        "size": 2, "name": "v1", "description": "d", "metadata": {"a": "b"}}}), 202)
    v = body["volume"]
    assert v["status"] == "creating" and v["size"] == 2 and v["name"] == "v1"
    # Cinder's create answer has no extension attributes (host, tenant, migration)
    assert set(v) == DETAIL_KEYS | {"migration_status"}, set(v) ^ DETAIL_KEYS
    assert v["bootable"] == "false" and v["volume_type"] == "__DEFAULT__"
    assert v["metadata"] == {"a": "b"} and v["attachments"] == []
    shown = assert_status(vol.get(f"/volumes/{v['id']}"), 200)["volume"]
    assert set(shown) == DETAIL_KEYS | ADMIN_KEYS, set(shown) ^ (DETAIL_KEYS | ADMIN_KEYS)
    assert shown["os-vol-host-attr:host"] == BACKEND
    assert shown["os-vol-tenant-attr:tenant_id"] == admin_project_id
    assert v["links"][0]["href"].endswith(f"/volume/v3/volumes/{v['id']}")
    stored = row(vol, v["id"])
    assert stored is not None and stored.host == BACKEND and stored.status == "creating"


def test_create_claims_backend_capacity(vol: VolApi) -> None:
    name = vol.backend("vcap@file#file", total=10, zone="capzone")
    vol.volume(size=3, availability_zone="capzone")
    allocated = vol.db.read(lambda s: s.get(Backend, name).allocated_capacity_gb)
    assert allocated == 3


def test_no_backend_fits_gives_error_and_a_user_message(vol: VolApi) -> None:
    vol.backend("vsmall@file#file", total=1, zone="smallzone")
    v = vol.volume(size=5, availability_zone="smallzone", settle=False)
    assert v["status"] == "error"
    from onestack.volume.models.messages import Message

    mine = vol.db.read(lambda s: list(s.scalars(sa.select(Message.user_message).where(
        Message.resource_uuid == v["id"]))))
    assert len(mine) == 1 and mine[0].startswith("schedule allocate volume:")
    assert mine[0].endswith("Could not find any available weighted "
                            "backend.")


@pytest.mark.parametrize("size", ["#$%", "", "0", "-1", -1, 0, 1.5, True, None])
def test_bad_sizes_are_400(vol: VolApi, size: object) -> None:
    cinder_fault(vol.post("/volumes", json={"volume": {"size": size}}), 400)


def test_size_as_digit_string_is_accepted(vol: VolApi) -> None:
    assert vol.volume(size="1", settle=False)["size"] == 1


def test_huge_size_is_400_or_413_never_500(vol: VolApi) -> None:
    for size in (2 ** 31, 10 ** 30, "9" * 40):
        cinder_fault(vol.post("/volumes", json={"volume": {"size": size}}), 400)
    # the largest size the API takes: no backend holds it, so the volume is in error
    v = vol.volume(size=2 ** 31 - 1, settle=False)
    assert v["status"] == "error"
    shown = assert_status(vol.get(f"/volumes/{v['id']}"), 200)["volume"]
    assert shown["os-vol-host-attr:host"] is None


@pytest.mark.parametrize("body", [None, [], {"volume": None}, {"volume": []},
                                  {"volume": {"size": 1}, "extra": 1},
                                  {"volume": {"size": 1, "name": 5}},
                                  {"volume": {"size": 1, "name": "x" * 256}},
                                  {"volume": {"size": 1, "metadata": {"k": 1}}},
                                  {"volume": {"size": 1, "metadata": {"": "v"}}},
                                  {"volume": {"size": 1, "metadata": []}},
                                  {"volume": {"size": 1, "availability_zone": 3}},
                                  {"volume": {"size": 1, "snapshot_id": 3}}])
def test_malformed_bodies_are_400(vol: VolApi, body: object) -> None:
    cinder_fault(vol.post("/volumes", json=body), 400)


def test_unknown_type_snapshot_source_image_are_404(vol: VolApi) -> None:
    for key in ("volume_type", "snapshot_id", "source_volid", "imageRef"):
        cinder_fault(vol.post("/volumes", json={"volume": {"size": 1,
                                                           key: str(uuid.uuid4())}}), 404)


def test_unknown_zone_is_400(vol: VolApi) -> None:
    cinder_fault(vol.post("/volumes", json={"volume": {"size": 1,
                                                       "availability_zone": "nowhere"}}),
                 400, "Availability zone 'nowhere' is invalid")


def test_scheduler_hints_accepted(vol: VolApi) -> None:
    body = {"volume": {"size": 1}, "OS-SCH-HNT:scheduler_hints": {"same_host": []}}
    assert_status(vol.post("/volumes", json=body), 202)


def test_show_and_404s(vol: VolApi) -> None:
    v = vol.volume()
    shown = assert_status(vol.get(f"/volumes/{v['id']}"), 200)["volume"]
    assert shown["id"] == v["id"] and shown["status"] == "available"
    for bad in (str(uuid.uuid4()), "invalid-id", "x" * 300):
        cinder_fault(vol.get(f"/volumes/{bad}"), 404)
        cinder_fault(vol.put(f"/volumes/{bad}", json={"volume": {"name": "n"}}), 404)
        cinder_fault(vol.delete(f"/volumes/{bad}"), 404)
    for method in ("GET", "PUT", "DELETE"):
        response = vol.request(method, "/volumes/", json={"volume": {"name": "n"}})
        assert response.status_code == 404, (method, response.status_code)


def test_project_form_of_the_urls(vol: VolApi, admin_project_id: str) -> None:
    v = vol.volume()
    shown = assert_status(vol.get(f"/{admin_project_id}/volumes/{v['id']}"), 200)["volume"]
    assert shown["links"][0]["href"].endswith(
        f"/volume/v3/{admin_project_id}/volumes/{v['id']}")


def test_update_name_description_metadata(vol: VolApi) -> None:
    v = vol.volume(metadata={"a": "1", "b": "2"})
    body = assert_status(vol.put(f"/volumes/{v['id']}", json={"volume": {
        "name": "new", "description": "desc", "metadata": {"b": "3"}}}), 200)["volume"]
    assert body["name"] == "new" and body["description"] == "desc"
    assert body["metadata"] == {"b": "3"}
    assert body["updated_at"] is not None
    cinder_fault(vol.put(f"/volumes/{v['id']}", json={"volume": {"size": 5}}), 400)
    # nothing to change: the volume as it is (Cinder's schema asks for no property)
    assert assert_status(vol.put(f"/volumes/{v['id']}", json={"volume": {}}),
                         200)["volume"]["name"] == "new"
    cinder_fault(vol.put(f"/volumes/{v['id']}", json={"name": "x"}), 400)


def test_delete_moves_to_deleting_and_wakes(vol: VolApi) -> None:
    v = vol.volume()
    assert_status(vol.delete(f"/volumes/{v['id']}"), 202)
    assert row(vol, v["id"]).status == "deleting"
    # deleting again: not in a deletable status (Cinder's 400)
    cinder_fault(vol.delete(f"/volumes/{v['id']}"), 400, "Volume status must be available")


def test_delete_refused_while_in_use_or_creating(vol: VolApi) -> None:
    v = vol.volume()
    vol.set(v["id"], status="in-use", attach_status="attached")
    cinder_fault(vol.delete(f"/volumes/{v['id']}"), 400)
    creating = vol.volume(settle=False)
    cinder_fault(vol.delete(f"/volumes/{creating['id']}"), 400)


def test_force_delete_from_3_23_is_admin_only(vol: VolApi, member) -> None:  # noqa: ANN001
    v = vol.volume(settle=False)  # creating: refused without force
    cinder_fault(vol.delete(f"/volumes/{v['id']}"), 400)
    # before 3.23 the force parameter means nothing
    cinder_fault(vol.delete(f"/volumes/{v['id']}", params={"force": "true"}), 400)
    assert_status(vol.delete(f"/volumes/{v['id']}", version="3.23",
                             params={"force": "true"}), 202)
    assert row(vol, v["id"]).status == "deleting"
    vol.unlimit(member.project["id"])
    mine = vol.volume(member.token, settle=False)
    cinder_fault(vol.delete(f"/volumes/{mine['id']}", member.token, version="3.23",
                            params={"force": "true"}), 403)


def test_delete_of_an_unplaced_volume_removes_it_and_its_quota(vol: VolApi) -> None:
    vol.backend("vtiny@file#file", total=0, zone="tinyzone")
    v = vol.volume(size=1, availability_zone="tinyzone", settle=False)
    assert v["status"] == "error"
    assert_status(vol.delete(f"/volumes/{v['id']}"), 202)
    assert row(vol, v["id"]) is None
    cinder_fault(vol.get(f"/volumes/{v['id']}"), 404)


def test_delete_with_snapshots_needs_cascade(vol: VolApi) -> None:
    from onestack.core.db import utcnow
    from onestack.volume.models.snapshots import Snapshot

    v = vol.volume()
    snap_id = str(uuid.uuid4())
    pid = row(vol, v["id"]).project_id
    vol.db.write(lambda s: s.add(Snapshot(id=snap_id, volume_id=v["id"], project_id=pid,
                                          status="available", size=1, host=BACKEND,
                                          created_at=utcnow())))
    cinder_fault(vol.delete(f"/volumes/{v['id']}"), 400)
    assert_status(vol.delete(f"/volumes/{v['id']}", params={"cascade": "true"}), 202)
    assert row(vol, v["id"]).status == "deleting"
    assert vol.db.read(lambda s: s.get(Snapshot, snap_id).status) == "deleting"


def test_metadata_api(vol: VolApi) -> None:
    v = vol.volume(metadata={"a": "1"})
    path = f"/volumes/{v['id']}/metadata"
    assert assert_status(vol.get(path), 200) == {"metadata": {"a": "1"}}
    assert assert_status(vol.post(path, json={"metadata": {"b": "2"}}), 200) == \
        {"metadata": {"a": "1", "b": "2"}}
    assert assert_status(vol.put(path, json={"metadata": {"c": "3"}}), 200) == \
        {"metadata": {"c": "3"}}
    assert assert_status(vol.get(f"{path}/c"), 200) == {"meta": {"c": "3"}}
    assert assert_status(vol.put(f"{path}/c", json={"meta": {"c": "4"}}), 200) == \
        {"meta": {"c": "4"}}
    cinder_fault(vol.put(f"{path}/c", json={"meta": {"d": "4"}}), 400, "mismatch")
    cinder_fault(vol.put(f"{path}/c", json={"meta": {"c": "4", "d": "5"}}), 400)
    response = vol.delete(f"{path}/c")
    assert response.status_code == 200
    cinder_fault(vol.get(f"{path}/c"), 404)
    cinder_fault(vol.delete(f"{path}/c"), 404)
    cinder_fault(vol.post(path, json={"metadata": {"k" * 256: "v"}}), 400)
    cinder_fault(vol.post(path, json={"metadata": {"k": "v" * 256}}), 400)
    cinder_fault(vol.post(path, json={"meta": {}}), 400)
    assert assert_status(vol.get(path), 200) == {"metadata": {}}


def test_microversion_fields(vol: VolApi) -> None:
    v = vol.volume()
    at = {}
    for version in ("3.0", "3.13", "3.21", "3.48", "3.61", "3.63", "3.65", "3.71"):
        response = vol.get(f"/volumes/{v['id']}", version=version)
        assert response.headers["OpenStack-API-Version"] == f"volume {version}"
        at[version] = set(assert_status(response, 200)["volume"])
    assert "group_id" not in at["3.0"] and "group_id" in at["3.13"]
    assert "provider_id" in at["3.21"]
    assert {"service_uuid", "shared_targets"} <= at["3.48"] - at["3.21"]
    assert "cluster_name" in at["3.61"]
    assert "volume_type_id" in at["3.63"] and "volume_type_id" not in at["3.61"]
    assert "consumes_quota" in at["3.65"] and "consumes_quota" in at["3.71"]
    assert vol.get(f"/volumes/{v['id']}", version="3.72").status_code == 406


def test_volume_image_metadata_shown_when_set(vol: VolApi) -> None:
    from onestack.volume.models.volumes import VolumeImageMetadata

    v = vol.volume()
    assert "volume_image_metadata" not in assert_status(vol.get(f"/volumes/{v['id']}"),
                                                        200)["volume"]
    vol.db.write(lambda s: s.add(VolumeImageMetadata(volume_id=v["id"], key="image_id",
                                                     value="abc")))
    shown = assert_status(vol.get(f"/volumes/{v['id']}"), 200)["volume"]
    assert shown["volume_image_metadata"] == {"image_id": "abc"}


def test_rows_visible_only_in_their_project_and_stored_once(vol: VolApi) -> None:
    v = vol.volume()
    count = vol.db.read(lambda s: s.scalar(sa.select(sa.func.count()).select_from(Volume)
                                           .where(Volume.id == v["id"])))
    assert count == 1
    assert unique()  # the helper stays importable for other modules


def test_attachments_in_the_view(vol: VolApi, member) -> None:  # noqa: ANN001
    """Attached attachments only; the compute host's name only for admins."""
    from onestack.core.db import utcnow
    from onestack.volume.models.volumes import Attachment

    vol.unlimit(member.project["id"])
    v = vol.volume(member.token)
    server = str(uuid.uuid4())
    now = utcnow()
    vol.db.write(lambda s: s.add_all([
        Attachment(id=str(uuid.uuid4()), volume_id=v["id"], instance_uuid=server,
                   attached_host="cmp1", mountpoint="/dev/vdb", attach_status="attached",
                   attach_time=now, created_at=now),
        Attachment(id=str(uuid.uuid4()), volume_id=v["id"], instance_uuid=server,
                   attach_status="reserved", created_at=now)]))
    vol.set(v["id"], status="in-use", attach_status="attached")
    mine = assert_status(vol.get(f"/volumes/{v['id']}", member.token), 200)["volume"]
    (att,) = mine["attachments"]
    assert att["server_id"] == server and att["device"] == "/dev/vdb"
    assert att["volume_id"] == att["id"] == v["id"] and att["host_name"] is None
    assert att["attached_at"] is not None
    admin = assert_status(vol.get(f"/volumes/{v['id']}"), 200)["volume"]
    assert admin["attachments"][0]["host_name"] == "cmp1"
    cinder_fault(vol.delete(f"/volumes/{v['id']}", member.token), 400)

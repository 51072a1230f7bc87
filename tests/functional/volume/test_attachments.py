"""The attachments API (3.27+): reserve, connect, complete, delete; list and show; the
statuses the volume goes through; multiattach and project rules."""
from __future__ import annotations

import uuid
from typing import Any

import pytest
import sqlalchemy as sa

from tests.functional.volume.conftest import BACKEND, VolApi, cinder_fault
from tests.support.api import assert_status
from tests.support.identity import Cloud

V = "3.54"
CONNECTOR = {"host": "compute-1", "initiator": "iqn.test", "mountpoint": "/dev/vdb",
             "mode": "rw"}


@pytest.fixture(autouse=True)
def _file_backend(vol: VolApi) -> None:
    vol.backend(driver="file")


@pytest.fixture(scope="module", autouse=True)
def _admin_unlimited(vol: VolApi, admin_project_id: str) -> None:
    """The admin project makes many volumes here and no agent deletes them."""
    from onestack.volume.models.quotas import QuotaLimit

    def work(s: Any) -> None:
        for resource in ("volumes", "gigabytes"):
            if s.get(QuotaLimit, (admin_project_id, resource)) is None:
                s.add(QuotaLimit(project_id=admin_project_id, resource=resource,
                                 hard_limit=-1))
    vol.db.write(work)


def placed(vol: VolApi, token: str | None = None, **attrs: Any) -> dict[str, Any]:
    """An available volume with bytes on the test backend (what the agent would leave)."""
    volume = vol.volume(token, **attrs)
    vol.set(volume["id"], host=BACKEND, provider_location=f"/data/volume-{volume['id']}")
    return volume


def status_of(vol: VolApi, volume_id: str) -> tuple[str, str]:
    from onestack.volume.models.volumes import Volume

    row = vol.db.read(lambda s: s.execute(sa.select(Volume.status, Volume.attach_status)
                                          .where(Volume.id == volume_id)).one())
    return row[0], row[1]


def create(vol: VolApi, volume_id: str, server: str | None = None, token: str | None = None,
           status: int = 200, version: str = V, **extra: Any) -> dict[str, Any]:
    body = {"volume_uuid": volume_id, "instance_uuid": server or str(uuid.uuid4()), **extra}
    response = vol.post("/attachments", token, version=version, json={"attachment": body})
    return assert_status(response, status)


def test_reserve_connect_complete_delete(vol: VolApi) -> None:
    volume = placed(vol)
    server = str(uuid.uuid4())
    att = create(vol, volume["id"], server)["attachment"]
    assert att["status"] == "reserved" and att["instance"] == server
    assert att["volume_id"] == volume["id"] and att["connection_info"] == {}
    assert status_of(vol, volume["id"])[0] == "reserved"

    body = assert_status(vol.put(f"/attachments/{att['id']}", version=V,
                                 json={"attachment": {"connector": CONNECTOR}}), 200)
    info = body["attachment"]["connection_info"]
    assert info["driver_volume_type"] == "file"
    assert info["data"]["device_path"] == f"/data/volume-{volume['id']}"
    assert info["data"]["access_mode"] == "rw" and info["data"]["volume_id"] == volume["id"]
    assert body["attachment"]["status"] == "attaching"
    assert status_of(vol, volume["id"]) == ("attaching", "attaching")

    done = vol.post(f"/attachments/{att['id']}/action", version=V,
                    json={"os-complete": {}})
    assert done.status_code == 204, done.text
    assert status_of(vol, volume["id"]) == ("in-use", "attached")
    shown = assert_status(vol.get(f"/attachments/{att['id']}", version=V), 200)
    assert shown["attachment"]["status"] == "attached"
    assert shown["attachment"]["attached_at"]
    show = assert_status(vol.get(f"/volumes/{volume['id']}"), 200)["volume"]
    (listed,) = show["attachments"]
    assert listed["attachment_id"] == att["id"] and listed["server_id"] == server
    assert listed["device"] == "/dev/vdb" and listed["host_name"] == "compute-1"

    gone = assert_status(vol.delete(f"/attachments/{att['id']}", version=V), 200)
    assert gone == {"attachments": []}
    assert status_of(vol, volume["id"]) == ("available", "detached")
    cinder_fault(vol.get(f"/attachments/{att['id']}", version=V), 404)


def test_create_with_connector_connects_at_once(vol: VolApi) -> None:
    volume = placed(vol)
    att = create(vol, volume["id"], connector=CONNECTOR, mode="ro")["attachment"]
    assert att["status"] == "attaching" and att["attach_mode"] == "ro"
    assert att["connection_info"]["data"]["access_mode"] == "ro"
    assert status_of(vol, volume["id"])[0] == "attaching"


def test_not_before_3_27(vol: VolApi) -> None:
    volume = placed(vol)
    create(vol, volume["id"], status=404, version="3.26")
    assert status_of(vol, volume["id"])[0] == "available"
    cinder_fault(vol.get("/attachments", version="3.26"), 404)


def test_non_multiattach_volume_takes_one_attachment(vol: VolApi) -> None:
    volume = placed(vol)
    first = create(vol, volume["id"])["attachment"]
    assert_status(vol.post(f"/attachments/{first['id']}/action", version=V,
                           json={"os-complete": {}}), 204)
    second = vol.post("/attachments", version=V, json={"attachment": {
        "volume_uuid": volume["id"], "instance_uuid": str(uuid.uuid4())}})
    message = cinder_fault(second, 400)
    assert "status must be available to reserve" in message
    assert status_of(vol, volume["id"]) == ("in-use", "attached")


def test_multiattach_volume_stays_in_use_until_the_last_goes(vol: VolApi) -> None:
    volume = placed(vol)
    vol.set(volume["id"], multiattach=True)
    ids = []
    for _ in range(2):
        att = create(vol, volume["id"], connector=CONNECTOR)["attachment"]
        assert_status(vol.post(f"/attachments/{att['id']}/action", version=V,
                               json={"os-complete": {}}), 204)
        ids.append(att["id"])
    assert status_of(vol, volume["id"]) == ("in-use", "attached")
    left = assert_status(vol.delete(f"/attachments/{ids[0]}", version=V), 200)
    assert [a["id"] for a in left["attachments"]] == [ids[1]]
    assert status_of(vol, volume["id"]) == ("in-use", "attached")
    assert_status(vol.delete(f"/attachments/{ids[1]}", version=V), 200)
    assert status_of(vol, volume["id"]) == ("available", "detached")


def test_bad_requests(vol: VolApi) -> None:
    volume = placed(vol)
    bad = vol.post("/attachments", version=V, json={"attachment": {
        "volume_uuid": volume["id"], "instance_uuid": "not-a-uuid"}})
    cinder_fault(bad, 400, "instance_uuid")
    bad = vol.post("/attachments", version=V,
                   json={"attachment": {"instance_uuid": str(uuid.uuid4())}})
    cinder_fault(bad, 400, "volume_uuid")
    cinder_fault(vol.post("/attachments", version=V, json={"nope": {}}), 400)
    create(vol, str(uuid.uuid4()), status=404)
    vol.set(volume["id"], status="error")
    message = cinder_fault(vol.post("/attachments", version=V, json={"attachment": {
        "volume_uuid": volume["id"], "instance_uuid": str(uuid.uuid4())}}), 400)
    assert "error state" in message
    att_id = str(uuid.uuid4())
    cinder_fault(vol.put(f"/attachments/{att_id}", version=V,
                         json={"attachment": {"connector": CONNECTOR}}), 404)
    vol.set(volume["id"], status="available")
    att = create(vol, volume["id"])["attachment"]
    cinder_fault(vol.put(f"/attachments/{att['id']}", version=V,
                         json={"attachment": {}}), 400, "connector")


def test_projects_see_only_their_attachments(vol: VolApi, cloud: Cloud) -> None:
    alice, bob = cloud.make_project_member(), cloud.make_project_member()
    volume = placed(vol, alice.token)
    att = create(vol, volume["id"], token=alice.token)["attachment"]
    create(vol, volume["id"], token=bob.token, status=404)  # bob cannot see the volume
    cinder_fault(vol.get(f"/attachments/{att['id']}", bob.token, version=V), 404)
    cinder_fault(vol.delete(f"/attachments/{att['id']}", bob.token, version=V), 404)
    mine = assert_status(vol.get("/attachments", alice.token, version=V), 200)
    assert [a["id"] for a in mine["attachments"]] == [att["id"]]
    assert assert_status(vol.get("/attachments", bob.token, version=V), 200) == {
        "attachments": []}
    everyone = assert_status(vol.get("/attachments/detail?all_tenants=1", version=V), 200)
    assert att["id"] in [a["id"] for a in everyone["attachments"]]
    detail = [a for a in everyone["attachments"] if a["id"] == att["id"]][0]
    assert {"attached_at", "detached_at", "attach_mode", "connection_info"} <= set(detail)
    by_volume = assert_status(vol.get(f"/attachments?volume_id={volume['id']}", alice.token,
                                      version=V), 200)
    assert len(by_volume["attachments"]) == 1
    other = assert_status(vol.get(f"/attachments?volume_id={uuid.uuid4()}", alice.token,
                                  version=V), 200)
    assert other["attachments"] == []


def test_reader_cannot_attach(vol: VolApi, cloud: Cloud) -> None:
    member = cloud.make_project_member()
    reader = cloud.make_project_member(role="reader", project=member.project)
    volume = placed(vol, member.token)
    cinder_fault(vol.post("/attachments", reader.token, version=V, json={"attachment": {
        "volume_uuid": volume["id"], "instance_uuid": str(uuid.uuid4())}}), 403)
    assert status_of(vol, volume["id"])[0] == "available"


def test_an_attachment_without_a_server_connects_and_completes(vol: VolApi) -> None:
    """``instance_uuid`` is optional in Cinder's schema (a host or a job attaches without
    a server): reserve, connect and complete work without it."""
    volume = placed(vol)
    response = vol.post("/attachments", version=V, json={"attachment": {
        "volume_uuid": volume["id"], "connector": CONNECTOR, "mode": "rw"}})
    att = assert_status(response, 200)["attachment"]
    assert att["instance"] is None and att["connection_info"]
    assert status_of(vol, volume["id"])[0] == "attaching"
    assert_status(vol.post(f"/attachments/{att['id']}/action", version=V,
                           json={"os-complete": None}), 204)
    assert status_of(vol, volume["id"]) == ("in-use", "attached")
    assert_status(vol.delete(f"/attachments/{att['id']}", version=V), 200)
    assert status_of(vol, volume["id"])[0] == "available"

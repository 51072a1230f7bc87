"""``os-services``, ``os-availability-zone``, ``os-hosts``, ``scheduler-stats/get_pools``
and ``capabilities``: what the backends the agents register look like to an operator."""
from __future__ import annotations

import socket
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from onestack.core.db import utcnow
from onestack.volume.models.backends import Backend, Service
from tests.functional.volume.conftest import BACKEND, VolApi, cinder_fault
from tests.support.api import assert_status
from tests.support.identity import Member

SCHED = socket.gethostname()


def listed(vol: VolApi, version: str | None = None, **params: str) -> list[dict]:
    return assert_status(vol.get("/os-services", params=params, version=version),
                         200)["services"]


def by_host(entries: list[dict], host: str, binary: str) -> dict:
    (found,) = [e for e in entries if e["host"] == host and e["binary"] == binary]
    return found


@pytest.fixture
def other_backend(vol: VolApi) -> str:
    """A second backend on its own node and zone."""
    node = f"n{uuid.uuid4().hex[:6]}"
    return vol.backend(f"{node}@lvm#pool1", zone="az-" + node, total=50, allocated=20,
                       vendor_name="Open Source", storage_protocol="iSCSI",
                       driver_version="3.0.0")


def test_list_has_scheduler_and_volume_services(vol: VolApi) -> None:
    found = listed(vol)
    sched = by_host(found, SCHED, "cinder-scheduler")
    assert sched["state"] == "up" and sched["status"] == "enabled"
    volume = by_host(found, "vtest@file", "cinder-volume")
    assert volume == {**volume, "zone": "nova", "status": "enabled", "state": "up",
                      "disabled_reason": None, "frozen": False,
                      "replication_status": "not-capable", "active_backend_id": None}
    assert volume["updated_at"] and "cluster" not in volume and "backend_state" not in volume
    at_349 = by_host(listed(vol, "3.49"), "vtest@file", "cinder-volume")
    assert at_349["cluster"] is None and at_349["backend_state"] == "up"


def test_filters_by_host_part_and_binary(vol: VolApi, other_backend: str) -> None:
    node = other_backend.partition("@")[0]
    found = listed(vol, host=node)
    assert [(e["host"], e["binary"]) for e in found] == [(f"{node}@lvm", "cinder-volume")]
    assert listed(vol, host=f"{node}@lvm", binary="cinder-volume") == found
    assert listed(vol, host=node, binary="cinder-scheduler") == []
    assert {e["binary"] for e in listed(vol, binary="cinder-scheduler")} == {
        "cinder-scheduler"}


def test_a_silent_backend_is_down(vol: VolApi, other_backend: str) -> None:
    vol.db.write(lambda s: s.execute(sa.update(Backend).where(
        Backend.name == other_backend).values(heartbeat_at=utcnow() - timedelta(minutes=5))))
    host = other_backend.partition("#")[0]
    assert by_host(listed(vol), host, "cinder-volume")["state"] == "down"
    pools = assert_status(vol.get("/scheduler-stats/get_pools"), 200)["pools"]
    assert other_backend not in [p["name"] for p in pools]


def test_disable_with_reason_then_enable(vol: VolApi, other_backend: str) -> None:
    host = other_backend.partition("#")[0]
    body = assert_status(vol.put("/os-services/disable-log-reason", json={
        "host": host, "binary": "cinder-volume", "disabled_reason": "maintenance"}), 200)
    assert body == {"host": host, "service": "", "binary": "cinder-volume",
                    "status": "disabled", "disabled": True, "disabled_reason": "maintenance"}
    entry = by_host(listed(vol), host, "cinder-volume")
    assert entry["status"] == "disabled" and entry["disabled_reason"] == "maintenance"
    assert vol.db.read(lambda s: s.get(Backend, other_backend).disabled) is True
    body = assert_status(vol.put("/os-services/enable", json={
        "host": host, "binary": "cinder-volume"}), 200)
    assert body == {"host": host, "service": "", "binary": "cinder-volume",
                    "status": "enabled", "disabled": False, "disabled_reason": None}
    entry = by_host(listed(vol), host, "cinder-volume")
    assert entry["status"] == "enabled" and entry["disabled_reason"] is None
    body = assert_status(vol.put("/os-services/disable", json={
        "host": SCHED, "binary": "cinder-scheduler"}), 200)
    assert body["disabled"] is True and set(body) == {"host", "service", "binary",
                                                      "status", "disabled"}
    assert by_host(listed(vol), SCHED, "cinder-scheduler")["status"] == "disabled"
    assert_status(vol.put("/os-services/enable", json={
        "host": SCHED, "binary": "cinder-scheduler"}), 200)


def test_service_update_errors(vol: VolApi) -> None:
    cinder_fault(vol.put("/os-services/enable", json={
        "host": "invalid_host", "binary": "cinder-volume"}), 404)
    cinder_fault(vol.put("/os-services/disable", json={
        "host": "vtest@file", "binary": "invalid_binary"}), 404)
    cinder_fault(vol.put("/os-services/disable-log-reason", json={
        "host": "vtest@file", "binary": "cinder-volume", "disabled_reason": None}), 400)
    cinder_fault(vol.put("/os-services/enable", json={"binary": "cinder-volume"}), 400,
                 "Host field is missing.")
    cinder_fault(vol.put("/os-services/enable", json={"host": "vtest@file"}), 400)
    cinder_fault(vol.put("/os-services/enable", json={
        "host": "vtest@file", "binary": "cinder-volume", "extra": 1}), 400)


def test_freeze_and_thaw(vol: VolApi, other_backend: str) -> None:
    host = other_backend.partition("#")[0]
    cinder_fault(vol.put("/os-services/freeze", json={"host": "invalid_host"}), 400,
                 "No service found with host=invalid_host")
    cinder_fault(vol.put("/os-services/thaw", json={"host": "invalid_host"}), 400)
    response = vol.put("/os-services/freeze", json={"host": host})
    assert response.status_code == 200, response.text
    assert by_host(listed(vol), host, "cinder-volume")["frozen"] is True
    cinder_fault(vol.put("/os-services/freeze", json={"host": host}), 400,
                 "No service could be changed")
    assert vol.put("/os-services/thaw", json={"host": host}).status_code == 200
    assert vol.db.read(lambda s: s.get(Backend, other_backend).frozen) is False


def test_backup_service_rows_are_listed(vol: VolApi) -> None:
    host = f"b{uuid.uuid4().hex[:6]}"
    vol.db.write(lambda s: s.add(Service(binary="cinder-backup", host=host,
                                         created_at=utcnow(), heartbeat_at=utcnow())))
    assert by_host(listed(vol), host, "cinder-backup")["state"] == "up"


def test_services_are_for_admins(vol: VolApi, member: Member) -> None:
    for path in ("/os-services", "/os-hosts", "/scheduler-stats/get_pools",
                 f"/capabilities/{BACKEND}"):
        cinder_fault(vol.get(path, member.token), 403)
    cinder_fault(vol.put("/os-services/disable", member.token, json={
        "host": "vtest@file", "binary": "cinder-volume"}), 403)


def test_availability_zones_for_everyone(vol: VolApi, member: Member,
                                         other_backend: str) -> None:
    zones = assert_status(vol.get("/os-availability-zone", member.token),
                          200)["availabilityZoneInfo"]
    names = {z["zoneName"]: z["zoneState"] for z in zones}
    assert names["nova"] == {"available": True}
    zone = "az-" + other_backend.partition("@")[0]
    assert names[zone] == {"available": True}
    host = other_backend.partition("#")[0]
    assert_status(vol.put("/os-services/disable", json={
        "host": host, "binary": "cinder-volume"}), 200)
    zones = assert_status(vol.get("/os-availability-zone"), 200)["availabilityZoneInfo"]
    assert {z["zoneName"]: z["zoneState"] for z in zones}[zone] == {"available": False}


def test_pools_and_capabilities(vol: VolApi, other_backend: str) -> None:
    pools = assert_status(vol.get("/scheduler-stats/get_pools"), 200)["pools"]
    assert {"name": other_backend} in pools and all(set(p) == {"name"} for p in pools)
    detailed = assert_status(vol.get("/scheduler-stats/get_pools",
                                     params={"detail": "True"}), 200)["pools"]
    (mine,) = [p for p in detailed if p["name"] == other_backend]
    caps = mine["capabilities"]
    assert caps["total_capacity_gb"] == 50 and caps["free_capacity_gb"] == 30
    assert caps["allocated_capacity_gb"] == 20
    assert caps["volume_backend_name"] == "lvm" and caps["vendor_name"] == "Open Source"
    assert caps["storage_protocol"] == "iSCSI" and caps["driver_version"] == "3.0.0"
    assert caps["reserved_percentage"] == 0 and caps["thin_provisioning_support"] is False
    assert caps["multiattach"] is True and caps["timestamp"]
    # filters from 3.28; unknown filters refused from 3.33
    only = assert_status(vol.get("/scheduler-stats/get_pools", version="3.28",
                                 params={"name": other_backend}), 200)["pools"]
    assert only == [{"name": other_backend}]
    cinder_fault(vol.get("/scheduler-stats/get_pools", version="3.33",
                         params={"colour": "red"}), 400)
    for host in (other_backend, other_backend.partition("#")[0]):
        found = assert_status(vol.get(f"/capabilities/{host.replace('#', '%23')}"), 200)
        assert found["namespace"] == "OS::Storage::Capabilities::lvm"
        assert (found["vendor_name"], found["volume_backend_name"],
                found["storage_protocol"]) == ("Open Source", "lvm", "iSCSI")
        assert found["replication_targets"] == [] and found["properties"]
    cinder_fault(vol.get("/capabilities/nowhere@none"), 404, "Can't find service")


def test_hosts(vol: VolApi, vol_db, other_backend: str) -> None:
    from onestack.volume.models.volumes import Volume

    host = other_backend.partition("#")[0]
    hosts = assert_status(vol.get("/os-hosts"), 200)["hosts"]
    entry = [h for h in hosts if h["host_name"] == host][0]
    assert entry == {**entry, "service": "cinder-volume", "service-status": "available",
                     "service-state": "enabled"}
    assert any(h["service"] == "cinder-scheduler" for h in hosts)
    project = uuid.uuid4().hex
    vol_db.write(lambda s: s.add(Volume(id=str(uuid.uuid4()), project_id=project, size=3,
                                        status="available", host=other_backend,
                                        created_at=utcnow())))
    rows = assert_status(vol.get(f"/os-hosts/{host}"), 200)["host"]
    assert rows[0]["resource"] == {"host": host, "project": "(total)", "volume_count": "1",
                                   "total_volume_gb": "3", "snapshot_count": "0",
                                   "total_snapshot_gb": "0"}
    assert rows[1]["resource"]["project"] == project
    cinder_fault(vol.get("/os-hosts/nowhere@none"), 404)


def test_extensions_name_hosts(vol: VolApi, member: Member) -> None:
    found = assert_status(vol.get("/extensions", member.token), 200)["extensions"]
    assert "Hosts" in [e["name"] for e in found]
    for ext in found:
        assert set(ext) == {"name", "alias", "updated", "description", "links"}


def test_pools_of_a_volume_type(vol: VolApi, other_backend: str) -> None:
    from onestack.volume.models.types import VolumeType, VolumeTypeExtraSpec

    type_id = str(uuid.uuid4())

    def work(s) -> None:  # noqa: ANN001
        s.add(VolumeType(id=type_id, name=f"lvm-{type_id[:6]}", is_public=True,
                         created_at=utcnow()))
        s.flush()
        s.add(VolumeTypeExtraSpec(volume_type_id=type_id, key="volume_backend_name",
                                  value="lvm"))
    vol.db.write(work)
    found = assert_status(vol.get("/scheduler-stats/get_pools", version="3.35",
                                  params={"volume_type": type_id}), 200)["pools"]
    assert {"name": other_backend} in found and {"name": BACKEND} not in found
    cinder_fault(vol.get("/scheduler-stats/get_pools", version="3.35",
                         params={"volume_type": "no-such-type"}), 404)

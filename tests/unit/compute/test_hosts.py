"""Views of the admin host APIs: services, availability zones, os-hosts rows, hypervisors
and aggregates, per microversion."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from onestack.compute import models as cm
from onestack.compute.api import aggregates, hypervisors, os_services, zones
from onestack.compute.service import hosts as hostinfo
from onestack.compute.service import services
from onestack.compute.service.hosts import Service, Usage
from onestack.core.errors import BadRequest, NotFound

NOW = datetime(2024, 5, 1, 12, 0, 0)


def host(**changes) -> cm.ComputeHost:
    values = dict(id=1, uuid="1bee7f4eb7cc41f29110692430520cf0", host="compute1",
                  binary="nova-compute", zone="nova", driver="fake", disabled=False,
                  disabled_reason=None, forced_down=False, last_seen_at=NOW, vcpus=8,
                  memory_mb=16384, local_gb=100, hypervisor_type="fake",
                  host_ip="192.0.2.10", created_at=NOW - timedelta(days=2, hours=3),
                  updated_at=NOW)
    values.update(changes)
    return cm.ComputeHost(**values)


def control(binary: str, sid: int) -> Service:
    return Service(sid, hostinfo.service_uuid("ctl", binary), "ctl", binary,
                   hostinfo.INTERNAL_ZONE, False, None, False, NOW, True)


def test_compute_service_ids_and_state():
    svc = hostinfo.compute_service(host(), "az1", NOW)
    assert svc.id == 1 + hostinfo.ID_OFFSET
    assert svc.uuid == hostinfo.service_uuid("compute1", "nova-compute")
    assert (svc.zone, svc.status, svc.state) == ("az1", "enabled", "up")
    stale = hostinfo.compute_service(host(last_seen_at=NOW - timedelta(hours=1)), "nova", NOW)
    assert stale.state == "down"
    forced = hostinfo.compute_service(host(forced_down=True), "nova", NOW)
    assert forced.state == "down"


def test_service_view_by_version():
    svc = hostinfo.compute_service(host(disabled=True, disabled_reason="r"), "nova", NOW)
    v21 = os_services.service_view(svc, (2, 1))
    assert v21["id"] == 3 and "forced_down" not in v21
    assert (v21["status"], v21["disabled_reason"]) == ("disabled", "r")
    assert v21["updated_at"] == "2024-05-01T12:00:00.000000"
    assert os_services.service_view(svc, (2, 11))["forced_down"] is False
    assert os_services.service_view(svc, (2, 53))["id"] == svc.uuid


def test_filter_and_find_services():
    found = [control("nova-conductor", 1), control("nova-scheduler", 2),
             hostinfo.compute_service(host(), "nova", NOW)]
    assert [s.binary for s in os_services.filter_services(found, "ctl", None)] == \
        ["nova-conductor", "nova-scheduler"]
    assert os_services.filter_services(found, "ctl", "xxx") == []
    assert services.find(found, "3", (2, 1)).host == "compute1"
    assert services.find(found, found[0].uuid, (2, 53)).binary == "nova-conductor"
    with pytest.raises(BadRequest):
        services.find(found, "3", (2, 53))
    with pytest.raises(NotFound):
        services.find(found, "9", (2, 1))
    with pytest.raises(BadRequest):
        services.only_compute(found[0])


def test_zone_info_lists_available_and_disabled_zones():
    found = [control("nova-conductor", 1),
             hostinfo.compute_service(host(), "nova", NOW),
             hostinfo.compute_service(host(id=2, host="compute2", disabled=True), "az2", NOW)]
    brief = zones.zone_info(found, False)
    assert brief == [{"zoneName": "nova", "zoneState": {"available": True}, "hosts": None},
                     {"zoneName": "az2", "zoneState": {"available": False}, "hosts": None}]
    detail = zones.zone_info(found, True)
    assert [z["zoneName"] for z in detail] == ["internal", "nova", "az2"]
    assert detail[1]["hosts"] == {"compute1": {"nova-compute": {
        "available": True, "active": True, "updated_at": "2024-05-01T12:00:00.000000"}}}


def test_host_resources_rows():
    usage = Usage(vcpus=8, vcpus_used=3, memory_mb=16384, memory_mb_used=1024, local_gb=100,
                  local_gb_used=20)
    insts = [cm.Instance(project_id="p1", flavor={"vcpus": 1, "ram": 512, "disk": 10,
                                                  "ephemeral": 0}),
             cm.Instance(project_id="p2", flavor={"vcpus": 2, "ram": 256, "disk": 5,
                                                  "ephemeral": 5})]
    rows = [r["resource"] for r in zones.host_resources(host(), usage, insts)]
    assert [r["project"] for r in rows] == ["(total)", "(used_now)", "(used_max)", "p1", "p2"]
    assert (rows[0]["cpu"], rows[1]["memory_mb"]) == (8, 1024)
    assert (rows[2]["cpu"], rows[2]["memory_mb"], rows[2]["disk_gb"]) == (3, 768, 20)
    assert zones.topic("nova-scheduler") == "scheduler"


def test_hypervisor_detail_by_version():
    usage = Usage(vcpus=8, vcpus_used=2, memory_mb=16384, memory_mb_used=1536, local_gb=100,
                  local_gb_used=10, running_vms=2)
    v21 = hypervisors.detail(host(), usage, (2, 1), NOW)
    assert v21["id"] == 1 and v21["service"]["id"] == 3
    assert isinstance(v21["cpu_info"], str)
    assert (v21["free_ram_mb"], v21["free_disk_gb"], v21["running_vms"]) == (14848, 90, 2)
    assert isinstance(hypervisors.detail(host(), usage, (2, 28), NOW)["cpu_info"], dict)
    v253 = hypervisors.detail(host(), usage, (2, 53), NOW)
    assert v253["id"] == "1bee7f4e-b7cc-41f2-9110-692430520cf0"
    assert v253["service"]["id"] == hostinfo.service_uuid("compute1", "nova-compute")
    v288 = hypervisors.detail(host(), usage, (2, 88), NOW)
    assert "vcpus" not in v288 and "cpu_info" not in v288
    assert v288["uptime"].startswith(" 12:00:00 up 2 days,  3:00")


def test_with_servers_key():
    view: dict = {}
    hypervisors.with_servers(view, Usage(), (2, 53))
    assert "servers" not in view
    hypervisors.with_servers(view, Usage(), (2, 75))
    assert view["servers"] == []


def test_statistics_skip_disabled_hosts():
    hosts = [host(), host(id=2, host="compute2", disabled=True)]
    usage = {"compute1": Usage(vcpus=8, vcpus_used=1, memory_mb=100, memory_mb_used=10,
                               local_gb=50, local_gb_used=5, running_vms=1),
             "compute2": Usage(vcpus=4)}
    stats = hypervisors.statistics(hosts, usage)
    assert stats["count"] == 1 and stats["vcpus"] == 8
    assert (stats["free_ram_mb"], stats["disk_available_least"]) == (90, 45)


def test_aggregate_view():
    agg = cm.Aggregate(id=4, uuid="u", name="a", hosts=["h"], metadata_={
        "availability_zone": "z", "k": "v"}, created_at=NOW, updated_at=None)
    created = aggregates.aggregate_view(agg, (2, 1), full=False)
    assert created == {"id": 4, "name": "a", "availability_zone": "z",
                       "created_at": "2024-05-01T12:00:00.000000", "updated_at": None,
                       "deleted": False, "deleted_at": None}
    full = aggregates.aggregate_view(agg, (2, 41))
    assert (full["hosts"], full["metadata"]["k"], full["uuid"]) == (["h"], "v", "u")

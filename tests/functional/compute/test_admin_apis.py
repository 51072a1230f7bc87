"""The compute admin and project APIs beside servers, through the whole app: flavor access
and visibility, key pairs per user, services / hypervisors / zones / aggregates over
registered fake hosts, quotas with limits, and server groups. Every fault is Nova's."""
from __future__ import annotations

from typing import Any

import httpx
import pytest

from onestack.compute.drivers.fake import FakeDriver
from onestack.compute.reconciler import HostAgent
from onestack.core.bus import InProcessBus
from onestack.core.db import Database
from tests.support.api import Api
from tests.support.identity import Member, unique

ROOT = "/compute/v2.1"


class Nova:
    """Compute calls on the app's client, with a token and a microversion."""

    def __init__(self, api: Api, token: str):
        self.api = api
        self.token = token

    def __call__(self, method: str, path: str, version: str = "2.1", token: str | None = None,
                 **kw: Any) -> httpx.Response:
        headers = {"X-Auth-Token": token or self.token,
                   "OpenStack-API-Version": f"compute {version}"}
        return self.api.http.request(method, ROOT + path, headers=headers, **kw)


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text[:800]
    return response.json() if response.content else {}


def fault(response: httpx.Response, status: int, name: str) -> str:
    assert response.status_code == status, response.text[:800]
    body = response.json()
    assert list(body) == [name] and body[name]["code"] == status, body
    return body[name]["message"]


@pytest.fixture(scope="module")
def nova(api: Api, admin_token: str) -> Nova:
    return Nova(api, admin_token)


@pytest.fixture(scope="module")
def hosts(db_url: str) -> list[str]:
    """Two registered fake compute hosts with fresh heartbeats."""
    db = Database(db_url)
    names = [unique("host"), unique("host")]
    try:
        for name in names:
            HostAgent(db, InProcessBus(), name, FakeDriver(name, None, 0.0), "nova").register()
    finally:
        db.dispose()
    return names


def test_private_flavor_needs_access(nova: Nova, member: Member):
    name = unique("flavor")
    flavor = ok(nova("POST", "/flavors", json={"flavor": {
        "name": name, "ram": "256", "vcpus": 1, "disk": 1,
        "os-flavor-access:is_public": "False"}}))["flavor"]
    fid = flavor["id"]
    assert flavor["swap"] == "" and flavor["os-flavor-access:is_public"] is False
    fault(nova("POST", "/flavors", json={"flavor": {"name": name, "ram": 1, "vcpus": 1,
                                                    "disk": 0}}), 409, "conflictingRequest")
    listed = ok(nova("GET", "/flavors/detail", token=member.token))["flavors"]
    assert fid not in [f["id"] for f in listed]
    fault(nova("GET", f"/flavors/{fid}", token=member.token), 404, "itemNotFound")
    fault(nova("POST", f"/flavors/{fid}/action", token=member.token,
               json={"addTenantAccess": {"tenant": member.project["id"]}}), 403, "forbidden")
    access = ok(nova("POST", f"/flavors/{fid}/action",
                     json={"addTenantAccess": {"tenant": member.project["id"]}}))
    assert access == {"flavor_access": [{"flavor_id": fid,
                                         "tenant_id": member.project["id"]}]}
    assert ok(nova("GET", f"/flavors/{fid}", token=member.token))["flavor"]["name"] == name
    assert fid in [f["id"] for f in ok(nova("GET", "/flavors", token=member.token))["flavors"]]
    ok(nova("DELETE", f"/flavors/{fid}"), 202)
    fault(nova("GET", f"/flavors/{fid}"), 404, "itemNotFound")


def test_flavor_extra_specs(nova: Nova, member: Member):
    fid = ok(nova("POST", "/flavors", json={"flavor": {
        "name": unique("flavor"), "ram": 64, "vcpus": 1, "disk": 0}}))["flavor"]["id"]
    specs = {"hw:numa_nodes": "1", "hw:cpu_policy": "shared"}
    assert ok(nova("POST", f"/flavors/{fid}/os-extra_specs",
                   json={"extra_specs": specs}))["extra_specs"] == specs
    fault(nova("PUT", f"/flavors/{fid}/os-extra_specs/hw:numa_nodes",
               json={"hw:cpu_policy": "shared"}), 400, "badRequest")
    assert ok(nova("GET", f"/flavors/{fid}/os-extra_specs/hw:numa_nodes",
                   token=member.token)) == {"hw:numa_nodes": "1"}
    shown = ok(nova("GET", f"/flavors/{fid}", "2.61", token=member.token))["flavor"]
    assert shown["extra_specs"] == specs and shown["description"] is None
    fault(nova("DELETE", f"/flavors/{fid}/os-extra_specs/nope"), 404, "itemNotFound")
    ok(nova("DELETE", f"/flavors/{fid}"), 202)


def test_keypairs_are_per_user(nova: Nova, member: Member, make_project_member):
    other = make_project_member(project=member.project)
    made = ok(nova("POST", "/os-keypairs", "2.2", token=member.token,
                   json={"keypair": {"name": "k1"}}), 201)["keypair"]
    assert made["private_key"].startswith("-----BEGIN RSA PRIVATE KEY-----")
    assert made["type"] == "ssh" and len(made["fingerprint"].split(":")) == 16
    fault(nova("POST", "/os-keypairs", token=member.token,
               json={"keypair": {"name": "k1"}}), 409, "conflictingRequest")
    assert ok(nova("GET", "/os-keypairs", token=other.token)) == {"keypairs": []}
    fault(nova("GET", "/os-keypairs/k1", token=other.token), 404, "itemNotFound")
    fault(nova("GET", f"/os-keypairs?user_id={member.user['id']}", "2.10",
               token=other.token), 403, "forbidden")
    shown = ok(nova("GET", f"/os-keypairs/k1?user_id={member.user['id']}", "2.10"))
    assert shown["keypair"]["user_id"] == member.user["id"]
    ok(nova("DELETE", "/os-keypairs/k1", "2.2", token=member.token), 204)


def test_services_hypervisors_and_zones(nova: Nova, hosts: list[str], member: Member):
    services = ok(nova("GET", "/os-services?binary=nova-compute"))["services"]
    mine = {s["host"]: s for s in services if s["host"] in hosts}
    assert set(mine) == set(hosts)
    assert all(s["state"] == "up" and s["status"] == "enabled" for s in mine.values())
    fault(nova("GET", "/os-services", token=member.token), 403, "forbidden")
    body = {"host": hosts[0], "binary": "nova-compute", "disabled_reason": "maintenance"}
    assert ok(nova("PUT", "/os-services/disable-log-reason", json=body))["service"] == {
        **body, "status": "disabled"}
    listed = ok(nova("GET", f"/os-services?host={hosts[0]}", "2.53"))["services"]
    (svc,) = listed
    assert svc["status"] == "disabled" and svc["disabled_reason"] == "maintenance"
    updated = ok(nova("PUT", f"/os-services/{svc['id']}", "2.53",
                      json={"status": "enabled"}))["service"]
    assert updated["status"] == "enabled" and updated["disabled_reason"] is None

    hypers = ok(nova("GET", "/os-hypervisors/detail"))["hypervisors"]
    mine_h = [h for h in hypers if h["hypervisor_hostname"] in hosts]
    assert len(mine_h) == 2 and all(h["vcpus"] > 0 for h in mine_h)
    one = ok(nova("GET", f"/os-hypervisors/{mine_h[0]['id']}"))["hypervisor"]
    assert one["service"]["host"] == one["hypervisor_hostname"]
    fault(nova("GET", "/os-hypervisors/nope/search"), 404, "itemNotFound")
    assert ok(nova("GET", "/os-hypervisors/statistics"))["hypervisor_statistics"]["count"] >= 2

    zones = ok(nova("GET", "/os-availability-zone", token=member.token))
    assert {"zoneName": "nova", "zoneState": {"available": True}, "hosts": None} in \
        zones["availabilityZoneInfo"]
    fault(nova("GET", "/os-availability-zone/detail", token=member.token), 403, "forbidden")


def test_aggregate_zones(nova: Nova, hosts: list[str]):
    zone = unique("az")
    agg = ok(nova("POST", "/os-aggregates", "2.41", json={"aggregate": {
        "name": unique("agg"), "availability_zone": zone}}))["aggregate"]
    assert agg["availability_zone"] == zone and "hosts" not in agg
    added = ok(nova("POST", f"/os-aggregates/{agg['id']}/action",
                    json={"add_host": {"host": hosts[1]}}))["aggregate"]
    assert added["hosts"] == [hosts[1]]
    fault(nova("POST", f"/os-aggregates/{agg['id']}/action",
               json={"add_host": {"host": hosts[1]}}), 409, "conflictingRequest")
    other = ok(nova("POST", "/os-aggregates", json={"aggregate": {
        "name": unique("agg"), "availability_zone": unique("az")}}))["aggregate"]
    fault(nova("POST", f"/os-aggregates/{other['id']}/action",
               json={"add_host": {"host": hosts[1]}}), 409, "conflictingRequest")
    fault(nova("POST", f"/os-aggregates/{other['id']}/action",
               json={"add_host": {"host": "no-such-host"}}), 404, "itemNotFound")
    detail = ok(nova("GET", "/os-availability-zone/detail"))["availabilityZoneInfo"]
    (entry,) = [z for z in detail if z["zoneName"] == zone]
    assert list(entry["hosts"]) == [hosts[1]]
    fault(nova("DELETE", f"/os-aggregates/{agg['id']}"), 400, "badRequest")
    ok(nova("POST", f"/os-aggregates/{agg['id']}/action",
            json={"remove_host": {"host": hosts[1]}}))
    ok(nova("DELETE", f"/os-aggregates/{agg['id']}"))
    ok(nova("DELETE", f"/os-aggregates/{other['id']}"))
    fault(nova("GET", f"/os-aggregates/{agg['id']}"), 404, "itemNotFound")


def test_quotas_and_limits(nova: Nova, member: Member):
    pid = member.project["id"]
    fault(nova("PUT", f"/os-quota-sets/{pid}", token=member.token,
               json={"quota_set": {"ram": 0}}), 403, "forbidden")
    updated = ok(nova("PUT", f"/os-quota-sets/{pid}", json={"quota_set": {
        "server_groups": "1", "cores": 7}}))["quota_set"]
    assert (updated["server_groups"], updated["cores"]) == (1, 7) and "id" not in updated
    shown = ok(nova("GET", f"/os-quota-sets/{pid}", "2.57", token=member.token))["quota_set"]
    assert shown["id"] == pid and "injected_files" not in shown and shown["cores"] == 7
    absolute = ok(nova("GET", "/limits", token=member.token))["limits"]["absolute"]
    assert absolute["maxTotalCores"] == 7 and absolute["totalCoresUsed"] == 0

    body = {"server_group": {"name": "g", "policies": ["anti-affinity"]}}
    group = ok(nova("POST", "/os-server-groups", token=member.token, json=body))
    assert group["server_group"]["policies"] == ["anti-affinity"]
    fault(nova("POST", "/os-server-groups", token=member.token, json=body), 403, "forbidden")
    detail = ok(nova("GET", f"/os-quota-sets/{pid}/detail", token=member.token))
    assert detail["quota_set"]["server_groups"] == {"limit": 1, "in_use": 1, "reserved": 0}
    gid = group["server_group"]["id"]
    shown_group = ok(nova("GET", f"/os-server-groups/{gid}", "2.64", token=member.token))
    assert shown_group["server_group"]["policy"] == "anti-affinity"
    ok(nova("DELETE", f"/os-server-groups/{gid}", token=member.token), 204)
    ok(nova("DELETE", f"/os-quota-sets/{pid}"), 202)
    assert ok(nova("GET", f"/os-quota-sets/{pid}"))["quota_set"]["cores"] == 20

"""``/v2.0/quotas``: Neutron's defaults, admin-set limits, usage details, the 409 OverQuota
on create, and a limit two racing replicas cannot pass together."""
from __future__ import annotations

import threading
import time

import pytest

from onestack.network.service import quotas as quota_service
from tests.functional.network.conftest import NetApi, neutron_fault
from tests.support.api import assert_status

DEFAULTS = {"network": 100, "subnet": 100, "subnetpool": -1, "port": 500, "router": 10,
            "floatingip": 50, "security_group": 10, "security_group_rule": 100,
            "rbac_policy": 10}


def test_defaults_show_update_reset(net: NetApi, member) -> None:
    project = member.project["id"]
    assert assert_status(net.get(f"/quotas/{project}"), 200)["quota"] == DEFAULTS
    assert assert_status(net.get(f"/quotas/{project}/default"), 200)["quota"] == DEFAULTS
    changed = assert_status(net.put(f"/quotas/{project}", json={
        "quota": {"network": 7, "port": "-1"}}), 200)["quota"]
    assert changed == {**DEFAULTS, "network": 7, "port": -1}
    # the project reads its own quota; only an admin changes it
    assert assert_status(net.get(f"/quotas/{project}", member.token),
                         200)["quota"]["network"] == 7
    neutron_fault(net.put(f"/quotas/{project}", member.token,
                          json={"quota": {"network": 1000}}), 403)
    listed = assert_status(net.get("/quotas"), 200)["quotas"]
    mine = [q for q in listed if q["project_id"] == project]
    assert mine == [{**DEFAULTS, "network": 7, "port": -1, "project_id": project,
                     "tenant_id": project}]
    neutron_fault(net.get("/quotas", member.token), 403)
    neutron_fault(net.delete(f"/quotas/{project}", member.token), 403)
    assert_status(net.delete(f"/quotas/{project}"), 204)
    assert assert_status(net.get(f"/quotas/{project}"), 200)["quota"] == DEFAULTS
    assert project not in {q["project_id"] for q in
                           assert_status(net.get("/quotas"), 200)["quotas"]}


def test_other_projects_quota_is_forbidden(net: NetApi, member, make_project_member) -> None:
    other = make_project_member()
    neutron_fault(net.get(f"/quotas/{other.project['id']}", member.token), 403)
    neutron_fault(net.get(f"/quotas/{other.project['id']}/details", member.token), 403)


@pytest.mark.parametrize("body", [{"network": -2}, {"network": "many"}, {"bogus": 1},
                                  {"network": True}, "nope"])
def test_bad_quota_values_are_400(net: NetApi, member, body) -> None:
    neutron_fault(net.put(f"/quotas/{member.project['id']}", json={"quota": body}), 400)


def test_over_quota_and_details(net: NetApi, member) -> None:
    project = member.project["id"]
    assert_status(net.put(f"/quotas/{project}", json={"quota": {"network": 2}}), 200)
    net.network(member.token)
    net.network(member.token)
    error = neutron_fault(net.post("/networks", member.token, json={"network": {}}), 409,
                          "OverQuota")
    assert error["message"] == "Quota exceeded for resources: ['network']."
    # a bulk create that would pass the limit makes nothing
    assert_status(net.put(f"/quotas/{project}", json={"quota": {"network": 3}}), 200)
    neutron_fault(net.post("/networks", member.token, json={"networks": [{}, {}]}), 409,
                  "OverQuota")
    details = assert_status(net.get(f"/quotas/{project}/details", member.token),
                            200)["quota"]
    assert details["network"] == {"limit": 3, "used": 2, "reserved": 0}
    assert details["router"] == {"limit": 10, "used": 0, "reserved": 0}
    assert set(details) == set(DEFAULTS)
    # an admin creating in the project is counted against it too
    net.network(project_id=project)
    neutron_fault(net.post("/networks", json={"network": {"project_id": project}}), 409,
                  "OverQuota")
    assert_status(net.put(f"/quotas/{project}", json={"quota": {"network": -1}}), 200)
    net.network(member.token)


def test_racing_replicas_cannot_pass_a_quota(net: NetApi, member, make_api,
                                             monkeypatch) -> None:
    """Two replicas, ten creates at once, a quota of 3: the count-then-insert window is
    widened so that, without the project lock, every creator would see room."""
    project = member.project["id"]
    assert_status(net.put(f"/quotas/{project}", json={"quota": {"network": 3}}), 200)
    real_usage = quota_service.usage

    def slow_usage(*args, **kwargs):
        used = real_usage(*args, **kwargs)
        time.sleep(0.1)
        return used
    monkeypatch.setattr(quota_service, "usage", slow_usage)
    replicas = [NetApi(make_api(), net.admin) for _ in range(2)]
    statuses: list[int] = []
    barrier = threading.Barrier(10)

    def create(n: int) -> None:
        barrier.wait()
        r = replicas[n % 2].post("/networks", member.token,
                                 json={"network": {"name": f"q-{n}"}})
        statuses.append(r.status_code)
    threads = [threading.Thread(target=create, args=(n,)) for n in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    monkeypatch.setattr(quota_service, "usage", real_usage)
    mine = assert_status(net.get("/networks", member.token, params={"project_id": project}),
                         200)["networks"]
    assert len(mine) == 3 and statuses.count(201) == 3, statuses
    assert sorted(statuses) == [201] * 3 + [409] * 7

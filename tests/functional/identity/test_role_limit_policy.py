"""Keystone 30's policy defaults for reading roles, implied roles and limits: roles and role
inferences are for admins and system readers (and a domain manager may read the roles it may
hand out); a project limit is read by its project, not by another project's member."""
from __future__ import annotations

import pytest

from tests.support.api import assert_fault, assert_status
from tests.support.identity import unique


@pytest.fixture(scope="module")
def inference(cloud):
    prior, implied = cloud.make_role(), cloud.make_role()
    assert_status(cloud.api.put(f"/v3/roles/{prior['id']}/implies/{implied['id']}",
                                token=cloud.admin_token), 201)
    return prior, implied


def role_reads(prior, implied):
    return [f"/v3/roles", f"/v3/roles/{prior['id']}", f"/v3/roles/{prior['id']}/implies",
            f"/v3/roles/{prior['id']}/implies/{implied['id']}", "/v3/role_inferences"]


def test_project_member_and_reader_cannot_read_roles(api, cloud, member, inference):
    reader = cloud.make_project_member("reader")
    for path in role_reads(*inference):
        assert_status(api.get(path, token=cloud.admin_token), 200)
        assert_fault(api.get(path, token=member.token), 403)
        assert_fault(api.get(path, token=reader.token), 403)


def test_domain_manager_reads_the_roles_it_may_assign(api, cloud):
    domain = cloud.make_domain()
    user = cloud.make_user(password="manager-pw", domain_id=domain["id"])
    cloud.grant("manager", user=user["id"], domain=domain["id"])
    token = cloud.login(user, "manager-pw", {"domain": {"id": domain["id"]}})
    names = {r["name"] for r in assert_status(api.get("/v3/roles", token=token), 200)["roles"]}
    assert {"member", "reader", "manager"} <= names
    assert_status(api.get(f"/v3/roles/{cloud.role_id('member')}", token=token), 200)
    assert_fault(api.get(f"/v3/roles/{cloud.role_id('admin')}", token=token), 403)


def test_a_project_limit_is_read_by_its_project_only(api, cloud, member):
    t = cloud.admin_token
    service = assert_status(api.post("/v3/services", token=t, json={"service": {
        "type": unique("policy-svc")}}), 201)["service"]["id"]
    assert_status(api.post("/v3/registered_limits", token=t, json={"registered_limits": [
        {"service_id": service, "resource_name": "cores", "default_limit": 5}]}), 201)
    limit = assert_status(api.post("/v3/limits", token=t, json={"limits": [
        {"service_id": service, "project_id": member.project["id"], "resource_name": "cores",
         "resource_limit": 2}]}), 201)["limits"][0]
    url = f"/v3/limits/{limit['id']}"
    assert assert_status(api.get(url, token=member.token), 200)["limit"]["id"] == limit["id"]
    other = cloud.make_project_member()
    assert_fault(api.get(url, token=other.token), 403)
    assert_status(api.get(url, token=t), 200)

"""``/v2.0/rbac-policies``: sharing a network with one project (it sees it, uses it, and
cannot lose it while its ports depend on it), ``*`` as the ``shared`` flag, and who may
make which policy."""
from __future__ import annotations

from tests.functional.network.conftest import NetApi, neutron_fault
from tests.support.api import assert_status


def policy_body(net_id: str, target: str, action: str = "access_as_shared") -> dict:
    return {"rbac_policy": {"object_type": "network", "object_id": net_id,
                            "action": action, "target_tenant": target}}


def visible(net: NetApi, token: str, net_id: str) -> bool:
    return net.get(f"/networks/{net_id}", token).status_code == 200


def test_share_with_one_project(net: NetApi, member, make_project_member) -> None:
    owner, other = member, make_project_member()
    made = net.network(owner.token)
    assert not visible(net, other.token, made["id"])
    policy = assert_status(net.post("/rbac-policies", owner.token,
                                    json=policy_body(made["id"], other.project["id"])),
                           201)["rbac_policy"]
    assert policy["target_tenant"] == policy["target_project"] == other.project["id"]
    assert policy["project_id"] == policy["tenant_id"] == owner.project["id"]
    assert set(policy) == {"id", "project_id", "tenant_id", "object_type", "object_id",
                           "action", "target_tenant", "target_project"}
    assert visible(net, other.token, made["id"])
    # shared, as the target sees it; not to its owner
    assert assert_status(net.get(f"/networks/{made['id']}", other.token),
                         200)["network"]["shared"] is True
    assert assert_status(net.get(f"/networks/{made['id']}", owner.token),
                         200)["network"]["shared"] is False
    assert made["id"] in {n["id"] for n in assert_status(
        net.get("/networks", other.token), 200)["networks"]}
    # the target does not see the owner's policy; a second identical one is a 409
    neutron_fault(net.get(f"/rbac-policies/{policy['id']}", other.token), 404,
                  "RbacPolicyNotFound")
    neutron_fault(net.post("/rbac-policies", owner.token,
                           json=policy_body(made["id"], other.project["id"])), 409,
                  "DuplicateRbacPolicy")
    listed = assert_status(net.get("/rbac-policies", owner.token,
                                   params={"object_id": made["id"]}), 200)["rbac_policies"]
    assert [p["id"] for p in listed] == [policy["id"]]
    assert_status(net.delete(f"/rbac-policies/{policy['id']}", owner.token), 204)
    assert not visible(net, other.token, made["id"])


def test_wildcard_is_the_shared_flag(net: NetApi, member) -> None:
    made = net.network()
    body = policy_body(made["id"], "*")
    neutron_fault(net.post("/rbac-policies", member.token, json=body), 403)
    policy = assert_status(net.post("/rbac-policies", json=body), 201)["rbac_policy"]
    assert assert_status(net.get(f"/networks/{made['id']}"), 200)["network"]["shared"]
    assert visible(net, member.token, made["id"])
    assert_status(net.delete(f"/rbac-policies/{policy['id']}"), 204)
    assert not assert_status(net.get(f"/networks/{made['id']}"), 200)["network"]["shared"]
    # and the flag makes and removes the policy
    assert_status(net.put(f"/networks/{made['id']}", json={"network": {"shared": True}}),
                  200)
    wild = assert_status(net.get("/rbac-policies", params={"object_id": made["id"]}),
                         200)["rbac_policies"]
    assert [(p["target_tenant"], p["action"]) for p in wild] == [("*", "access_as_shared")]
    assert_status(net.put(f"/networks/{made['id']}", json={"network": {"shared": False}}),
                  200)
    assert assert_status(net.get("/rbac-policies", params={"object_id": made["id"]}),
                         200)["rbac_policies"] == []
    shared = net.network(shared=True)
    assert len(assert_status(net.get("/rbac-policies", params={"object_id": shared["id"]}),
                             200)["rbac_policies"]) == 1
    assert_status(net.delete(f"/networks/{shared['id']}"), 204)
    assert assert_status(net.get("/rbac-policies", params={"object_id": shared["id"]}),
                         200)["rbac_policies"] == []


def test_external_to_one_project(net: NetApi, member) -> None:
    made = net.network()
    policy = assert_status(net.post("/rbac-policies", json=policy_body(
        made["id"], member.project["id"], "access_as_external")), 201)["rbac_policy"]
    assert visible(net, member.token, made["id"])
    assert not assert_status(net.get(f"/networks/{made['id']}"),
                             200)["network"]["router:external"]
    assert_status(net.put(f"/rbac-policies/{policy['id']}",
                          json={"rbac_policy": {"target_tenant": "*"}}), 200)
    assert assert_status(net.get(f"/networks/{made['id']}"),
                         200)["network"]["router:external"]


def test_only_owner_or_admin_and_only_admin_wildcards(net: NetApi, member,
                                                     make_project_member) -> None:
    other = make_project_member()
    shared = net.network(shared=True)
    error = neutron_fault(net.post("/rbac-policies", member.token, json=policy_body(
        shared["id"], other.project["id"])), 400, "InvalidInput")
    assert "Only admins can manipulate policies on networks they do not own" in \
        error["message"]
    mine = net.network(member.token)
    neutron_fault(net.post("/rbac-policies", member.token, json=policy_body(mine["id"], "*")),
                  403)
    # an admin may share anyone's network
    assert_status(net.post("/rbac-policies", json=policy_body(mine["id"],
                                                              other.project["id"])), 201)


def test_bad_policies_are_400(net: NetApi) -> None:
    made = net.network()
    neutron_fault(net.post("/rbac-policies", json=policy_body(made["id"], "not-a-project")),
                  400, "InvalidInput")
    neutron_fault(net.post("/rbac-policies", json=policy_body(made["id"], "*", "eat")), 400,
                  "InvalidActionForType")
    body = policy_body(made["id"], "*")
    body["rbac_policy"]["object_type"] = "volume"
    neutron_fault(net.post("/rbac-policies", json=body), 400, "InvalidInput")
    neutron_fault(net.post("/rbac-policies", json={"rbac_policy": {
        "object_type": "network", "object_id": made["id"], "action": "access_as_shared"}}),
        400)
    neutron_fault(net.post("/rbac-policies", json=policy_body(
        "0b7c5e0d-1111-4222-8333-944455556666", "*")), 404, "NetworkNotFound")
    neutron_fault(net.get("/rbac-policies/0b7c5e0d-1111-4222-8333-944455556666"), 404,
                  "RbacPolicyNotFound")


def test_policy_in_use_by_ports_is_409(net: NetApi, member, make_project_member) -> None:
    other = make_project_member()
    made = net.network(member.token)
    policy = assert_status(net.post("/rbac-policies", member.token, json=policy_body(
        made["id"], other.project["id"])), 201)["rbac_policy"]
    port = net.create("ports", "port", other.token, network_id=made["id"])
    neutron_fault(net.delete(f"/rbac-policies/{policy['id']}", member.token), 409,
                  "RbacPolicyInUse")
    neutron_fault(net.put(f"/rbac-policies/{policy['id']}", member.token, json={
        "rbac_policy": {"target_tenant": member.project["id"]}}), 409, "RbacPolicyInUse")
    # a wildcard covers the project: then the targeted policy may go
    wild = assert_status(net.post("/rbac-policies", json=policy_body(made["id"], "*")),
                         201)["rbac_policy"]
    assert_status(net.delete(f"/rbac-policies/{policy['id']}", member.token), 204)
    neutron_fault(net.delete(f"/rbac-policies/{wild['id']}"), 409, "RbacPolicyInUse")
    assert_status(net.delete(f"/ports/{port['id']}", other.token), 204)
    assert_status(net.delete(f"/rbac-policies/{wild['id']}"), 204)


def test_other_object_types(net: NetApi, member, make_project_member) -> None:
    """Security groups, address scopes and subnet pools are shared the same way."""
    other = make_project_member()
    group = net.create("security-groups", "security_group", member.token, name="g")
    path = f"/security-groups/{group['id']}"
    neutron_fault(net.get(path, other.token), 404)
    body = {"rbac_policy": {"object_type": "security_group", "object_id": group["id"],
                            "action": "access_as_shared",
                            "target_tenant": other.project["id"]}}
    policy = assert_status(net.post("/rbac-policies", member.token, json=body),
                           201)["rbac_policy"]
    assert assert_status(net.get(path, other.token), 200)["security_group"]["id"] == \
        group["id"]
    body["rbac_policy"]["action"] = "access_as_external"
    neutron_fault(net.post("/rbac-policies", member.token, json=body), 400,
                  "InvalidActionForType")
    assert_status(net.delete(f"/rbac-policies/{policy['id']}", member.token), 204)
    neutron_fault(net.get(path, other.token), 404)
    scope = net.create("address-scopes", "address_scope", name="s", ip_version=4)
    assert_status(net.post("/rbac-policies", json={"rbac_policy": {
        "object_type": "address_scope", "object_id": scope["id"],
        "action": "access_as_shared", "target_tenant": "*"}}), 201)
    assert assert_status(net.get(f"/address-scopes/{scope['id']}", other.token),
                         200)["address_scope"]["shared"] is True
    pool = net.create("subnetpools", "subnetpool", member.token, name="p",
                      prefixes=["10.199.0.0/16"], default_prefixlen=24)
    neutron_fault(net.get(f"/subnetpools/{pool['id']}", other.token), 404)
    assert_status(net.post("/rbac-policies", member.token, json={"rbac_policy": {
        "object_type": "subnetpool", "object_id": pool["id"],
        "action": "access_as_shared", "target_tenant": other.project["id"]}}), 201)
    assert_status(net.get(f"/subnetpools/{pool['id']}", other.token), 200)
    addresses = net.create("address-groups", "address_group", member.token, name="a",
                           addresses=["10.0.0.1/32"])
    neutron_fault(net.get(f"/address-groups/{addresses['id']}", other.token), 404)
    assert_status(net.post("/rbac-policies", member.token, json={"rbac_policy": {
        "object_type": "address_group", "object_id": addresses["id"],
        "action": "access_as_shared", "target_tenant": other.project["id"]}}), 201)
    assert_status(net.get(f"/address-groups/{addresses['id']}", other.token), 200)

"""QoS policies and rules: admin-made policies, visibility (own, shared, RBAC), rules per
type with their checks and conflicts, the rule aliases and rule types, the project's
default policy, and networks' qos_policy_id."""
from __future__ import annotations

from tests.functional.network.conftest import NetApi, neutron_fault
from tests.support.api import assert_status

P = "/qos/policies"


def policy(net: NetApi, **attrs) -> dict:
    attrs.setdefault("name", "qos")
    return net.create("qos/policies", "policy", **attrs)


def test_policy_crud_and_visibility(net: NetApi, member, make_project_member) -> None:
    other = make_project_member()
    mine = policy(net, project_id=member.project["id"], description="d")
    assert (mine["shared"], mine["is_default"], mine["rules"]) == (False, False, [])
    assert mine["project_id"] == member.project["id"] and mine["revision_number"] == 0
    shared = policy(net, shared=True)
    neutron_fault(net.post(P, member.token, json={"policy": {"name": "x"}}), 403)
    assert assert_status(net.get(f"{P}/{mine['id']}", member.token), 200)
    assert assert_status(net.get(f"{P}/{shared['id']}", other.token), 200)
    neutron_fault(net.get(f"{P}/{mine['id']}", other.token), 404, "QosPolicyNotFound")
    listed = {p["id"] for p in assert_status(net.get(P, other.token), 200)["policies"]}
    assert shared["id"] in listed and mine["id"] not in listed
    neutron_fault(net.put(f"{P}/{mine['id']}", member.token,
                          json={"policy": {"name": "x"}}), 403)
    # shared with the other project by an RBAC policy
    assert_status(net.post("/rbac-policies", json={"rbac_policy": {
        "object_type": "qos_policy", "object_id": mine["id"], "action": "access_as_shared",
        "target_tenant": other.project["id"]}}), 201)
    assert assert_status(net.get(f"{P}/{mine['id']}", other.token), 200)
    renamed = assert_status(net.put(f"{P}/{mine['id']}", json={"policy": {"name": "r"}}),
                            200)["policy"]
    assert renamed["name"] == "r" and renamed["revision_number"] == 1
    assert_status(net.delete(f"{P}/{mine['id']}"), 204)
    neutron_fault(net.get(f"{P}/{mine['id']}"), 404, "QosPolicyNotFound")
    assert assert_status(net.get("/rbac-policies", params={"object_id": mine["id"]}),
                         200)["rbac_policies"] == []


def test_rules(net: NetApi, member) -> None:
    pol = policy(net, shared=True)
    base = f"{P}/{pol['id']}"
    bw = assert_status(net.post(f"{base}/bandwidth_limit_rules", json={
        "bandwidth_limit_rule": {"max_kbps": 1000}}), 201)["bandwidth_limit_rule"]
    assert bw == {"id": bw["id"], "max_kbps": 1000, "max_burst_kbps": 0,
                  "direction": "egress"}
    neutron_fault(net.post(f"{base}/bandwidth_limit_rules", json={
        "bandwidth_limit_rule": {"max_kbps": 5}}), 409, "QoSRulesConflict")
    ingress = assert_status(net.post(f"{base}/bandwidth_limit_rules", json={
        "bandwidth_limit_rule": {"max_kbps": 500, "max_burst_kbps": 50,
                                 "direction": "ingress"}}), 201)["bandwidth_limit_rule"]
    dscp = assert_status(net.post(f"{base}/dscp_marking_rules", json={
        "dscp_marking_rule": {"dscp_mark": 26}}), 201)["dscp_marking_rule"]
    assert dscp == {"id": dscp["id"], "dscp_mark": 26}
    # a minimum above the limit of its direction conflicts
    neutron_fault(net.post(f"{base}/minimum_bandwidth_rules", json={
        "minimum_bandwidth_rule": {"min_kbps": 2000}}), 409, "QoSRuleParameterConflict")
    minimum = assert_status(net.post(f"{base}/minimum_bandwidth_rules", json={
        "minimum_bandwidth_rule": {"min_kbps": 100}}), 201)["minimum_bandwidth_rule"]
    neutron_fault(net.put(f"{base}/bandwidth_limit_rules/{bw['id']}", json={
        "bandwidth_limit_rule": {"max_kbps": 50}}), 409, "QoSRuleParameterConflict")
    changed = assert_status(net.put(f"{base}/bandwidth_limit_rules/{bw['id']}", json={
        "bandwidth_limit_rule": {"max_kbps": 3000}}), 200)["bandwidth_limit_rule"]
    assert changed["max_kbps"] == 3000 and changed["direction"] == "egress"
    shown = assert_status(net.get(base), 200)["policy"]
    assert shown["revision_number"] == 5
    assert sorted((r["type"], r["id"]) for r in shown["rules"]) == sorted([
        ("bandwidth_limit", bw["id"]), ("bandwidth_limit", ingress["id"]),
        ("dscp_marking", dscp["id"]), ("minimum_bandwidth", minimum["id"])])
    assert all(r["qos_policy_id"] == pol["id"] for r in shown["rules"])
    listed = assert_status(net.get(f"{base}/bandwidth_limit_rules", member.token),
                           200)["bandwidth_limit_rules"]
    assert {r["id"] for r in listed} == {bw["id"], ingress["id"]}
    assert [r["id"] for r in assert_status(net.get(f"{base}/bandwidth_limit_rules", params={
        "direction": "ingress"}), 200)["bandwidth_limit_rules"]] == [ingress["id"]]
    neutron_fault(net.post(f"{base}/dscp_marking_rules", member.token, json={
        "dscp_marking_rule": {"dscp_mark": 8}}), 403)
    # the aliases reach a rule by its id alone
    alias = f"/qos/alias_dscp_marking_rules/{dscp['id']}"
    assert assert_status(net.get(alias), 200)["dscp_marking_rule"]["dscp_mark"] == 26
    assert assert_status(net.put(alias, json={"dscp_marking_rule": {"dscp_mark": 46}}),
                         200)["dscp_marking_rule"]["dscp_mark"] == 46
    neutron_fault(net.get(f"/qos/alias_bandwidth_limit_rules/{dscp['id']}"), 404,
                  "QosRuleNotFound")
    assert_status(net.delete(alias), 204)
    neutron_fault(net.get(f"{base}/dscp_marking_rules/{dscp['id']}"), 404,
                  "QosRuleNotFound")
    assert_status(net.delete(f"{base}/bandwidth_limit_rules/{ingress['id']}"), 204)


def test_bad_rules_are_400(net: NetApi) -> None:
    base = f"{P}/{policy(net)['id']}"
    for collection, body in (
            ("bandwidth_limit_rules", {}),
            ("bandwidth_limit_rules", {"max_kbps": -1}),
            ("bandwidth_limit_rules", {"max_kbps": "fast"}),
            ("bandwidth_limit_rules", {"max_kbps": 1, "direction": "up"}),
            ("bandwidth_limit_rules", {"max_kbps": 1, "bogus": 1}),
            ("bandwidth_limit_rules", {"max_kbps": 1, "id": "x"}),
            ("dscp_marking_rules", {"dscp_mark": 7}),
            ("minimum_bandwidth_rules", {"min_kbps": 1, "direction": "sideways"})):
        neutron_fault(net.post(f"{base}/{collection}", json={collection[:-1]: body}), 400)
    neutron_fault(net.post(f"{P}/0b7c5e0d-1111-4222-8333-944455556666/dscp_marking_rules",
                           json={"dscp_marking_rule": {"dscp_mark": 8}}), 404,
                  "QosPolicyNotFound")


def test_rule_types(net: NetApi, member) -> None:
    types = assert_status(net.get("/qos/rule-types", member.token), 200)["rule_types"]
    assert sorted(t["type"] for t in types) == ["bandwidth_limit", "dscp_marking",
                                                "minimum_bandwidth"]
    shown = assert_status(net.get("/qos/rule-types/dscp_marking"), 200)["rule_type"]
    assert shown["type"] == "dscp_marking"
    neutron_fault(net.get("/qos/rule-types/nope"), 404)


def test_default_policy_and_networks(net: NetApi, member) -> None:
    project = member.project["id"]
    first = policy(net, project_id=project, is_default=True)
    neutron_fault(net.post(P, json={"policy": {"project_id": project, "is_default": True}}),
                  409, "QoSPolicyDefaultAlreadyExists")
    second = policy(net, project_id=project)
    neutron_fault(net.put(f"{P}/{second['id']}", json={"policy": {"is_default": True}}), 409,
                  "QoSPolicyDefaultAlreadyExists")
    # new networks get the default; naming one (or none) wins
    assert net.network(member.token)["qos_policy_id"] == first["id"]
    assert net.network(member.token, qos_policy_id=second["id"])["qos_policy_id"] == \
        second["id"]
    assert net.network(member.token, qos_policy_id=None)["qos_policy_id"] is None
    hidden = policy(net)
    neutron_fault(net.post("/networks", member.token, json={"network": {
        "qos_policy_id": hidden["id"]}}), 404, "QosPolicyNotFound")
    made = net.network(member.token, qos_policy_id=None)
    neutron_fault(net.put(f"/networks/{made['id']}", member.token, json={"network": {
        "qos_policy_id": hidden["id"]}}), 404, "QosPolicyNotFound")
    # a policy in use cannot go
    error = neutron_fault(net.delete(f"{P}/{second['id']}"), 409, "QosPolicyInUse")
    assert "is used by network" in error["message"]
    assert_status(net.put(f"{P}/{first['id']}", json={"policy": {"is_default": False}}), 200)
    assert_status(net.put(f"{P}/{second['id']}", json={"policy": {"is_default": True}}), 200)
    assert net.network(member.token)["qos_policy_id"] == second["id"]

"""Security group rules through the API: what a rule accepts and how it is shown
(protocol names and numbers, port ranges, ICMP type/code, prefixes, remote groups), each
of Neutron's 400s, duplicates (409 naming the rule), no updates, visibility, and the
group's revision following its rules."""
from __future__ import annotations

import threading

import pytest

from onestack.network.service.engine import Deps
from tests.functional.network.conftest import NetApi, neutron_fault
from tests.support.api import assert_status
from tests.support.identity import Member, unique


def sg(net: NetApi, token: str | None = None) -> dict:
    return net.create("security-groups", "security_group", token, name=unique("sg"))


def rule_post(net: NetApi, token: str | None, **attrs: object):
    return net.post("/security-group-rules", token, json={"security_group_rule": attrs})


def rule(net: NetApi, token: str | None = None, **attrs: object) -> dict:
    attrs.setdefault("direction", "ingress")
    return assert_status(rule_post(net, token, **attrs), 201)["security_group_rule"]


def test_create_show_list_delete(net: NetApi, member: Member) -> None:
    group = sg(net, member.token)
    made = rule(net, member.token, security_group_id=group["id"], protocol="tcp",
                port_range_min=22, port_range_max=22, remote_ip_prefix="10.0.0.1/24",
                description="ssh")
    assert made["project_id"] == made["tenant_id"] == member.project["id"]
    assert (made["direction"], made["ethertype"], made["protocol"]) == ("ingress", "IPv4",
                                                                         "tcp")
    assert (made["port_range_min"], made["port_range_max"]) == (22, 22)
    assert made["remote_ip_prefix"] == "10.0.0.1/24"
    assert made["normalized_cidr"] == "10.0.0.0/24"
    assert made["remote_group_id"] is None and made["remote_address_group_id"] is None
    assert made["belongs_to_default_sg"] is False and made["description"] == "ssh"
    assert made["revision_number"] == 0 and "tags" not in made
    shown = assert_status(net.get(f"/security-group-rules/{made['id']}", member.token),
                          200)["security_group_rule"]
    assert shown == made
    listed = assert_status(net.get("/security-group-rules", member.token, params={
        "security_group_id": group["id"]}), 200)["security_group_rules"]
    assert made["id"] in {r["id"] for r in listed} and len(listed) == 3  # + 2 egress
    in_group = assert_status(net.get(f"/security-groups/{group['id']}", member.token),
                             200)["security_group"]
    assert made in in_group["security_group_rules"]
    assert in_group["revision_number"] == 1
    assert_status(net.delete(f"/security-group-rules/{made['id']}", member.token), 204)
    neutron_fault(net.get(f"/security-group-rules/{made['id']}", member.token), 404,
                  "SecurityGroupRuleNotFound")
    after = assert_status(net.get(f"/security-groups/{group['id']}", member.token),
                          200)["security_group"]
    assert after["revision_number"] == 2
    assert made["id"] not in {r["id"] for r in after["security_group_rules"]}


@pytest.mark.parametrize("given,shown", [(17, "17"), ("17", "17"), ("UDP", "udp"),
                                         ("any", None), (None, None), ("vrrp", "vrrp")])
def test_protocols(net: NetApi, member: Member, given: object, shown: object) -> None:
    group = sg(net, member.token)
    made = rule(net, member.token, security_group_id=group["id"], protocol=given)
    assert made["protocol"] == shown


def test_icmp_type_and_code_and_ipv6(net: NetApi, member: Member) -> None:
    group = sg(net, member.token)
    for low, high in ((3, 2), (3, 0), (8, 0), (0, 0), (11, None)):
        made = rule(net, member.token, security_group_id=group["id"], protocol="icmp",
                    port_range_min=low, port_range_max=high)
        assert (made["port_range_min"], made["port_range_max"]) == (low, high)
    v6 = rule(net, member.token, security_group_id=group["id"], ethertype="ipv6",
              protocol="icmpv6", remote_ip_prefix="2001:db8::/64")
    assert (v6["ethertype"], v6["protocol"]) == ("IPv6", "ipv6-icmp")
    # the whole port range is no range
    whole = rule(net, member.token, security_group_id=group["id"], protocol="tcp",
                 port_range_min=1, port_range_max=65535)
    assert whole["port_range_min"] is None and whole["port_range_max"] is None


@pytest.mark.parametrize("attrs,status,kind,text", [
    ({"protocol": "bad_protocol_name"}, 400, "SecurityGroupRuleInvalidProtocol", None),
    ({"protocol": 256}, 400, "SecurityGroupRuleInvalidProtocol", None),
    ({"ethertype": "bad"}, 400, "SecurityGroupRuleInvalidEtherType", None),
    ({"direction": "sideways"}, 400, None, None),
    ({"protocol": "tcp", "port_range_min": -16, "port_range_max": 80}, 400,
     "SecurityGroupInvalidPortValue", "Invalid value for port -16"),
    ({"protocol": "tcp", "port_range_min": 80, "port_range_max": 79}, 400,
     "SecurityGroupInvalidPortRange", "port_range_min must be <= port_range_max"),
    ({"protocol": "tcp", "port_range_min": 80, "port_range_max": 65536}, 400,
     "SecurityGroupInvalidPortValue", "Invalid value for port 65536"),
    ({"protocol": "tcp", "port_range_min": None, "port_range_max": 6}, 400,
     "SecurityGroupInvalidPortRange", "port_range_min must be <= port_range_max"),
    ({"protocol": "icmp", "port_range_min": 1, "port_range_max": 256}, 400,
     "SecurityGroupInvalidIcmpValue", "Invalid value for ICMP code"),
    ({"protocol": "icmp", "port_range_min": 300, "port_range_max": 1}, 400,
     "SecurityGroupInvalidIcmpValue", "Invalid value for ICMP type"),
    ({"protocol": "icmp", "port_range_min": None, "port_range_max": 6}, 400,
     "SecurityGroupMissingIcmpType", "ICMP type (port-range-min) is missing"),
    ({"protocol": "gre", "port_range_min": 1, "port_range_max": 2}, 400,
     "SecurityGroupInvalidProtocolForPort", None),
    ({"port_range_min": 1, "port_range_max": 2}, 400,
     "SecurityGroupProtocolRequiredWithPorts", None),
    ({"remote_ip_prefix": "192.168.1./24"}, 400, "InvalidCIDR", None),
    ({"remote_ip_prefix": "192.168.1.1/33"}, 400, "InvalidCIDR", None),
    ({"remote_ip_prefix": "256"}, 400, "InvalidCIDR", None),
    ({"ethertype": "IPv6", "remote_ip_prefix": "10.0.0.0/24"}, 400,
     "SecurityGroupRuleParameterConflict", "Conflicting value ethertype"),
    ({"ethertype": "IPv4", "remote_ip_prefix": "2001:db8::/64"}, 400,
     "SecurityGroupRuleParameterConflict", "Conflicting value ethertype"),
    ({"ethertype": "IPv4", "protocol": "ipv6-icmp"}, 400,
     "SecurityGroupEthertypeConflictWithProtocol", None),
    ({"remote_group_id": "bad_group_id"}, 404, "SecurityGroupNotFound", None),
    ({"remote_address_group_id": "9b4f1f1e-8f51-4a59-8e35-2a39b48ab5e8"}, 404,
     "AddressGroupNotFound", None),
    ({"bogus": 1}, 400, None, None),
])
def test_bad_rules(net: NetApi, member: Member, attrs: dict, status: int, kind: str | None,
                   text: str | None) -> None:
    group = sg(net, member.token)
    body = {"security_group_id": group["id"], "direction": "ingress", **attrs}
    error = neutron_fault(rule_post(net, member.token, **body), status, kind)
    if text:
        assert text in error["message"], error


def test_remote_group_and_prefix_together(net: NetApi, member: Member) -> None:
    one, two = sg(net, member.token), sg(net, member.token)
    neutron_fault(rule_post(net, member.token, security_group_id=one["id"],
                            direction="ingress", remote_group_id=two["id"],
                            remote_ip_prefix="10.0.0.0/24"), 400,
                  "SecurityGroupMultipleRemoteEntites")
    made = rule(net, member.token, security_group_id=one["id"], protocol="udp",
                port_range_min=50, port_range_max=55, remote_group_id=two["id"])
    assert made["remote_group_id"] == two["id"]
    # deleting the remote group takes the rules naming it
    assert_status(net.delete(f"/security-groups/{two['id']}", member.token), 204)
    neutron_fault(net.get(f"/security-group-rules/{made['id']}", member.token), 404)


def test_duplicates_are_409_naming_the_rule(net: NetApi, member: Member) -> None:
    group = sg(net, member.token)
    first = rule(net, member.token, security_group_id=group["id"], protocol="tcp",
                 port_range_min=66, port_range_max=67)
    error = neutron_fault(rule_post(net, member.token, security_group_id=group["id"],
                                    direction="ingress", protocol="6", port_range_min=66,
                                    port_range_max=67), 409, "SecurityGroupRuleExists")
    assert first["id"] in error["message"]
    # 0.0.0.0/0 is the same as no prefix; the egress rules a group starts with exist
    egress = [r for r in group["security_group_rules"] if r["ethertype"] == "IPv4"][0]
    error = neutron_fault(rule_post(net, member.token, security_group_id=group["id"],
                                    direction="egress", remote_ip_prefix="0.0.0.0/0"),
                          409, "SecurityGroupRuleExists")
    assert egress["id"] in error["message"]


def test_unknown_or_invisible_group_is_404(net: NetApi, member: Member,
                                           make_project_member) -> None:
    neutron_fault(rule_post(net, member.token, security_group_id=unique("x")[:36],
                            direction="ingress"), 404, "SecurityGroupNotFound")
    other = make_project_member()
    theirs = sg(net, other.token)
    neutron_fault(rule_post(net, member.token, security_group_id=theirs["id"],
                            direction="ingress"), 404, "SecurityGroupNotFound")
    their_rule = theirs["security_group_rules"][0]
    neutron_fault(net.get(f"/security-group-rules/{their_rule['id']}", member.token), 404,
                  "SecurityGroupRuleNotFound")
    neutron_fault(net.delete(f"/security-group-rules/{their_rule['id']}", member.token),
                  404)
    # a rule naming another project's group as its remote: that group is not found
    mine = sg(net, member.token)
    neutron_fault(rule_post(net, member.token, security_group_id=mine["id"],
                            direction="ingress", remote_group_id=theirs["id"]), 404,
                  "SecurityGroupNotFound")
    listed = {r["id"] for r in assert_status(net.get("/security-group-rules", member.token),
                                             200)["security_group_rules"]}
    assert their_rule["id"] not in listed


def test_admin_adds_a_rule_to_a_members_group(net: NetApi, member: Member) -> None:
    group = sg(net, member.token)
    made = rule(net, security_group_id=group["id"], protocol="tcp", port_range_min=80,
                port_range_max=80)
    assert made["project_id"] == member.project["id"]
    assert_status(net.delete(f"/security-group-rules/{made['id']}", member.token), 204)


def test_rules_cannot_be_updated(net: NetApi, member: Member) -> None:
    group = sg(net, member.token)
    made = group["security_group_rules"][0]
    response = net.put(f"/security-group-rules/{made['id']}", member.token,
                       json={"security_group_rule": {"description": "x"}})
    assert response.status_code in (400, 405), response.text


def test_bulk_create_is_all_or_nothing(net: NetApi, member: Member) -> None:
    group = sg(net, member.token)
    good = {"security_group_id": group["id"], "direction": "ingress", "protocol": "tcp"}
    bad = {"security_group_id": group["id"], "direction": "ingress", "protocol": "nope"}
    neutron_fault(net.post("/security-group-rules", member.token,
                           json={"security_group_rules": [good, bad]}), 400)
    made = assert_status(net.post("/security-group-rules", member.token, json={
        "security_group_rules": [good, {**good, "protocol": "udp"}]}),
        201)["security_group_rules"]
    assert [r["protocol"] for r in made] == ["tcp", "udp"]
    other = sg(net, member.token)
    neutron_fault(net.post("/security-group-rules", member.token, json={
        "security_group_rules": [{**good, "protocol": "icmp"},
                                 {**good, "security_group_id": other["id"]}]}), 400,
        "SecurityGroupNotSingleGroupRules")


def test_changes_wake_the_network_agents(net: NetApi, member: Member, monkeypatch) -> None:
    woken: list[tuple[str, str]] = []
    monkeypatch.setattr(Deps, "wake", lambda self, topic, ident: woken.append((topic, ident)))
    group = sg(net, member.token)
    made = rule(net, member.token, security_group_id=group["id"], protocol="tcp")
    assert_status(net.delete(f"/security-group-rules/{made['id']}", member.token), 204)
    assert_status(net.put(f"/security-groups/{group['id']}", member.token,
                          json={"security_group": {"description": "x"}}), 200)
    assert_status(net.delete(f"/security-groups/{group['id']}", member.token), 204)
    assert [w for w in woken if w[0].startswith("security_group")] == [
        ("security_groups", group["id"]), ("security_group_rules", made["id"]),
        ("security_group_rules", made["id"]), ("security_groups", group["id"]),
        ("security_groups", group["id"])]


def test_racing_replicas_add_a_rule_once(net: NetApi, member: Member, make_api) -> None:
    """The same rule posted eight times at once on two replicas: one 201, seven 409s
    naming it, one rule in the group."""
    group = sg(net, member.token)
    replicas = [NetApi(make_api(), net.admin) for _ in range(2)]
    statuses: list[int] = []
    barrier = threading.Barrier(8)
    body = {"security_group_id": group["id"], "direction": "ingress", "protocol": "tcp",
            "port_range_min": 443, "port_range_max": 443}

    def post(n: int) -> None:
        barrier.wait()
        statuses.append(rule_post(replicas[n % 2], member.token, **body).status_code)
    threads = [threading.Thread(target=post, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [201] + [409] * 7, statuses
    listed = assert_status(net.get("/security-group-rules", member.token, params={
        "security_group_id": group["id"], "port_range_min": "443"}),
        200)["security_group_rules"]
    assert len(listed) == 1

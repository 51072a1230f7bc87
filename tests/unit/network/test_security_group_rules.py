"""The security group rule checks as pure functions: Neutron's canonical form of a rule
and what makes two rules the same (the fingerprint the database keeps unique)."""
from __future__ import annotations

import pytest

from onestack.core.errors import BadRequest
from onestack.network.resources.security import ip_prefix, rule_port, rule_protocol
from onestack.network.service.security_group_rules import canonical, check, fingerprint


def rule(**over: object) -> dict:
    base = {"direction": "ingress", "ethertype": "IPv4", "protocol": None,
            "port_range_min": None, "port_range_max": None, "remote_ip_prefix": None,
            "remote_group_id": None, "remote_address_group_id": None}
    return {**base, **over}


def test_protocol_names_and_numbers_are_one_rule() -> None:
    assert fingerprint("g", rule(protocol="tcp")) == fingerprint("g", rule(protocol="6"))
    assert fingerprint("g", rule(protocol="tcp")) != fingerprint("g", rule(protocol="udp"))
    assert fingerprint("g", rule()) != fingerprint("h", rule())


def test_any_address_prefix_is_no_prefix() -> None:
    assert fingerprint("g", rule(remote_ip_prefix="0.0.0.0/0")) == fingerprint("g", rule())
    assert fingerprint("g", rule(ethertype="IPv6", remote_ip_prefix="::/0")) == \
        fingerprint("g", rule(ethertype="IPv6"))
    assert fingerprint("g", rule(remote_ip_prefix="10.0.0.0/8")) != fingerprint("g", rule())


def test_canonical_form() -> None:
    legacy = rule(ethertype="IPv6", protocol="icmp")
    canonical(legacy)
    assert legacy["protocol"] == "ipv6-icmp"
    number = rule(ethertype="IPv6", protocol="1")
    canonical(number)
    assert number["protocol"] == "58"
    v4 = rule(protocol="icmp")
    canonical(v4)
    assert v4["protocol"] == "icmp"
    whole = rule(protocol="tcp", port_range_min=1, port_range_max=65535)
    canonical(whole)
    assert whole["port_range_min"] is None and whole["port_range_max"] is None


@pytest.mark.parametrize("bad,kind", [
    (rule(protocol="tcp", port_range_min=0, port_range_max=5), "SecurityGroupInvalidPortValue"),
    (rule(protocol="udplite", port_range_min=9, port_range_max=5),
     "SecurityGroupInvalidPortRange"),
    (rule(protocol="58", ethertype="IPv6", port_range_min=256),
     "SecurityGroupInvalidIcmpValue"),
    (rule(protocol="47", port_range_min=1), "SecurityGroupInvalidProtocolForPort"),
    (rule(protocol="ipv6-frag"), "SecurityGroupEthertypeConflictWithProtocol"),
    (rule(remote_ip_prefix="10.0.0.0/8", remote_address_group_id="a"),
     "SecurityGroupMultipleRemoteEntites"),
])
def test_check_refuses(bad: dict, kind: str) -> None:
    with pytest.raises(BadRequest) as caught:
        check(bad)
    assert caught.value.kind == kind


def test_check_accepts_icmp_type_without_code_and_sctp_ranges() -> None:
    check(rule(protocol="icmp", port_range_min=8))
    check(rule(protocol="132", port_range_min=5, port_range_max=9))
    check(rule(ethertype="IPv6", protocol="ipv6-icmp", remote_ip_prefix="2001:db8::/64"))


def test_converters() -> None:
    assert rule_protocol(17) == "17" and rule_protocol("ICMP") == "icmp"
    assert rule_protocol("any") is None
    assert rule_port("80") == 80 and rule_port(None) is None
    assert ip_prefix("10.0.0.1") == "10.0.0.1/32"
    assert ip_prefix("2001:DB8::1/64") == "2001:db8::1/64"
    for bad in ("256", 256, "10.0.0.0/33", "x"):
        with pytest.raises(BadRequest):
            ip_prefix(bad)
    for bad in (True, "x", 65536, -1, 1.5):
        with pytest.raises(BadRequest):
            rule_port(bad)

"""The address arithmetic of subnets and subnet pools (service.subnet_math) and the
CIDR/nameserver/route converters (resources.subnets)."""
from __future__ import annotations

import ipaddress

import pytest

from onestack.core.errors import BadRequest, Conflict
from onestack.network.resources import subnets as res
from onestack.network.service import subnet_math as m


def ips(*pairs: tuple[str, str]) -> list[tuple]:
    return [(ipaddress.ip_address(a), ipaddress.ip_address(b)) for a, b in pairs]


def test_canonical_cidr_clears_host_bits_and_refuses_non_cidrs() -> None:
    assert res.canonical_cidr("10.0.0.5/24") == "10.0.0.0/24"
    assert res.canonical_cidr("2001:DB8::1/64") == "2001:db8::/64"
    for bad in ("10.0.0.0", "10.0/16", " 10.0.0.0/24", "10.0.0.0/33", 7, "x/24"):
        with pytest.raises(BadRequest):
            res.canonical_cidr(bad)


def test_default_pools() -> None:
    assert m.default_pools("10.0.0.0/24", "10.0.0.1") == ips(("10.0.0.2", "10.0.0.254"))
    assert m.default_pools("10.0.0.0/24", "10.0.0.100") == ips(
        ("10.0.0.1", "10.0.0.99"), ("10.0.0.101", "10.0.0.254"))
    assert m.default_pools("10.0.0.0/24", "10.0.0.254") == ips(("10.0.0.1", "10.0.0.253"))
    assert m.default_pools("10.0.0.0/24", None) == ips(("10.0.0.1", "10.0.0.254"))
    assert m.default_pools("10.0.0.0/24", "192.168.0.1") == ips(("10.0.0.1", "10.0.0.254"))
    assert m.default_pools("10.0.0.4/31", None) == ips(("10.0.0.4", "10.0.0.5"))
    assert m.default_pools("10.0.0.9/32", None) == ips(("10.0.0.9", "10.0.0.9"))
    assert m.default_pools("2001:db8::/126", "2001:db8::1") == ips(
        ("2001:db8::2", "2001:db8::3"))


def test_gateway_validity() -> None:
    assert m.gateway_invalid("10.0.0.0/24", "10.0.0.0")
    assert m.gateway_invalid("10.0.0.0/24", "10.0.0.255")
    assert not m.gateway_invalid("10.0.0.0/24", "10.0.0.254")
    assert not m.gateway_invalid("10.0.0.0/24", "10.1.0.0")  # outside: not checked
    assert not m.gateway_invalid("2001:db8::/64", "2001:db8::")  # v6 router anycast
    assert m.first_host("2001:db8::/64") == "2001:db8::1"


def test_check_pools() -> None:
    ranges = m.check_pools([{"start": "10.0.0.10", "end": "10.0.0.20"}], "10.0.0.0/24")
    assert ranges == ips(("10.0.0.10", "10.0.0.20"))
    cases = [([{"start": "10.0.0.20", "end": "10.0.0.10"}], "InvalidAllocationPool"),
             ([{"start": "10.0.0.0", "end": "10.0.0.10"}], "OutOfBoundsAllocationPool"),
             ([{"start": "10.0.0.10", "end": "10.0.0.255"}], "OutOfBoundsAllocationPool"),
             ([{"start": "2001:db8::1", "end": "2001:db8::9"}], "InvalidAllocationPool")]
    for pools, kind in cases:
        with pytest.raises(BadRequest) as err:
            m.check_pools(pools, "10.0.0.0/24")
        assert err.value.kind == kind
    with pytest.raises(Conflict) as err:
        m.check_pools([{"start": "10.0.0.10", "end": "10.0.0.20"},
                       {"start": "10.0.0.20", "end": "10.0.0.30"}], "10.0.0.0/24")
    assert err.value.kind == "OverlappingAllocationPools"
    with pytest.raises(Conflict):
        m.check_gateway_out_of_pools("10.0.0.15", ranges)
    m.check_gateway_out_of_pools("10.0.0.1", ranges)
    m.check_gateway_out_of_pools(None, ranges)


def test_pool_prefix_arithmetic() -> None:
    assert m.compact(["10.0.1.0/24", "10.0.0.0/24", "10.0.0.128/25"]) == ["10.0.0.0/23"]
    assert m.covers(["10.0.0.0/16"], ["10.0.5.0/24", "10.0.0.0/16"])
    assert not m.covers(["10.0.0.0/24"], ["10.0.0.0/23"])
    free = m.subtract(["10.0.0.0/24"], ["10.0.0.0/26"])
    assert [str(n) for n in free] == ["10.0.0.128/25", "10.0.0.64/26"]
    # best fit: the /26 hole before the /25
    assert m.first_free(["10.0.0.0/24"], ["10.0.0.0/26"], 26) == "10.0.0.64/26"
    assert m.first_free(["10.0.0.0/24"], ["10.0.0.0/26"], 25) == "10.0.0.128/25"
    assert m.first_free(["10.0.0.0/24"], ["10.0.0.0/25", "10.0.0.128/25"], 30) is None
    assert m.first_free(["10.0.0.0/24"], [], 16) is None
    assert m.is_free(["10.0.0.0/24"], ["10.0.0.0/26"], "10.0.0.64/27")
    assert not m.is_free(["10.0.0.0/24"], ["10.0.0.0/26"], "10.0.0.0/25")
    assert m.quota_units("10.0.0.0/24") == 256 and m.quota_units("2001:db8::/60") == 16


def test_nameservers_and_routes_converters() -> None:
    assert res.nameservers(None) == []
    assert res.nameservers(["2001:DB8::1", "8.8.8.8"]) == ["2001:db8::1", "8.8.8.8"]
    for bad in (["8.8.8.8", "8.8.8.8"], ["x"], "8.8.8.8"):
        with pytest.raises(BadRequest):
            res.nameservers(bad)
    assert res.host_routes([{"destination": "10.0.0.0/8", "nexthop": "10.1.1.1"}]) == [
        {"destination": "10.0.0.0/8", "nexthop": "10.1.1.1"}]
    for bad in ([{"destination": "10.0.0.1/8", "nexthop": "10.1.1.1"}],
                [{"destination": "10.0.0.0/8"}],
                [{"destination": "10.0.0.0/8", "nexthop": "x"}],
                [{"destination": "10.0.0.0/8", "nexthop": "10.1.1.1"}] * 2):
        with pytest.raises(BadRequest):
            res.host_routes(bad)

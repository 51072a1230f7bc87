"""subnets (with the subnet-allocation, default-subnetpools, service-types, segment,
external-network and DNS-publish extensions' attributes)."""
from __future__ import annotations

import ipaddress
from typing import Any

from onestack.core.errors import BadRequest
from onestack.network.attributes import (REQUIRED, Attr, Resource, one_of, project_attrs,
                                         standard_attrs, to_bool, to_int, uuid_or_none,
                                         uuid_str)

IPV6_MODES = ("slaac", "dhcpv6-stateful", "dhcpv6-stateless")


def _bad(name: str, why: str) -> BadRequest:
    return BadRequest(f"Invalid input for {name}. Reason: {why}.", kind="HTTPBadRequest")


def ip_version(value: Any) -> int:
    version = to_int(value)
    if version not in (4, 6):
        raise _bad("ip_version", f"{value} is not in [4, 6]")
    return version


def canonical_cidr(value: Any) -> str:
    """A CIDR as Neutron stores it: host bits cleared (``10.0.0.5/24`` → ``10.0.0.0/24``)
    and IPv6 in its compressed form. Not a CIDR (no ``/``, a bad address, an abbreviated
    IPv4 form such as ``10.0/16``) → 400."""
    text = value if isinstance(value, str) else ""
    try:
        if "/" not in text or text.strip() != text:
            raise ValueError(text)
        iface = ipaddress.ip_interface(text)
        if iface.version == 4 and str(iface) != text:
            raise ValueError(text)
    except ValueError:
        raise BadRequest(f"Invalid input for cidr. Reason: '{value}' is not a valid IP "
                         "subnet.", kind="HTTPBadRequest") from None
    return str(iface.network)


def canonical_ip(value: Any, name: str = "ip_address") -> str:
    try:
        if not isinstance(value, str) or value.strip() != value:
            raise ValueError(value)
        return str(ipaddress.ip_address(value))
    except ValueError:
        raise BadRequest(f"Invalid input for {name}. Reason: '{value}' is not a valid IP "
                         "address.", kind="HTTPBadRequest") from None


def subnet_cidr(value: Any) -> str | None:
    """A CIDR, host bits cleared as Neutron stores it (None: none given). Not a CIDR →
    400 InvalidInput, as Neutron's cidr converter answers before any validator runs."""
    if value is None:
        return None
    try:
        return canonical_cidr(value)
    except BadRequest:
        raise BadRequest(f"Invalid input for operation: {value} is not in a CIDR format.",
                         kind="InvalidInput") from None


def gateway(value: Any) -> str | None:
    return None if value is None else canonical_ip(value, "gateway_ip")


def non_negative(value: Any) -> int | None:
    if value is None:
        return None
    number = to_int(value)
    if number < 0:
        raise _bad("prefixlen", f"'{value}' should be non-negative")
    return number


def nameservers(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise _bad("dns_nameservers", f"Invalid data format for nameserver: '{value}'")
    out: list[str] = []
    for host in value:
        try:
            if not isinstance(host, str):
                raise ValueError(host)
            address = str(ipaddress.ip_address(host))
        except ValueError:
            raise _bad("dns_nameservers", f"'{host}' is not a valid nameserver. "
                       f"'{host}' is not a valid IP address") from None
        if address in out:
            raise _bad("dns_nameservers", f"Duplicate nameserver '{host}'")
        out.append(address)
    return out


def host_routes(value: Any) -> list[dict[str, str]]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise _bad("host_routes", f"Invalid data format for hostroute: '{value}'")
    out: list[dict[str, str]] = []
    for route in value:
        if not isinstance(route, dict) or set(route) != {"destination", "nexthop"}:
            raise _bad("host_routes", f"Invalid data format for hostroute: '{route}'")
        dest, hop = route["destination"], route["nexthop"]
        try:
            net = ipaddress.ip_network(dest, strict=True) if isinstance(dest, str) \
                and "/" in dest else None
        except ValueError:
            net = None
        if net is None:
            raise _bad("host_routes", f"'{dest}' is not a valid CIDR")
        try:
            nexthop = str(ipaddress.ip_address(hop))
        except ValueError:
            raise _bad("host_routes", f"'{hop}' is not a valid IP address") from None
        item = {"destination": str(net), "nexthop": nexthop}
        if item in out:
            raise _bad("host_routes", f"Duplicate hostroute '{route}'")
        out.append(item)
    return out


def service_types(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise _bad("service_types", f"'{value}' is not a list")
    for item in value:
        if not isinstance(item, str):
            raise BadRequest(f"Invalid input for operation: Subnet service type {item} is "
                             "not a string.", kind="InvalidInputSubnetServiceType")
    return list(dict.fromkeys(value))


def parse_pools(value: Any) -> list[dict[str, str]]:
    """``allocation_pools`` as given: a list of ``{start, end}`` with valid addresses,
    canonicalized (400 otherwise)."""
    def bad(why: str) -> BadRequest:
        return BadRequest(f"Invalid input for allocation_pools. Reason: {why}.",
                          kind="HTTPBadRequest")
    if not isinstance(value, list):
        raise bad(f"Invalid data format for IP pool: '{value}'")
    out = []
    for pool in value:
        if not isinstance(pool, dict) or set(pool) != {"start", "end"}:
            raise bad(f"Invalid data format for IP pool: '{pool}'")
        try:
            out.append({k: str(ipaddress.ip_address(pool[k])) for k in ("start", "end")})
        except (TypeError, ValueError):
            raise bad(f"'{pool}' is not a valid IP address") from None
    return out


def pools(value: Any) -> list[dict[str, str]] | None:
    return None if value is None else parse_pools(value)


SUBNET = Resource("subnet", "subnets", (
    *standard_attrs(),
    *project_attrs(),
    Attr("network_id", default=REQUIRED, convert=uuid_str),
    Attr("ip_version", default=REQUIRED, convert=ip_version),
    Attr("cidr", default=None, convert=subnet_cidr),
    Attr("prefixlen", default=None, convert=non_negative, computed=True, visible=False,
         filter=False, sort=False),
    Attr("subnetpool_id", default=None, convert=uuid_or_none),
    Attr("use_default_subnetpool", default=False, convert=to_bool, computed=True,
         visible=False, filter=False, sort=False),
    Attr("gateway_ip", default=None, put=True, convert=gateway),
    Attr("allocation_pools", default=None, put=True, convert=pools, computed=True,
         filter=False, sort=False),
    Attr("dns_nameservers", default=[], put=True, convert=nameservers, computed=True,
         sort=False),
    Attr("host_routes", default=[], put=True, convert=host_routes, computed=True,
         filter=False, sort=False),
    Attr("enable_dhcp", default=True, put=True, convert=to_bool),
    Attr("ipv6_ra_mode", default=None, convert=one_of(*IPV6_MODES, nullable=True)),
    Attr("ipv6_address_mode", default=None, convert=one_of(*IPV6_MODES, nullable=True)),
    Attr("service_types", default=[], put=True, convert=service_types, computed=True,
         admin_post=True, admin_put=True, sort=False),
    Attr("segment_id", default=None, put=True, convert=uuid_or_none, admin_post=True,
         admin_put=True, admin_get=True),
    Attr("router:external", computed=True, post=False, sort=False),
    # not shown, but a filter (subnets of shared networks), as in Neutron
    Attr("shared", computed=True, post=False, visible=False, sort=False),
))

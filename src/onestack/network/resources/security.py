"""Security groups, security group rules and address groups (extensions
``security-group``, ``stateful-security-group``, ``address-group``,
``security-groups-remote-address-group``, ``security-groups-normalized-cidr``,
``security-groups-shared-filtering``), with the rule attributes' converters and their
Neutron fault types."""
from __future__ import annotations

import ipaddress
from typing import Any

from onestack.core.errors import BadRequest
from onestack.network.attributes import (REQUIRED, Attr, Resource, list_of, project_attrs,
                                         standard_attrs, string, to_bool)

# IANA protocol names Neutron accepts (neutron-lib's IP_PROTOCOL_MAP)
PROTOCOLS: dict[str, int] = {
    "ah": 51, "dccp": 33, "egp": 8, "esp": 50, "gre": 47, "hopopt": 0, "icmp": 1,
    "igmp": 2, "ip": 0, "ipip": 4, "ipv6-encap": 41, "ipv6-frag": 44, "ipv6-icmp": 58,
    "icmpv6": 58, "ipv6-nonxt": 59, "ipv6-opts": 60, "ipv6-route": 43, "ospf": 89,
    "pgm": 113, "rsvp": 46, "sctp": 132, "tcp": 6, "udp": 17, "udplite": 136, "vrrp": 112,
}
PORT_PROTOCOLS = ("dccp", "sctp", "tcp", "udp", "udplite")
ETHERTYPES = ("IPv4", "IPv6")


def input_error(message: str) -> BadRequest:
    """A 400 of Neutron's InvalidInput family: the message follows "Invalid input for
    operation: "."""
    return BadRequest(f"Invalid input for operation: {message}", kind="InvalidInput")


def rule_protocol(value: Any) -> str | None:
    """A protocol name (lower-cased), a number 0-255 (as a string) or None for any."""
    if value is None or value == "any":
        return None
    if isinstance(value, bool):
        value = str(value)
    if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
        if 0 <= int(value) <= 255:
            return str(value)
    elif isinstance(value, str) and value.lower() in PROTOCOLS:
        return value.lower()
    names = [None, "any", *PROTOCOLS]
    raise BadRequest(f"Security group rule protocol {value} not supported. Only protocol "
                     f"values {names} and integer representations [0 to 255] are "
                     "supported.", kind="SecurityGroupRuleInvalidProtocol")


def rule_ethertype(value: Any) -> str:
    if isinstance(value, str):
        for known in ETHERTYPES:
            if known.lower() == value.lower():
                return known
    raise BadRequest(f"Security group rule for ethertype '{value}' not supported. "
                     f"Allowed values are {list(ETHERTYPES)}.",
                     kind="SecurityGroupRuleInvalidEtherType")


def rule_port(value: Any) -> int | None:
    if value is None:
        return None
    try:
        port = int(value) if not isinstance(value, (bool, float)) else -1
    except (TypeError, ValueError):
        port = -1
    if 0 <= port <= 65535:
        return port
    raise BadRequest(f"Invalid value for port {value}", kind="SecurityGroupInvalidPortValue")


def ip_prefix(value: Any) -> str | None:
    """An address or a network, with its prefix length always written
    (``10.0.0.1`` → ``10.0.0.1/32``); host bits are kept, as Neutron keeps them
    (``normalized_cidr`` shows the network)."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise BadRequest(f"Invalid input for operation: '{value}' is not a valid IP subnet.",
                         kind="InvalidCIDR")
    try:
        return str(ipaddress.ip_interface(value.strip()))
    except ValueError:
        raise BadRequest(f"Invalid input for operation: '{value}' is not a valid IP "
                         "subnet.", kind="InvalidCIDR") from None


def any_id(value: Any) -> str | None:
    """A referenced id, checked by lookup (an unknown id is a 404, not a 400)."""
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > 36:
        raise input_error(f"'{value}' is not a valid UUID.")
    return value


def direction(value: Any) -> str:
    if value not in ("ingress", "egress"):
        raise BadRequest(f"Invalid input for direction. Reason: '{value}' is not in "
                         "['ingress', 'egress'].", kind="HTTPBadRequest")
    return value


def address(value: Any) -> str:
    """An address group member: an address or a network, kept as its CIDR
    (``10.0.0.1`` → ``10.0.0.1/32``; host bits cleared)."""
    if not isinstance(value, str):
        raise input_error(f"'{value}' is not a valid IP subnet.")
    try:
        return str(ipaddress.ip_network(value.strip(), strict=False))
    except ValueError:
        raise input_error(f"'{value}' is not a valid IP subnet.") from None


SECURITY_GROUP = Resource("security_group", "security_groups", (
    *standard_attrs(),
    *project_attrs(),
    Attr("security_group_rules", computed=True, post=False, filter=False, sort=False),
    Attr("stateful", default=True, put=True, convert=to_bool),
    Attr("shared", computed=True, post=False, sort=False),
), not_found="SecurityGroupNotFound", label="Security group")

SECURITY_GROUP_RULE = Resource("security_group_rule", "security_group_rules", (
    Attr("id", post=False),
    Attr("description", default="", convert=string(255)),
    Attr("created_at", post=False),
    Attr("updated_at", post=False),
    Attr("revision_number", post=False),
    *project_attrs(),
    Attr("security_group_id", default=REQUIRED, convert=any_id),
    Attr("direction", default=REQUIRED, convert=direction),
    Attr("ethertype", default="IPv4", convert=rule_ethertype),
    Attr("protocol", default=None, convert=rule_protocol),
    Attr("port_range_min", default=None, convert=rule_port),
    Attr("port_range_max", default=None, convert=rule_port),
    Attr("remote_ip_prefix", default=None, convert=ip_prefix),
    Attr("remote_group_id", default=None, convert=any_id),
    Attr("remote_address_group_id", default=None, convert=any_id),
    Attr("normalized_cidr", computed=True, post=False, sort=False),
    Attr("belongs_to_default_sg", computed=True, post=False, sort=False),
), taggable=False, not_found="SecurityGroupRuleNotFound", label="Security group rule")

ADDRESS_GROUP = Resource("address_group", "address_groups", (
    Attr("id", post=False),
    Attr("name", default="", put=True, convert=string(255)),
    Attr("description", default="", put=True, convert=string(255)),
    Attr("created_at", post=False),
    Attr("updated_at", post=False),
    Attr("revision_number", post=False),
    *project_attrs(),
    Attr("addresses", default=[], convert=list_of(address), filter=False, sort=False,
         computed=True),
), taggable=False, not_found="AddressGroupNotFound", label="Address group")

"""networks (with the provider, external-net, MTU, port-security, DNS and availability-zone
extensions' attributes)."""
from __future__ import annotations

from onestack.network.attributes import (Attr, Resource, dns_domain, list_of, project_attrs,
                                         standard_attrs, string, to_bool, to_int,
                                         uuid_or_none)

NETWORK_TYPES = ("flat", "vlan", "vxlan", "geneve", "local")


def int_or_none(value: object) -> int | None:
    return None if value is None else to_int(value)

NETWORK = Resource("network", "networks", (
    *standard_attrs(),
    *project_attrs(),
    Attr("admin_state_up", default=True, put=True, convert=to_bool),
    Attr("status", post=False),
    Attr("subnets", computed=True, post=False, sort=False),
    Attr("shared", default=False, put=True, convert=to_bool, admin_post=True,
         admin_put=True),
    Attr("router:external", default=False, put=True, convert=to_bool, admin_post=True,
         admin_put=True),
    Attr("is_default", default=False, put=True, convert=to_bool, admin_post=True,
         admin_put=True),
    Attr("mtu", default=None, put=True, convert=to_int),
    Attr("port_security_enabled", default=True, put=True, convert=to_bool),
    Attr("dns_domain", default="", put=True, convert=dns_domain),
    Attr("availability_zone_hints", default=[], convert=list_of(string(255)), filter=False,
         sort=False),
    Attr("availability_zones", computed=True, post=False, sort=False),
    Attr("ipv4_address_scope", computed=True, post=False, sort=False),
    Attr("ipv6_address_scope", computed=True, post=False, sort=False),
    Attr("l2_adjacency", computed=True, post=False, sort=False, filter=False),
    Attr("qos_policy_id", default=None, put=True, convert=uuid_or_none),
    Attr("provider:network_type", default=None, put=True, admin_post=True, admin_put=True,
         admin_get=True, convert=string(32, nullable=True)),
    Attr("provider:physical_network", default=None, put=True, admin_post=True,
         admin_put=True, admin_get=True, convert=string(64, nullable=True)),
    Attr("provider:segmentation_id", default=None, put=True, admin_post=True,
         admin_put=True, admin_get=True, convert=int_or_none),
))

"""floatingips (with the fip-port-details, dns and port-forwarding extensions'
attributes); port forwardings of a floating IP."""
from __future__ import annotations

from onestack.network.attributes import (REQUIRED, Attr, Resource, dns_domain, ip_address,
                                         project_attrs, standard_attrs, string, to_int,
                                         uuid_or_none, uuid_str)


def ip_or_none(value: object) -> str | None:
    return None if value is None else ip_address(value)


FLOATINGIP = Resource("floatingip", "floatingips", (
    *(a for a in standard_attrs() if a.name != "name"),
    *project_attrs(),
    Attr("floating_network_id", default=REQUIRED, convert=uuid_str),
    Attr("floating_ip_address", default=None, convert=ip_or_none, admin_post=True),
    Attr("subnet_id", default=None, convert=uuid_or_none, visible=False, filter=False,
         sort=False, column="_subnet_id"),
    Attr("port_id", default=None, put=True, convert=uuid_or_none, column="fixed_port_id"),
    Attr("fixed_ip_address", default=None, put=True, convert=ip_or_none),
    Attr("router_id", post=False),
    Attr("status", post=False),
    Attr("dns_name", default="", convert=string(255)),
    Attr("dns_domain", default="", convert=dns_domain),
    Attr("port_details", computed=True, post=False, filter=False, sort=False),
    Attr("port_forwardings", computed=True, post=False, filter=False, sort=False),
), label="Floating IP", not_found="FloatingIPNotFound")

PROTOCOLS = ("tcp", "udp", "udplite", "dccp", "sctp")

PORT_FORWARDING = Resource("port_forwarding", "port_forwardings", (
    Attr("id", post=False),
    Attr("internal_port_id", default=REQUIRED, put=True, convert=uuid_str),
    Attr("internal_ip_address", default=REQUIRED, put=True, convert=ip_address),
    Attr("internal_port", default=None, put=True, convert=to_int, filter=False,
         sort=False, computed=True),
    Attr("external_port", default=None, put=True, convert=to_int, computed=True),
    Attr("internal_port_range", default=None, put=True, computed=True, filter=False,
         sort=False),
    Attr("external_port_range", default=None, put=True, computed=True, filter=False,
         sort=False),
    Attr("protocol", default=REQUIRED, put=True, convert=string(16)),
    Attr("description", default="", put=True, convert=string(255)),
), standard=False, project_scoped=False, taggable=False, label="Port Forwarding",
   not_found="PortForwardingNotFound")

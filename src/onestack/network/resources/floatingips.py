"""floatingips (with the fip-port-details, dns and expose-port-forwarding-in-fip
extensions' attributes). Port forwardings, a sub-resource, are checked in
``service.port_forwardings``."""
from __future__ import annotations

from onestack.network.attributes import (REQUIRED, Attr, Resource, dns_domain, ip_address,
                                         project_attrs, standard_attrs, string, uuid_or_none,
                                         uuid_str)


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

"""routers (with the ext-gw-mode, extraroute, dvr, l3-ha and router availability-zone
extensions' attributes)."""
from __future__ import annotations

from onestack.network.attributes import (Attr, Resource, list_of, project_attrs,
                                         standard_attrs, string, to_bool)

ROUTER = Resource("router", "routers", (
    *standard_attrs(),
    *project_attrs(),
    Attr("admin_state_up", default=True, put=True, convert=to_bool),
    Attr("status", post=False),
    # {network_id, enable_snat, external_fixed_ips}: checked and applied by the service
    # (sub-attributes enable_snat and external_fixed_ips are admin-only by policy)
    Attr("external_gateway_info", default=None, put=True, computed=True, filter=False,
         sort=False),
    Attr("routes", default=[], post=False, put=True, computed=True, filter=False,
         sort=False),
    Attr("distributed", default=False, put=True, convert=to_bool, admin_post=True,
         admin_put=True, admin_get=True),
    Attr("ha", default=False, put=True, convert=to_bool, admin_post=True, admin_put=True,
         admin_get=True),
    Attr("availability_zone_hints", default=[], convert=list_of(string(255)), filter=False,
         sort=False),
    Attr("availability_zones", computed=True, post=False, filter=False, sort=False),
    Attr("flavor_id", post=False, filter=False, sort=False),
))

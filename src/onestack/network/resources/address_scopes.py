"""address-scopes: the address families subnet pools (and through them subnets and
networks) belong to."""
from __future__ import annotations

from onestack.network.attributes import (REQUIRED, Attr, Resource, project_attrs,
                                         standard_attrs, to_bool)
from onestack.network.resources.subnets import ip_version
from onestack.network.resources.subnetpools import pool_name

_STD = tuple(a for a in standard_attrs() if a.name != "name")

ADDRESS_SCOPE = Resource("address_scope", "address_scopes", (
    *_STD,
    Attr("name", default=REQUIRED, put=True, convert=pool_name),
    *project_attrs(),
    Attr("ip_version", default=REQUIRED, convert=ip_version),
    Attr("shared", default=False, put=True, convert=to_bool, admin_post=True,
         admin_put=True),
), label="Address scope", not_found="AddressScopeNotFound")

"""subnetpools (subnet_allocation, with address scopes, default pools and quotas)."""
from __future__ import annotations

from typing import Any

from onestack.core.errors import BadRequest
from onestack.network.attributes import (REQUIRED, Attr, Resource, project_attrs,
                                         standard_attrs, string, to_bool, to_int,
                                         uuid_or_none)
from onestack.network.resources.subnets import canonical_cidr


def prefix_list(value: Any) -> list[str]:
    if not isinstance(value, list) or not value:
        raise BadRequest(f"Invalid input for prefixes. Reason: '{value}' is not a list.",
                         kind="HTTPBadRequest") if not isinstance(value, list) else \
            BadRequest("Empty subnet pool prefix list.", kind="EmptySubnetPoolPrefixList")
    return [canonical_cidr(item) for item in value]


def prefixlen(name: str) -> Any:
    def convert(value: Any) -> int | None:
        if value is None:
            return None
        number = to_int(value)
        if number < 0:
            raise BadRequest(f"Invalid input for {name}. Reason: '{value}' should be "
                             "non-negative.", kind="HTTPBadRequest")
        if number > 2 ** 31 - 1:  # the column's range (a prefix length is checked later)
            raise BadRequest(f"Invalid input for {name}. Reason: '{value}' is too large - "
                             f"must be no larger than '{2 ** 31 - 1}'.",
                             kind="HTTPBadRequest")
        return number
    return convert


def pool_name(value: Any) -> str:
    name = string(255)(value)
    if not name:
        raise BadRequest("Invalid input for name. Reason: '' Blank strings are not "
                         "permitted.", kind="HTTPBadRequest")
    return name


_STD = tuple(a for a in standard_attrs() if a.name != "name")

SUBNETPOOL = Resource("subnetpool", "subnetpools", (
    *_STD,
    Attr("name", default=REQUIRED, put=True, convert=pool_name),
    *project_attrs(),
    Attr("prefixes", default=REQUIRED, put=True, convert=prefix_list, computed=True,
         filter=False, sort=False),
    Attr("ip_version", post=False),
    Attr("default_prefixlen", default=None, put=True, convert=prefixlen("default_prefixlen")),
    Attr("min_prefixlen", default=None, put=True, convert=prefixlen("min_prefixlen")),
    Attr("max_prefixlen", default=None, put=True, convert=prefixlen("max_prefixlen")),
    Attr("default_quota", default=None, put=True, convert=prefixlen("default_quota")),
    Attr("is_default", default=False, put=True, convert=to_bool, admin_post=True,
         admin_put=True),
    Attr("shared", default=False, convert=to_bool, admin_post=True),
    Attr("address_scope_id", default=None, put=True, convert=uuid_or_none),
), label="Subnet pool", not_found="SubnetPoolNotFound")

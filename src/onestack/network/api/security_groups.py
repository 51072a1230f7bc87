"""``/v2.0/security-groups`` and ``/v2.0/security-group-rules`` (rules cannot be
changed: they have no update route, as Neutron's plugin has no rule update)."""
from __future__ import annotations

from onestack.core.http import RouteTable
from onestack.network.api.common import crud_routes
from onestack.network.service.engine import Deps


def routes(deps: Deps) -> RouteTable:
    r = crud_routes(deps.get("security_groups"), path="security-groups")
    rules = crud_routes(deps.get("security_group_rules"), path="security-group-rules",
                        update=False)
    r.routes.extend(rules.routes)
    return r

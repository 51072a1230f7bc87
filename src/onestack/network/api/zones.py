"""``/v2.0/availability_zones`` (list only, as in Neutron)."""
from __future__ import annotations

from onestack.core.http import Call, Reply, RouteTable
from onestack.network.api.common import V2, parse_query
from onestack.network.service.engine import Deps


def routes(deps: Deps) -> RouteTable:
    zones = deps.get("availability_zones")
    r = RouteTable()

    @r.get(f"{V2}/availability_zones")
    def list_zones(call: Call) -> Reply:
        items, _ = zones.list(call.ctx, parse_query(call))
        return Reply(200, {"availability_zones": items})

    return r

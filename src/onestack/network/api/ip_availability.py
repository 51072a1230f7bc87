"""``/v2.0/network-ip-availabilities`` (admin only)."""
from __future__ import annotations

from onestack.core.http import Call, Reply, RouteTable
from onestack.network.api.common import V2, parse_query
from onestack.network.service.engine import Deps

BASE = f"{V2}/network-ip-availabilities"


def routes(deps: Deps) -> RouteTable:
    r = RouteTable()
    service = deps.collections["network_ip_availabilities"]

    @r.get(BASE)
    def list_availabilities(call: Call) -> Reply:
        items, _ = service.list(call.ctx, parse_query(call))
        return Reply(200, {"network_ip_availabilities": items})

    @r.get(BASE + "/{id}")
    def show_availability(call: Call) -> Reply:
        fields = [f for v in call.query.getlist("fields") for f in v.split(",") if f]
        return Reply(200, {"network_ip_availability":
                           service.show(call.ctx, call.params["id"], fields)})

    return r

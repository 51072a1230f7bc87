"""``/v2.0/routers`` with the interface and extra-route actions."""
from __future__ import annotations

from onestack.core.http import Call, Reply, RouteTable
from onestack.network.api.common import V2, crud_routes
from onestack.network.service.engine import Deps
from onestack.network.service.router_interfaces import RouterInterfaces


def routes(deps: Deps) -> RouteTable:
    routers = deps.get("routers")
    interfaces = RouterInterfaces(routers)  # type: ignore[arg-type]
    r = crud_routes(routers)
    base = f"{V2}/routers/{{id}}"

    @r.put(base + "/add_router_interface")
    def add_router_interface(call: Call) -> Reply:
        return Reply(200, interfaces.add(call.ctx, call.params["id"], call.json))

    @r.put(base + "/remove_router_interface")
    def remove_router_interface(call: Call) -> Reply:
        return Reply(200, interfaces.remove(call.ctx, call.params["id"], call.json))

    @r.put(base + "/add_extraroutes")
    def add_extraroutes(call: Call) -> Reply:
        return Reply(200, {"router": routers.change_routes(  # type: ignore[attr-defined]
            call.ctx, call.params["id"], call.json, add=True)})

    @r.put(base + "/remove_extraroutes")
    def remove_extraroutes(call: Call) -> Reply:
        return Reply(200, {"router": routers.change_routes(  # type: ignore[attr-defined]
            call.ctx, call.params["id"], call.json, add=False)})
    return r

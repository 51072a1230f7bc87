"""``/v2.0/auto-allocated-topology/{project_id}``."""
from __future__ import annotations

from onestack.core.http import Call, Reply, RouteTable, no_content
from onestack.network.api.common import V2
from onestack.network.service.auto_allocate import AutoAllocator
from onestack.network.service.engine import Deps


def routes(deps: Deps) -> RouteTable:
    r = RouteTable()
    allocator = AutoAllocator(deps)
    base = f"{V2}/auto-allocated-topology/{{project_id}}"

    @r.get(base)
    def show_topology(call: Call) -> Reply:
        fields = [f for v in call.query.getlist("fields") for f in v.split(",") if f]
        found = allocator.get(call.ctx, call.params["project_id"], "dry-run" in fields)
        return Reply(200, {"auto_allocated_topology": found})

    @r.delete(base)
    def delete_topology(call: Call) -> Reply:
        allocator.delete(call.ctx, call.params["project_id"])
        return no_content()
    return r

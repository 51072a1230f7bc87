"""``/v2/tasks`` (admin only)."""
from __future__ import annotations

from onestack.core.http import Call, Reply, RouteTable
from onestack.image.api.common import Glance, parse_int


def routes(g: Glance) -> RouteTable:
    r = RouteTable()

    @r.post("/v2/tasks")
    def create(call: Call) -> Reply:
        return Reply(201, g.tasks.create(call.ctx, call.json))

    @r.get("/v2/tasks")
    def list_(call: Call) -> Reply:
        limit = parse_int("limit", call.q("limit", "25") or "25")
        filters = {k: call.q(k) or "" for k in ("type", "status")}
        return Reply(200, {"tasks": g.tasks.list(call.ctx, filters, min(limit, 1000)),
                           "first": "/v2/tasks", "schema": "/v2/schemas/tasks"})

    @r.get("/v2/tasks/{task_id}")
    def show(call: Call) -> Reply:
        return Reply(200, g.tasks.show(call.ctx, call.params["task_id"]))

    return r

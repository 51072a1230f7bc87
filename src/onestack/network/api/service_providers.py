"""``/v2.0/service-providers``."""
from __future__ import annotations

from onestack.core.http import Call, Reply, RouteTable
from onestack.network.api.common import V2, parse_query
from onestack.network.service.engine import Deps
from onestack.network.service.service_providers import service_providers


def routes(deps: Deps) -> RouteTable:
    r = RouteTable()

    @r.get(f"{V2}/service-providers")
    def list_service_providers(call: Call) -> Reply:
        q = parse_query(call)
        return Reply(200, {"service_providers": service_providers(
            deps, call.ctx, q.filters, q.fields)})
    return r

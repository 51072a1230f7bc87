"""``/v2.0/quotas``: list (admin), show/update/reset a project's limits, its defaults and
its usage details."""
from __future__ import annotations

from typing import cast

from onestack.core.http import Call, Reply, RouteTable, no_content
from onestack.network.api.common import V2, bad
from onestack.network.service.engine import Deps
from onestack.network.service.quotas import Quotas


def routes(deps: Deps) -> RouteTable:
    quotas = cast(Quotas, deps.get("quotas"))
    r = RouteTable()
    base = f"{V2}/quotas"

    @r.get(base)
    def list_quotas(call: Call) -> Reply:
        return Reply(200, {"quotas": quotas.list_quotas(call.ctx)})

    @r.get(base + "/{project_id}")
    def show_quota(call: Call) -> Reply:
        return Reply(200, {"quota": quotas.show_quota(
            call.ctx, call.params["project_id"])})

    @r.get(base + "/{project_id}/default")
    def show_default(call: Call) -> Reply:
        return Reply(200, {"quota": quotas.defaults(
            call.ctx, call.params["project_id"])})

    @r.get(base + "/{project_id}/details")
    def show_details(call: Call) -> Reply:
        return Reply(200, {"quota": quotas.details(
            call.ctx, call.params["project_id"])})

    @r.put(base + "/{project_id}")
    def update_quota(call: Call) -> Reply:
        body = call.json
        if not isinstance(body, dict) or "quota" not in body:
            raise bad("Unable to find 'quota' in request body")
        return Reply(200, {"quota": quotas.set_quota(
            call.ctx, call.params["project_id"], body["quota"])})

    @r.delete(base + "/{project_id}")
    def reset_quota(call: Call) -> Reply:
        quotas.reset(call.ctx, call.params["project_id"])
        return no_content()

    return r

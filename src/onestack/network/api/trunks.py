"""``/v2.0/trunks`` and its subport actions (``add_subports``/``remove_subports`` answer
the trunk itself, unwrapped, as Neutron does)."""
from __future__ import annotations

from typing import cast

from onestack.core.http import Call, Reply, RouteTable
from onestack.network.api.common import V2, crud_routes
from onestack.network.service.engine import Deps
from onestack.network.service.trunks import Trunks


def routes(deps: Deps) -> RouteTable:
    trunks = cast(Trunks, deps.get("trunks"))
    r = crud_routes(trunks)

    @r.put(f"{V2}/trunks/{{id}}/add_subports")
    def add_subports(call: Call) -> Reply:
        return Reply(200, trunks.add_subports(call.ctx, call.params["id"], call.json))

    @r.put(f"{V2}/trunks/{{id}}/remove_subports")
    def remove_subports(call: Call) -> Reply:
        return Reply(200, trunks.remove_subports(call.ctx, call.params["id"], call.json))

    @r.get(f"{V2}/trunks/{{id}}/get_subports")
    def get_subports(call: Call) -> Reply:
        return Reply(200, {"sub_ports": trunks.get_subports(call.ctx, call.params["id"])})

    return r

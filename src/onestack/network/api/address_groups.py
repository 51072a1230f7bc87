"""``/v2.0/address-groups`` with the ``add_addresses``/``remove_addresses`` actions."""
from __future__ import annotations

from typing import Any

from onestack.core.http import Call, Reply, RouteTable
from onestack.network.api.common import V2, crud_routes
from onestack.network.service.engine import Deps


def routes(deps: Deps) -> RouteTable:
    groups: Any = deps.get("address_groups")
    r = crud_routes(groups, path="address-groups")
    base = f"{V2}/address-groups/{{id}}"

    @r.put(base + "/add_addresses")
    def add_addresses(call: Call) -> Reply:
        return Reply(200, {"address_group": groups.change_addresses(
            call.ctx, call.params["id"], call.json, add=True)})

    @r.put(base + "/remove_addresses")
    def remove_addresses(call: Call) -> Reply:
        return Reply(200, {"address_group": groups.change_addresses(
            call.ctx, call.params["id"], call.json, add=False)})
    return r

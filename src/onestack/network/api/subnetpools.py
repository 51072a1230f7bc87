"""``/v2.0/subnetpools`` and the subnetpool-prefix-ops actions
(``PUT …/{id}/add_prefixes`` and ``…/remove_prefixes`` with ``{"prefixes": [...]}``) and
subnet_onboard's ``PUT …/{id}/onboard_network_subnets`` with ``{"network_id": …}``."""
from __future__ import annotations

from onestack.core.http import Call, Reply, RouteTable
from onestack.network.api.common import V2, crud_routes
from onestack.network.service.engine import Deps
from onestack.network.service.subnetpools import SubnetPools


def routes(deps: Deps) -> RouteTable:
    pools = deps.get("subnetpools")
    assert isinstance(pools, SubnetPools)
    table = crud_routes(pools)

    def add_prefixes(call: Call) -> Reply:
        return Reply(200, pools.change_prefixes(call.ctx, call.params["id"], call.json,
                                                add=True))

    def remove_prefixes(call: Call) -> Reply:
        return Reply(200, pools.change_prefixes(call.ctx, call.params["id"], call.json,
                                                add=False))

    def onboard_network_subnets(call: Call) -> Reply:
        return Reply(200, pools.onboard(call.ctx, call.params["id"], call.json))

    table.add("PUT", f"{V2}/subnetpools/{{id}}/add_prefixes", add_prefixes)
    table.add("PUT", f"{V2}/subnetpools/{{id}}/onboard_network_subnets",
              onboard_network_subnets)
    table.add("PUT", f"{V2}/subnetpools/{{id}}/remove_prefixes", remove_prefixes)
    return table

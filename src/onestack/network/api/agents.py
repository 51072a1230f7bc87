"""``/v2.0/agents`` (list, show, update, delete) and the scheduler extensions' routes:
``/v2.0/agents/{id}/dhcp-networks``, ``/v2.0/networks/{id}/dhcp-agents``,
``/v2.0/agents/{id}/l3-routers``, ``/v2.0/routers/{id}/l3-agents``."""
from __future__ import annotations

from functools import partial
from typing import Any

from onestack.core.http import Call, Reply, RouteTable, no_content
from onestack.network.api.common import V2, bad, crud_routes
from onestack.network.service.engine import Deps


def _body_id(call: Call, key: str) -> Any:
    body = call.json
    if not isinstance(body, dict) or key not in body:
        raise bad(f"Unable to find '{key}' in request body")
    return body[key]


def list_dhcp_networks(agents: Any, call: Call) -> Reply:
    return Reply(200, {"networks": agents.dhcp_networks(call.ctx, call.params["id"])})


def add_dhcp_network(agents: Any, call: Call) -> Reply:
    agents.add_dhcp_network(call.ctx, call.params["id"], _body_id(call, "network_id"))
    return Reply(201)


def remove_dhcp_network(agents: Any, call: Call) -> Reply:
    agents.remove_dhcp_network(call.ctx, call.params["id"], call.params["network_id"])
    return no_content()


def list_network_dhcp_agents(agents: Any, call: Call) -> Reply:
    return Reply(200, {"agents": agents.network_dhcp_agents(call.ctx, call.params["id"])})


def list_l3_routers(agents: Any, call: Call) -> Reply:
    return Reply(200, {"routers": agents.l3_routers(call.ctx, call.params["id"])})


def add_l3_router(agents: Any, call: Call) -> Reply:
    agents.add_l3_router(call.ctx, call.params["id"], _body_id(call, "router_id"))
    return Reply(201)


def remove_l3_router(agents: Any, call: Call) -> Reply:
    agents.remove_l3_router(call.ctx, call.params["id"], call.params["router_id"])
    return no_content()


def list_router_l3_agents(agents: Any, call: Call) -> Reply:
    return Reply(200, {"agents": agents.router_l3_agents(call.ctx, call.params["id"])})


def routes(deps: Deps) -> RouteTable:
    agents = deps.get("agents")
    r = crud_routes(agents, create=False, tags=False)
    for method, path, handler in (
            ("GET", "/agents/{id}/dhcp-networks", list_dhcp_networks),
            ("POST", "/agents/{id}/dhcp-networks", add_dhcp_network),
            ("DELETE", "/agents/{id}/dhcp-networks/{network_id}", remove_dhcp_network),
            ("GET", "/networks/{id}/dhcp-agents", list_network_dhcp_agents),
            ("GET", "/agents/{id}/l3-routers", list_l3_routers),
            ("POST", "/agents/{id}/l3-routers", add_l3_router),
            ("DELETE", "/agents/{id}/l3-routers/{router_id}", remove_l3_router),
            ("GET", "/routers/{id}/l3-agents", list_router_l3_agents)):
        r.add(method, V2 + path, partial(handler, agents))
    return r

"""The Placement API under ``/placement``: resource providers, inventories, usages,
allocations, allocation candidates, traits and resource classes — over the same tables the
scheduler claims against. Route modules parse and render; ``Placement``'s services own
policy and transactions."""
from __future__ import annotations

from onestack.core.http import Call, Reply, RouteTable
from onestack.core.platform import Platform
from onestack.placement import policies
from onestack.placement.api import allocations, microversion as mv, providers, vocabulary
from onestack.placement.api.common import Placement


def root(call: Call) -> Reply:
    return Reply(200, {"versions": [{
        "id": "v1.0", "max_version": f"{mv.MAX[0]}.{mv.MAX[1]}",
        "min_version": f"{mv.MIN[0]}.{mv.MIN[1]}", "status": "CURRENT",
        "links": [{"rel": "self", "href": ""}]}]})


def routes(platform: Platform) -> RouteTable:
    platform.policy.register(policies.RULES)
    p = Placement.build(platform)
    r = RouteTable()
    r.add("GET", "", root, auth=False)
    r.add("GET", "/", root, auth=False)
    for module in (providers, allocations, vocabulary):
        r.routes.extend(module.routes(p).routes)
    return r

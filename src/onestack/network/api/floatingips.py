"""``/v2.0/floatingips``."""
from __future__ import annotations

from onestack.core.http import RouteTable
from onestack.network.api.common import crud_routes
from onestack.network.service.engine import Deps


def routes(deps: Deps) -> RouteTable:
    return crud_routes(deps.get("floatingips"))

"""``/v2.0/service-providers``: the drivers behind each advanced service, as Neutron lists
them (read only; the L3 router service is the only one here)."""
from __future__ import annotations

from typing import Any

from onestack.core.context import RequestContext
from onestack.network.service.engine import Deps

PROVIDERS: tuple[dict[str, Any], ...] = (
    {"service_type": "L3_ROUTER_NAT", "name": "single_node", "default": False},
    {"service_type": "L3_ROUTER_NAT", "name": "dvr", "default": False},
    {"service_type": "L3_ROUTER_NAT", "name": "ha", "default": False},
    {"service_type": "L3_ROUTER_NAT", "name": "dvrha", "default": False},
)


def service_providers(deps: Deps, ctx: RequestContext, filters: dict[str, list[str]],
                      fields: list[str]) -> list[dict[str, Any]]:
    """The providers matching ``filters`` (any of each attribute's values), with only
    ``fields`` when given."""
    deps.policy.enforce("get_service_provider", ctx, {"project_id": ctx.project_id,
                                                      "tenant_id": ctx.project_id})
    out = []
    for provider in PROVIDERS:
        if all(str(provider.get(k)).lower() in [v.lower() for v in vs]
               for k, vs in filters.items()):
            out.append({k: v for k, v in provider.items() if not fields or k in fields})
    return out

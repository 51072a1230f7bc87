"""Availability zones, as Neutron derives them: each zone a DHCP agent reports is a zone of
resource ``network``, each an L3 agent reports one of resource ``router``; a zone is
``available`` while one of its agents is alive and enabled. With no agent reporting
zones of a resource, the default zone ``nova`` stands for it (so hints naming it are
accepted before any agent has started).

Hooks: ``zones_of_networks(s, rows)`` (the zones of the DHCP agents hosting each network)
and ``check_hints(s, hints, resource)`` (404 AvailabilityZoneNotFound for an unknown one).
"""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.context import RequestContext
from onestack.core.errors import BadRequest, NotFound
from onestack.network.models.agents import Agent, DhcpBinding
from onestack.network.resources.zones import AVAILABILITY_ZONE
from onestack.network.service import agents as agent_service
from onestack.network.service.engine import Collection
from onestack.network.service.query import ListQuery

DEFAULT_ZONE = "nova"
RESOURCE_OF = {agent_service.DHCP_AGENT[0]: "network", agent_service.L3_AGENT[0]: "router"}


class AvailabilityZones(Collection):
    resource = AVAILABILITY_ZONE
    model = Agent

    def zones(self, s: Session) -> list[dict[str, str]]:
        alive = agent_service.alive_since()
        found: dict[tuple[str, str], bool] = {}
        for agent_type, zone, up, beat in s.execute(sa.select(
                Agent.agent_type, Agent.availability_zone, Agent.admin_state_up,
                Agent.heartbeat_timestamp).where(Agent.agent_type.in_(list(RESOURCE_OF)),
                                                 Agent.availability_zone.is_not(None))):
            key = (zone, RESOURCE_OF[agent_type])
            found[key] = found.get(key, False) or bool(up and beat and beat >= alive)
        for resource in ("network", "router"):
            if not any(r == resource for _, r in found):
                found[(DEFAULT_ZONE, resource)] = True
        return [{"name": name, "resource": resource,
                 "state": "available" if ok else "unavailable"}
                for (name, resource), ok in sorted(found.items())]

    def list(self, ctx: RequestContext, q: ListQuery) -> tuple[list[dict[str, Any]], bool]:
        self.deps.policy.enforce("get_availability_zone", ctx,
                                 {"project_id": ctx.project_id, "tenant_id": ctx.project_id})
        bad = [n for n in q.filters if n not in AVAILABILITY_ZONE.by_name]
        if bad:
            raise BadRequest(f"{bad} is invalid attribute for filtering",
                             kind="HTTPBadRequest")
        items = [z for z in self.deps.db.read(self.zones)
                 if all(z[k] in v for k, v in q.filters.items())]
        for key, direction in reversed(q.sorts):
            if key not in AVAILABILITY_ZONE.by_name:
                raise BadRequest(f"{key} is an invalid attribute for sort_key",
                                 kind="HTTPBadRequest")
            items.sort(key=lambda z: z[key], reverse=direction == "desc")
        if q.fields:
            items = [{k: v for k, v in z.items() if k in q.fields} for z in items]
        return items, False

    # --- hooks ---------------------------------------------------------------------------
    def check_hints(self, s: Session, hints: list[str], resource: str) -> None:
        known = {z["name"] for z in self.zones(s) if z["resource"] == resource}
        for hint in hints:
            if hint not in known:
                raise NotFound(f"AvailabilityZone {hint} could not be found.",
                               kind="AvailabilityZoneNotFound")

    def zones_of_networks(self, s: Session, rows: list[Any]) -> dict[str, list[str]]:
        ids = [r.id for r in rows]
        out: dict[str, set[str]] = {}
        for start in range(0, len(ids), 500):
            for network_id, zone in s.execute(
                    sa.select(DhcpBinding.network_id, Agent.availability_zone)
                    .join(Agent, Agent.id == DhcpBinding.agent_id)
                    .where(DhcpBinding.network_id.in_(ids[start:start + 500]),
                           Agent.availability_zone.is_not(None))):
                out.setdefault(network_id, set()).add(zone)
        return {k: sorted(v) for k, v in out.items()}

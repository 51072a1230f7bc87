"""Network agents: each host's agent rows (registered and kept alive by the host's network
agent), what the operator may change of them, and the scheduling of networks to DHCP
agents and routers to L3 agents (the ``dhcp_agent_scheduler`` and ``l3_agent_scheduler``
extensions).

An agent is alive while its heartbeat is younger than ``AGENT_DOWN_TIME`` (Neutron's
``agent_down_time``). Only an admin sees agents: anyone else lists none and gets a 404 for
one, as Neutron's admin-only rules answer.

``schedule_network`` and ``schedule_router`` bind an unhosted network or router to the
live agent with the least to do and are safe to call again (the bindings' keys make a
second binding impossible); a binding to a dead agent stays until an operator moves it, as
in Neutron. A router is scheduled when it changes while it has a gateway or an interface
(``service.routers``) and by an L3 agent coming alive (``agent.host``), not on every
resync: a router an operator took off its agents stays unhosted, without a data path,
until an operator or one of those events hosts it again.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from onestack.core.context import RequestContext
from onestack.core.db import new_id, utcnow
from onestack.core.errors import Conflict, NotFound
from onestack.network.attributes import to_bool
from onestack.network.models.agents import Agent, DhcpBinding, L3Binding
from onestack.network.resources.agents import AGENT
from onestack.network.service.engine import Collection
from onestack.network.service.query import ListQuery

AGENT_DOWN_TIME = 75  # seconds without a heartbeat before an agent counts as dead

# (agent_type, binary, topic) of the three agents a host's network agent stands for
L2_AGENT = ("Linux bridge agent", "neutron-linuxbridge-agent", "N/A")
L3_AGENT = ("L3 agent", "neutron-l3-agent", "l3_agent")
DHCP_AGENT = ("DHCP agent", "neutron-dhcp-agent", "dhcp_agent")
HOST_AGENTS = (L2_AGENT, L3_AGENT, DHCP_AGENT)


def stamp(moment: datetime | None) -> str | None:
    """Neutron shows agent times as ``2026-11-27 18:30:00``."""
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment else None


def alive_since(now: datetime | None = None) -> datetime:
    """Heartbeats at or after this moment count as alive."""
    return (now or utcnow()) - timedelta(seconds=AGENT_DOWN_TIME)


# --- what the host's agent calls, inside its own transaction -------------------------------

def register(s: Session, host: str, kind: tuple[str, str, str], *, zone: str | None,
             configurations: dict[str, Any], now: datetime | None = None) -> str:
    """The agent row of ``kind`` on ``host`` (made on first start), marked started now."""
    now = now or utcnow()
    agent_type, binary, topic = kind
    row = _agent_of(s, host, agent_type)
    if row is None:
        try:
            with s.begin_nested():
                row = Agent(id=new_id(), agent_type=agent_type, binary=binary, topic=topic,
                            host=host, availability_zone=zone, admin_state_up=True,
                            configurations=configurations, resource_versions={}, load=0,
                            created_at=now, started_at=now, heartbeat_timestamp=now)
                s.add(row)
        except IntegrityError:  # another process registered it meanwhile
            row = _agent_of(s, host, agent_type)
            assert row is not None
    row.configurations, row.started_at, row.heartbeat_timestamp = configurations, now, now
    if zone is not None and agent_type != L2_AGENT[0]:
        row.availability_zone = zone
    s.flush()
    return row.id


def _agent_of(s: Session, host: str, agent_type: str) -> Agent | None:
    return s.scalar(sa.select(Agent).where(Agent.host == host, Agent.agent_type == agent_type))


def heartbeat(s: Session, host: str, configurations: dict[str, Any] | None = None,
              now: datetime | None = None) -> int:
    """Every agent row of ``host`` is alive now; returns how many rows there are (0: an
    operator deleted them, and the agent registers again)."""
    values: dict[str, Any] = {"heartbeat_timestamp": now or utcnow()}
    result = s.execute(sa.update(Agent).where(Agent.host == host).values(**values))
    if configurations is not None:
        for row in s.scalars(sa.select(Agent).where(Agent.host == host)):
            if row.configurations != configurations:
                row.configurations = configurations
    return int(result.rowcount or 0)


def live_agents(s: Session, agent_type: str, now: datetime | None = None) -> list[Agent]:
    """Alive agents of a type that the operator has not disabled."""
    return list(s.scalars(sa.select(Agent).where(
        Agent.agent_type == agent_type, Agent.admin_state_up.is_(True),
        Agent.heartbeat_timestamp >= alive_since(now)).order_by(Agent.host)))


def dhcp_agent_ids(s: Session, network_id: str) -> list[str]:
    return list(s.scalars(sa.select(DhcpBinding.agent_id).where(
        DhcpBinding.network_id == network_id)))


def dhcp_network_ids(s: Session, agent_id: str) -> list[str]:
    return list(s.scalars(sa.select(DhcpBinding.network_id).where(
        DhcpBinding.agent_id == agent_id)))


def l3_agent_id(s: Session, router_id: str) -> str | None:
    return s.scalar(sa.select(L3Binding.agent_id).where(L3Binding.router_id == router_id))


def l3_router_ids(s: Session, agent_id: str) -> list[str]:
    return list(s.scalars(sa.select(L3Binding.router_id).where(L3Binding.agent_id == agent_id)))


def _least_loaded(s: Session, candidates: list[Agent], binding: Any) -> Agent | None:
    if not candidates:
        return None
    ids = [a.id for a in candidates]
    counts = dict(s.execute(sa.select(binding.agent_id, sa.func.count()).where(
        binding.agent_id.in_(ids)).group_by(binding.agent_id)).all())
    return min(candidates, key=lambda a: (counts.get(a.id, 0), a.host))


def schedule_network(s: Session, network_id: str, now: datetime | None = None) -> list[str]:
    """The DHCP agents serving the network, binding it to the least busy live one first
    when none does yet (no live DHCP agent: none)."""
    hosted = dhcp_agent_ids(s, network_id)
    if hosted:
        return hosted
    agent = _least_loaded(s, live_agents(s, DHCP_AGENT[0], now), DhcpBinding)
    if agent is None:
        return []
    bind_once(s, DhcpBinding(network_id=network_id, agent_id=agent.id))
    return dhcp_agent_ids(s, network_id)


def schedule_router(s: Session, router_id: str, now: datetime | None = None) -> str | None:
    """The L3 agent hosting the router, binding it to the least busy live one first."""
    hosted = l3_agent_id(s, router_id)
    if hosted is not None:
        return hosted
    agent = _least_loaded(s, live_agents(s, L3_AGENT[0], now), L3Binding)
    if agent is None:
        return None
    bind_once(s, L3Binding(router_id=router_id, agent_id=agent.id))
    return l3_agent_id(s, router_id)


def wants_dhcp(s: Session, network_id: str) -> bool:
    """A network with a DHCP-enabled subnet (Neutron schedules it to a DHCP agent when
    such a subnet, or a port on it, is made)."""
    from onestack.network.models.subnets import Subnet

    return s.scalar(sa.select(Subnet.id).where(Subnet.network_id == network_id,
                                               Subnet.enable_dhcp.is_(True)).limit(1)) \
        is not None


def bind_once(s: Session, binding: Any) -> None:
    try:
        with s.begin_nested():
            s.add(binding)
    except IntegrityError:
        pass  # bound meanwhile by another scheduler: that binding stands


def unbind_network(s: Session, network_id: str) -> None:
    s.execute(sa.delete(DhcpBinding).where(DhcpBinding.network_id == network_id))


def unbind_router(s: Session, router_id: str) -> None:
    s.execute(sa.delete(L3Binding).where(L3Binding.router_id == router_id))


# --- the API's use cases -------------------------------------------------------------------

class Agents(Collection):
    resource = AGENT
    model = Agent

    def visible(self, s: Session | None, ctx: RequestContext) -> Any:
        return sa.false()

    def list(self, ctx: RequestContext, q: ListQuery) -> tuple[list[dict[str, Any]], bool]:
        if not self.deps.is_admin(ctx):
            return [], False  # Neutron's admin-only rule filters every agent out
        return super().list(ctx, q)

    def list_statement(self, s: Session, ctx: RequestContext, q: ListQuery) -> Any:
        """``agent_type`` matches whatever its case (Tempest asks for "DHCP Agent",
        which MySQL's collation matches in real Neutron)."""
        types = q.filters.pop("agent_type", None)
        try:
            stmt = super().list_statement(s, ctx, q)
        finally:
            if types is not None:
                q.filters["agent_type"] = types
        if types is not None:
            stmt = stmt.where(sa.func.lower(Agent.agent_type).in_([t.lower() for t in types]))
        return stmt

    def computed_filter(self, name: str, values: list[str]) -> Any | None:
        if name != "alive":
            return None
        wanted = {to_bool(v) for v in values}
        if wanted == {True}:
            return Agent.heartbeat_timestamp >= alive_since()
        if wanted == {False}:
            return Agent.heartbeat_timestamp < alive_since()
        return None

    def extras(self, s: Session, ctx: RequestContext, rows: list[Agent]
               ) -> dict[str, dict[str, Any]]:
        since = alive_since()
        return {r.id: {"alive": r.heartbeat_timestamp >= since, "resources_synced": None}
                for r in rows}

    def view(self, row: Any, extra: dict[str, Any], tags: list[str],
             hidden: set[str]) -> dict[str, Any]:
        doc = super().view(row, extra, tags, hidden)
        for key in ("created_at", "started_at", "heartbeat_timestamp"):
            if key in doc:
                doc[key] = stamp(getattr(row, key))
        return doc

    def target(self, row: Any) -> dict[str, Any]:
        return {}

    @staticmethod
    def bump(row: Any) -> None:
        """Agents have no revision number."""

    def check_revision(self, row: Any, if_match: int | None) -> None:
        """Nor standard attributes: an If-Match constraint does not apply to them."""

    def before_delete(self, s: Session, ctx: RequestContext, row: Agent) -> None:
        s.execute(sa.delete(DhcpBinding).where(DhcpBinding.agent_id == row.id))
        s.execute(sa.delete(L3Binding).where(L3Binding.agent_id == row.id))

    # --- scheduler extensions --------------------------------------------------------
    def _dhcp_agent(self, s: Session, ctx: RequestContext, agent_id: str) -> Agent:
        row = self.find(s, ctx, agent_id)
        if row.agent_type != DHCP_AGENT[0]:
            raise NotFound(f"Agent {agent_id} is not a valid DHCP Agent or has been "
                           "disabled.", kind="InvalidDHCPAgent")
        return row

    def _l3_agent(self, s: Session, ctx: RequestContext, agent_id: str) -> Agent:
        row = self.find(s, ctx, agent_id)
        if row.agent_type != L3_AGENT[0]:
            raise NotFound(f"Agent {agent_id} is not a L3 Agent or has been disabled.",
                           kind="InvalidL3Agent")
        return row

    def dhcp_networks(self, ctx: RequestContext, agent_id: str) -> list[dict[str, Any]]:
        self.deps.policy.enforce("get_dhcp-networks", ctx, {})
        nets = self.deps.get("networks")

        def work(s: Session) -> list[dict[str, Any]]:
            self._dhcp_agent(s, ctx, agent_id)
            ids = dhcp_network_ids(s, agent_id)
            rows = list(s.scalars(sa.select(nets.model).where(nets.model.id.in_(ids))
                                  .order_by(nets.model.id))) if ids else []
            return nets.render(s, ctx, rows)
        return self.deps.db.read(work)

    def add_dhcp_network(self, ctx: RequestContext, agent_id: str, network_id: Any) -> None:
        self.deps.policy.enforce("create_dhcp-network", ctx, {})

        def work(s: Session) -> None:
            self._dhcp_agent(s, ctx, agent_id)
            network = self.deps.get("networks").find(s, ctx, str(network_id))
            if agent_id in dhcp_agent_ids(s, network.id):
                raise Conflict(f"The network {network.id} has been already hosted by the "
                               f"DHCP Agent {agent_id}.", kind="NetworkHostedByDHCPAgent")
            bind_once(s, DhcpBinding(network_id=network.id, agent_id=agent_id))
        self.deps.db.write(work)
        self.deps.wake("dhcp", str(network_id))

    def remove_dhcp_network(self, ctx: RequestContext, agent_id: str, network_id: str) -> None:
        self.deps.policy.enforce("delete_dhcp-network", ctx, {})

        def work(s: Session) -> None:
            self._dhcp_agent(s, ctx, agent_id)
            gone = s.execute(sa.delete(DhcpBinding).where(
                DhcpBinding.agent_id == agent_id, DhcpBinding.network_id == network_id))
            if not gone.rowcount:
                raise Conflict(f"The network {network_id} is not hosted by the DHCP agent "
                               f"{agent_id}.", kind="NetworkNotHostedByDhcpAgent")
        self.deps.db.write(work)
        self.deps.wake("dhcp", network_id)

    def network_dhcp_agents(self, ctx: RequestContext, network_id: str
                            ) -> list[dict[str, Any]]:
        self.deps.policy.enforce("get_dhcp-agents", ctx, {})

        def work(s: Session) -> list[dict[str, Any]]:
            network = self.deps.get("networks").find(s, ctx, network_id)
            ids = dhcp_agent_ids(s, network.id)
            if not ids and wants_dhcp(s, network.id):
                ids = schedule_network(s, network.id)  # whoever looks first schedules
            rows = list(s.scalars(sa.select(Agent).where(Agent.id.in_(ids)))) if ids else []
            return self.render(s, ctx, rows)
        return self.deps.db.write(work)

    def l3_routers(self, ctx: RequestContext, agent_id: str) -> list[dict[str, Any]]:
        self.deps.policy.enforce("get_l3-routers", ctx, {})
        routers = self.deps.get("routers")

        def work(s: Session) -> list[dict[str, Any]]:
            self._l3_agent(s, ctx, agent_id)
            ids = l3_router_ids(s, agent_id)
            rows = list(s.scalars(sa.select(routers.model).where(routers.model.id.in_(ids))
                                  .order_by(routers.model.id))) if ids else []
            return routers.render(s, ctx, rows)
        return self.deps.db.read(work)

    def add_l3_router(self, ctx: RequestContext, agent_id: str, router_id: Any) -> None:
        self.deps.policy.enforce("create_l3-router", ctx, {})

        def work(s: Session) -> None:
            agent = self._l3_agent(s, ctx, agent_id)
            if not agent.admin_state_up:  # a disabled agent takes no new routers
                raise NotFound(f"Agent {agent_id} is not a L3 Agent or has been disabled.",
                               kind="InvalidL3Agent")
            router = self.deps.get("routers").find(s, ctx, str(router_id))
            hosted = l3_agent_id(s, router.id)
            if hosted == agent_id:
                return  # already where it is asked to be: nothing to do, as in Neutron
            if hosted is not None:
                raise Conflict(f"The router {router.id} has been already hosted by the L3 "
                               f"Agent {hosted}.", kind="RouterHostedByL3Agent")
            bind_once(s, L3Binding(router_id=router.id, agent_id=agent_id))
        self.deps.db.write(work)
        self.deps.wake("router", str(router_id))

    def remove_l3_router(self, ctx: RequestContext, agent_id: str, router_id: str) -> None:
        self.deps.policy.enforce("delete_l3-router", ctx, {})

        def work(s: Session) -> None:
            self._l3_agent(s, ctx, agent_id)
            gone = s.execute(sa.delete(L3Binding).where(
                L3Binding.agent_id == agent_id, L3Binding.router_id == router_id))
            if not gone.rowcount:
                raise Conflict(f"The router {router_id} is not hosted by L3 agent "
                               f"{agent_id}.", kind="RouterNotHostedByL3Agent")
        self.deps.db.write(work)
        self.deps.wake("router", router_id)

    def router_l3_agents(self, ctx: RequestContext, router_id: str) -> list[dict[str, Any]]:
        self.deps.policy.enforce("get_l3-agents", ctx, {})

        def work(s: Session) -> list[dict[str, Any]]:
            router = self.deps.get("routers").find(s, ctx, router_id)
            hosted = l3_agent_id(s, router.id)
            rows = [s.get(Agent, hosted)] if hosted else []
            return self.render(s, ctx, [r for r in rows if r is not None])
        return self.deps.db.read(work)

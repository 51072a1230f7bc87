"""Runs network agents as reconcile workers with a heartbeat: one per host of the agent
context (the fake hosts of ``onestack up``, or the one host of ``onestack agent
network``).

Each host's worker waits on its own topic, ``network.agent.<host>``, because a bus topic
wakes one waiter; a relay fans the network service's notifications (``network.port``,
``network.routers``, … — whatever a collection passes to ``Deps.wake``) out to every
local host. Without a shared bus (a lone agent) the periodic resync finds the work.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, Callable

from onestack.core.bus import Bus, NullBus
from onestack.core.config import Settings
from onestack.core.reconcile import Worker
from onestack.core.registry import AgentContext
from onestack.network.agent.host import NetworkAgent
from onestack.network.drivers.base import NetworkDriver

log = logging.getLogger(__name__)
HEARTBEAT_SECONDS = 10.0
RESYNC_SECONDS = 2.0
# what the network collections notify (``network.<topic>``) that may change a host's wiring
RELAYED = ("agent", "port", "ports", "router", "routers", "floatingip", "floatingips",
           "dhcp", "subnet", "subnets", "network", "networks", "security_group",
           "security_groups", "security_group_rule", "security_group_rules",
           "port_forwardings", "address_groups")


@dataclass
class Running:
    workers: list[Worker] = field(default_factory=list)
    agents: list[NetworkAgent] = field(default_factory=list)
    stop_event: threading.Event = field(default_factory=threading.Event)

    def stop(self) -> None:
        self.stop_event.set()
        for w in self.workers:
            w.stop()


def host_topic(host: str) -> str:
    return f"network.agent.{host}"


def make_driver(name: str, host: str, settings: Settings | None = None) -> NetworkDriver:
    """``fake`` (in memory) or ``linux`` (the kernel, in ``settings.dataplane_netns``)."""
    if name == "linux":
        from onestack.network.drivers.linux import LinuxDriverConfig, LinuxNetworkDriver

        s = settings or Settings()
        interfaces = dict(item.split(":", 1) for item in
                          s.network_physical_interfaces.split(",") if ":" in item)
        return LinuxNetworkDriver(LinuxDriverConfig(
            netns=s.dataplane_netns, physical_interfaces=interfaces,
            tunnel_local_ip=s.network_tunnel_ip or None,
            tunnel_dev=s.network_tunnel_dev or None,
            metadata_upstream=s.metadata_proxy_upstream or f"{s.base_url}/metadata",
            metadata_secret=s.metadata_proxy_secret), host)
    if name != "fake":
        raise ValueError(f"unknown network driver {name!r}")
    from onestack.network.drivers.fake import FakeNetworkDriver

    return FakeNetworkDriver(host)


def collections(ctx: AgentContext) -> dict[str, Any]:
    """The network service's collections over the agent's database (the same classes
    the API builds; their internal use cases skip policy, but the engine wants one)."""
    from onestack.core.policy import Policy
    from onestack.network import app, policies

    policy = Policy(ctx.settings.policy_file)
    policy.register(policies.RULES)
    platform = SimpleNamespace(db=ctx.db, policy=policy, settings=ctx.settings, bus=ctx.bus)
    return app.build(platform).collections  # type: ignore[arg-type]


def start_host(ctx: AgentContext, running: Running, host: str, zone: str,
               shared: dict[str, Any], resync: float = RESYNC_SECONDS) -> NetworkAgent:
    agent = NetworkAgent(ctx.db, ctx.bus, host, make_driver(ctx.driver, host, ctx.settings), shared, zone)
    agent.start()
    worker = Worker(f"network-{host}", ctx.bus, host_topic(host), agent.pending,
                    agent.reconcile, resync=resync, threads=1, full=agent.drifted)
    worker.start()
    running.workers.append(worker)
    running.agents.append(agent)

    def beat() -> None:
        while not running.stop_event.wait(HEARTBEAT_SECONDS):
            try:
                agent.heartbeat()
            except Exception:  # noqa: BLE001 - keep beating through database hiccups
                log.exception("network agent heartbeat of %s failed", host)
    threading.Thread(target=beat, name=f"network-heartbeat-{host}", daemon=True).start()
    return agent


def relay(bus: Bus, hosts: list[str], running: Running) -> None:
    """Fan each relayed topic out to every local host's topic (nothing to relay on a
    bus that carries no notifications)."""
    if isinstance(bus, NullBus):
        return
    def forward(topic: str) -> None:
        while not running.stop_event.is_set():
            ids = bus.wait(topic, RESYNC_SECONDS)
            if ids and not running.stop_event.is_set():
                for host in hosts:
                    bus.notify(host_topic(host), next(iter(ids)))
    for name in RELAYED:
        threading.Thread(target=forward, args=(f"network.{name}",),
                         name=f"network-relay-{name}", daemon=True).start()


def start(ctx: AgentContext) -> Callable[[], None]:
    """A network agent for every host of ``ctx``; returns the function stopping them."""
    running = Running()
    shared = collections(ctx)
    for host, zone in ctx.hosts:
        start_host(ctx, running, host, zone, shared)
    relay(ctx.bus, [h for h, _ in ctx.hosts], running)
    return running.stop

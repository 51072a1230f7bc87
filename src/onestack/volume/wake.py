"""How the API wakes the volume agent that serves a backend: one bus topic per agent
host. A wake-up only saves waiting for the agent's next pass (level-triggered work)."""
from __future__ import annotations

from typing import Any


def agent_topic(host: str) -> str:
    return f"volume.agent.{host}"


def backend_host(backend: str) -> str:
    """The agent host of ``host@backend#pool``."""
    return backend.partition("@")[0]


def wake(bus: Any, backend: str, ident: str) -> None:
    if bus is not None and backend:
        bus.notify(agent_topic(backend_host(backend)), ident)

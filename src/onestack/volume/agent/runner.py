"""(being built) starts a volume agent per host."""
from __future__ import annotations

from typing import Callable

from onestack.core.registry import AgentContext


def start(ctx: AgentContext) -> Callable[[], None]:
    return lambda: None

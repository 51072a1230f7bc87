"""What every service is built from: one database, the settings, the policy enforcer and the
identity service (for token validation and project/user lookups), the bus that wakes local
workers, and the registry of the services mounted beside this one."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # annotations only: importing the platform costs nothing
    from onestack.core.bus import Bus
    from onestack.core.config import Settings
    from onestack.core.db import Database
    from onestack.core.policy import Policy


@dataclass
class Platform:
    db: Database
    settings: Settings
    policy: Policy
    identity: Any  # onestack.identity.api.common.Identity (core does not import services)
    bus: Bus
    services: Any = None  # core.registry.Registry; None when built piecemeal (tests)
    # service name → the seam it offers its neighbours (``ServiceSpec.seam``)
    seams: dict[str, Any] = field(default_factory=dict)

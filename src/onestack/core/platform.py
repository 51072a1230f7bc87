"""What every service is built from: one database, the settings, the policy enforcer and the
identity service (for token validation and project/user lookups)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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

"""Rules of the operator's views (Cinder's names): services, hosts, pools and backend
capabilities are for admins; any authenticated user lists the availability zones (Cinder
has no rule for that)."""
from __future__ import annotations

from onestack.volume.policies import ADMIN

RULES: list[tuple[str, str]] = [
    ("volume_extension:services:index", ADMIN),
    ("volume_extension:services:update", ADMIN),
    ("volume:freeze_host", ADMIN),
    ("volume:thaw_host", ADMIN),
    ("volume:failover_host", ADMIN),
    ("volume_extension:hosts", ADMIN),
    ("scheduler_extension:scheduler_stats:get_pools", ADMIN),
    ("volume_extension:capabilities", ADMIN),
]

"""Quota rules (Cinder's names): a project's readers see its quotas and used limits,
admins see and change every project's and the quota classes."""
from __future__ import annotations

from onestack.volume.policies import ADMIN, READER

RULES: list[tuple[str, str]] = [
    ("volume_extension:quotas:show", READER),
    ("volume_extension:quotas:update", ADMIN),
    ("volume_extension:quotas:delete", ADMIN),
    ("volume_extension:quota_classes:get", ADMIN),
    ("volume_extension:quota_classes:update", ADMIN),
    ("limits_extension:used_limits", READER),
]

"""Volume manage/unmanage rules (Cinder's names; the snapshot ones are with the snapshot
rules): admin only."""
from __future__ import annotations

from onestack.volume.policies import ADMIN

RULES: list[tuple[str, str]] = [
    ("volume_extension:volume_manage", ADMIN),
    ("volume_extension:volume_unmanage", ADMIN),
    ("volume_extension:list_manageable", ADMIN),
]

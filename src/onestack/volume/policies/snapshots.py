"""Snapshot rules (Cinder's names): readers of the project see its snapshots, members make,
change and delete them, admins reset statuses, force deletes and manage/unmanage."""
from __future__ import annotations

from onestack.volume.policies import ADMIN, MEMBER, READER

RULES: list[tuple[str, str]] = [
    ("volume:get_snapshot", READER),
    ("volume:get_all_snapshots", READER),
    ("volume:create_snapshot", MEMBER),
    ("volume:update_snapshot", MEMBER),
    ("volume:delete_snapshot", MEMBER),
    ("volume:get_snapshot_metadata", READER),
    ("volume:update_snapshot_metadata", MEMBER),
    ("volume:delete_snapshot_metadata", MEMBER),
    ("volume_extension:extended_snapshot_attributes", READER),
    ("volume_extension:snapshot_admin_actions:reset_status", ADMIN),
    ("volume_extension:snapshot_admin_actions:force_delete", ADMIN),
    ("snapshot_extension:snapshot_actions:update_snapshot_status", MEMBER),
    ("snapshot_extension:snapshot_manage", ADMIN),
    ("snapshot_extension:snapshot_unmanage", ADMIN),
    ("snapshot_extension:list_manageable", ADMIN),
]

"""Backup rules (Cinder's names): readers of the project see its backups, members make,
change, restore and delete them; admins reset statuses, force deletes, export and import
records, and see the project and user attributes."""
from __future__ import annotations

from onestack.volume.policies import ADMIN, MEMBER, READER

RULES: list[tuple[str, str]] = [
    ("backup:get_all", READER),
    ("backup:get", READER),
    ("backup:create", MEMBER),
    ("backup:update", MEMBER),
    ("backup:delete", MEMBER),
    ("backup:restore", MEMBER),
    ("backup:backup-import", ADMIN),
    ("backup:export-import", ADMIN),
    ("backup:backup_project_attribute", ADMIN),
    ("volume_extension:backup_admin_actions:reset_status", ADMIN),
    ("volume_extension:backup_admin_actions:force_delete", ADMIN),
]

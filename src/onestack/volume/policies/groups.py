"""Group, group type and group snapshot rules (Cinder's names): admins manage group
types and their specs and reset statuses; a project's members make and change its groups
and group snapshots, its readers see them."""
from __future__ import annotations

from onestack.volume.policies import ADMIN, MEMBER, READER

RULES: list[tuple[str, str]] = [
    ("group:group_types_manage", ADMIN),
    ("group:group_types_specs", ADMIN),
    ("group:access_group_types_specs", ADMIN),
    ("group:get_group_types", READER),
    ("group:create", MEMBER),
    ("group:get", READER),
    ("group:get_all", READER),
    ("group:update", MEMBER),
    ("group:delete", MEMBER),
    ("group:reset_status", ADMIN),
    ("group:create_group_snapshot", MEMBER),
    ("group:get_group_snapshot", READER),
    ("group:get_all_group_snapshots", READER),
    ("group:update_group_snapshot", MEMBER),
    ("group:delete_group_snapshot", MEMBER),
    ("group:reset_group_snapshot_status", ADMIN),
    # who sees a group's / group snapshot's project_id (3.58)
    ("group:group_project_attribute", ADMIN),
    ("group:group_snapshot_project_attribute", ADMIN),
]

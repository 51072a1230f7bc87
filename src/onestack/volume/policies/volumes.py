"""Volumes: readers of a project see its volumes, members make, change and delete them,
admins anything (Cinder's defaults, by Cinder's rule names)."""
from __future__ import annotations

from onestack.volume.policies import ADMIN, MEMBER, READER

RULES: list[tuple[str, str]] = [
    ("volume:create", MEMBER),
    ("volume:create_from_image", MEMBER),
    ("volume:get", READER),
    ("volume:get_all", READER),
    ("volume:update", MEMBER),
    ("volume:delete", MEMBER),
    ("volume:multiattach", MEMBER),
    ("volume:get_volume_metadata", READER),
    ("volume:create_volume_metadata", MEMBER),
    ("volume:update_volume_metadata", MEMBER),
    ("volume:delete_volume_metadata", MEMBER),
    ("volume:get_volume_summary", READER),
    # what the detailed view shows
    ("volume_extension:volume_host_attribute", ADMIN),
    ("volume_extension:volume_tenant_attribute", READER),
    ("volume_extension:volume_mig_status_attribute", ADMIN),
    ("volume:get_all_tenants", ADMIN),
    # DELETE /volumes/{id}?force=true (3.23): delete whatever the status
    ("volume:force_delete", ADMIN),
]

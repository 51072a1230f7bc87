"""Volume action rules (``/volumes/{id}/action``), Cinder's names: members attach, detach,
extend, retype, upload and revert their project's volumes; admins reset statuses, force
delete, force detach, migrate and upload public images; readers read image metadata."""
from __future__ import annotations

from onestack.volume.policies import ADMIN, MEMBER, READER

_ACTIONS = "volume_extension:volume_actions"
_ADMIN_ACTIONS = "volume_extension:volume_admin_actions"

RULES: list[tuple[str, str]] = [
    *((f"{_ACTIONS}:{name}", MEMBER) for name in (
        "reserve", "unreserve", "begin_detaching", "roll_detaching", "attach", "detach",
        "initialize_connection", "terminate_connection", "upload_image")),
    (f"{_ACTIONS}:upload_public", ADMIN),
    ("volume:extend", MEMBER),
    ("volume:extend_attached_volume", MEMBER),
    ("volume:retype", MEMBER),
    ("volume:update_readonly_flag", MEMBER),
    ("volume:revert_to_snapshot", MEMBER),
    ("volume_extension:volume_actions:set_bootable", MEMBER),
    ("volume_extension:volume_image_metadata:show", READER),
    ("volume_extension:volume_image_metadata:set", MEMBER),
    ("volume_extension:volume_image_metadata:remove", MEMBER),
    *((f"{_ADMIN_ACTIONS}:{name}", ADMIN) for name in (
        "reset_status", "force_delete", "force_detach", "migrate_volume",
        "migrate_volume_completion")),
]

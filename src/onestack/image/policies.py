"""Default image policy rules: secure RBAC personas (reader ⊂ member ⊂ admin) where an admin
role administers every image. Rules see the image as ``target.owner``, ``target.visibility``
and, for member updates, ``target.member_id``.

Who can *see* an image (owner, public, community, shared with the caller) is decided by the
service before any rule runs: an image the caller cannot see is a 404, never a 403.
An operator's policy file overrides any rule by name.
"""
from __future__ import annotations

ADMIN = "role:admin"
READER = f"{ADMIN} or role:reader"
OWNER_MEMBER = f"{ADMIN} or (role:member and project_id:%(target.owner)s)"

RULES: list[tuple[str, str]] = [
    ("image:context_is_admin", ADMIN),
    ("image:get_image", READER),
    ("image:get_images", READER),
    ("image:add_image", OWNER_MEMBER),
    ("image:modify_image", OWNER_MEMBER),
    ("image:delete_image", OWNER_MEMBER),
    ("image:publicize_image", ADMIN),
    ("image:communitize_image", OWNER_MEMBER),
    ("image:upload_image", OWNER_MEMBER),
    ("image:download_image", READER),
    ("image:deactivate", OWNER_MEMBER),
    ("image:reactivate", OWNER_MEMBER),
    ("image:import_image", OWNER_MEMBER),
    ("image:add_member", OWNER_MEMBER),
    ("image:delete_member", OWNER_MEMBER),
    ("image:get_member", READER),
    ("image:get_members", READER),
    ("image:modify_member", f"{ADMIN} or (role:member and project_id:%(target.member_id)s)"),
    ("image:get_image_tasks", READER),
    ("image:tasks_api_access", ADMIN),
    ("image:get_usage", READER),
    ("image:get_metadefs", READER),
    ("image:manage_metadefs", ADMIN),
]

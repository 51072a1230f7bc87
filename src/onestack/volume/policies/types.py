"""Volume type, extra spec, type access, encryption, QoS specs and default type rules
(Cinder's names and defaults): every reader lists and shows types and sees their
user-visible extra specs; admins manage all of it and alone see sensitive extra specs,
``qos_specs_id``, access lists, encryption and QoS specs. Type rules carry the caller's
own project as the target (a type belongs to no project)."""
from __future__ import annotations

from onestack.volume.policies import ADMIN, MEMBER, READER

RULES: list[tuple[str, str]] = [
    ("volume_extension:types_manage", ADMIN),
    ("volume_extension:type_create", ADMIN),
    ("volume_extension:type_update", ADMIN),
    ("volume_extension:type_delete", ADMIN),
    ("volume_extension:type_get", READER),
    ("volume_extension:type_get_all", READER),
    ("volume_extension:access_types_qos_specs_id", ADMIN),
    ("volume_extension:access_types_extra_specs", READER),
    ("volume_extension:volume_type_encryption", ADMIN),
    ("volume_extension:volume_type_encryption:create", ADMIN),
    ("volume_extension:volume_type_encryption:get", ADMIN),
    ("volume_extension:volume_type_encryption:update", ADMIN),
    ("volume_extension:volume_type_encryption:delete", ADMIN),
    ("volume_extension:types_extra_specs:index", READER),
    ("volume_extension:types_extra_specs:show", READER),
    ("volume_extension:types_extra_specs:create", ADMIN),
    ("volume_extension:types_extra_specs:update", ADMIN),
    ("volume_extension:types_extra_specs:delete", ADMIN),
    ("volume_extension:types_extra_specs:read_sensitive", ADMIN),
    ("volume_extension:volume_type_access", MEMBER),
    ("volume_extension:volume_type_access:addProjectAccess", ADMIN),
    ("volume_extension:volume_type_access:removeProjectAccess", ADMIN),
    ("volume_extension:volume_type_access:get_all_for_type", ADMIN),
    ("volume_extension:qos_specs_manage:get_all", ADMIN),
    ("volume_extension:qos_specs_manage:get", ADMIN),
    ("volume_extension:qos_specs_manage:create", ADMIN),
    ("volume_extension:qos_specs_manage:update", ADMIN),
    ("volume_extension:qos_specs_manage:delete", ADMIN),
    ("volume_extension:default_set_or_update", ADMIN),
    ("volume_extension:default_get", ADMIN),
    ("volume_extension:default_get_all", ADMIN),
    ("volume_extension:default_unset", ADMIN),
]

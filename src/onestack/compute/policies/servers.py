"""Default policy rules of servers and server actions, named as Nova names them, with Nova's
secure-RBAC defaults: a project reader reads, a project member acts, an admin does the
admin actions. Rules see the server as ``target.project_id`` (and the caller's ``user_id``
as ``target.user_id``); an operator's policy file overrides any rule by name.

Whether the caller can *see* a server (its own project, or admin) is decided before any rule
runs: another project's server is a 404, never a 403."""
from __future__ import annotations

ADMIN = "role:admin"
PROJECT_READER_OR_ADMIN = f"{ADMIN} or (role:reader and project_id:%(target.project_id)s)"
PROJECT_MEMBER_OR_ADMIN = f"{ADMIN} or (role:member and project_id:%(target.project_id)s)"

SERVERS = "os_compute_api:servers:"


def _each(prefix: str, names: tuple[str, ...], check: str) -> list[tuple[str, str]]:
    return [(prefix + name, check) for name in names]


RULES: list[tuple[str, str]] = [
    ("os_compute_api:admin", ADMIN),
    ("os_compute_api:os-extended-server-attributes", ADMIN),
    *_each(SERVERS, ("index", "detail", "show"), PROJECT_READER_OR_ADMIN),
    *_each(SERVERS, ("index:get_all_tenants", "detail:get_all_tenants", "allow_all_filters",
                     "show:host_status", "create:forced_host", "create:requested_destination"),
           ADMIN),
    *_each(SERVERS, ("create", "create:attach_volume", "create:attach_network", "update",
                     "delete", "start", "stop", "reboot", "resize", "confirm_resize",
                     "revert_resize", "rebuild", "create_image",
                     "create_image:allow_volume_backed", "trigger_crash_dump"),
           PROJECT_MEMBER_OR_ADMIN),
    *_each("os_compute_api:os-pause-server:", ("pause", "unpause"), PROJECT_MEMBER_OR_ADMIN),
    *_each("os_compute_api:os-suspend-server:", ("suspend", "resume"),
           PROJECT_MEMBER_OR_ADMIN),
    *_each("os_compute_api:os-lock-server:", ("lock", "unlock"), PROJECT_MEMBER_OR_ADMIN),
    ("os_compute_api:os-lock-server:unlock:unlock_override", ADMIN),
    ("os_compute_api:os-rescue", PROJECT_MEMBER_OR_ADMIN),
    ("os_compute_api:os-unrescue", PROJECT_MEMBER_OR_ADMIN),
    *_each("os_compute_api:os-shelve:", ("shelve", "unshelve"), PROJECT_MEMBER_OR_ADMIN),
    *_each("os_compute_api:os-shelve:", ("shelve_offload", "unshelve_to_host"), ADMIN),
    ("os_compute_api:os-create-backup", PROJECT_MEMBER_OR_ADMIN),
    ("os_compute_api:os-console-output", PROJECT_MEMBER_OR_ADMIN),
    *_each("os_compute_api:os-migrate-server:", ("migrate", "migrate:host", "migrate_live",
                                                 "migrate_live:host"), ADMIN),
    ("os_compute_api:os-evacuate", ADMIN),
    *_each("os_compute_api:os-admin-actions:", ("reset_state", "inject_network_info",
                                                "reset_network"), ADMIN),
    *_each("os_compute_api:os-deferred-delete:", ("restore", "force"),
           PROJECT_MEMBER_OR_ADMIN),
    ("os_compute_api:os-security-groups:list", PROJECT_READER_OR_ADMIN),
    *_each("os_compute_api:os-security-groups:", ("add", "remove"), PROJECT_MEMBER_OR_ADMIN),
    *_each("os_compute_api:server-metadata:", ("index", "show"), PROJECT_READER_OR_ADMIN),
    *_each("os_compute_api:server-metadata:", ("create", "update", "update_all", "delete"),
           PROJECT_MEMBER_OR_ADMIN),
    *_each("os_compute_api:ips:", ("index", "show"), PROJECT_READER_OR_ADMIN),
    ("os_compute_api:os-server-password:show", PROJECT_READER_OR_ADMIN),
    ("os_compute_api:os-server-password:clear", PROJECT_MEMBER_OR_ADMIN),
    *_each("os_compute_api:os-instance-actions:", ("list", "show"), PROJECT_READER_OR_ADMIN),
    ("os_compute_api:os-instance-actions:events", ADMIN),
    ("os_compute_api:os-attach-interfaces:list", PROJECT_READER_OR_ADMIN),
]

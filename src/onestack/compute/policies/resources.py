"""Default policy rules of the compute resources beside servers (flavors, key pairs,
aggregates, hosts, hypervisors, services, zones, quotas, server groups, usage, the image and
network proxies, migrations, diagnostics, extensions), named as Nova names them. Rules see
the resource's owner as ``target.project_id`` / ``target.user_id``; an operator's policy
file overrides any rule by name."""
from __future__ import annotations

ADMIN = "role:admin"
ANYONE = ""
READER = "role:reader or role:admin"
MEMBER = "role:member or role:admin"
PROJECT_READER = "role:admin or (role:reader and project_id:%(target.project_id)s)"
PROJECT_MEMBER = "role:admin or (role:member and project_id:%(target.project_id)s)"
OWNER_OR_ADMIN = "role:admin or user_id:%(target.user_id)s"


def _each(prefix: str, names: tuple[str, ...], check: str) -> list[tuple[str, str]]:
    return [(prefix + name, check) for name in names]


RULES: list[tuple[str, str]] = [
    # flavors
    *_each("os_compute_api:os-flavor-manage:", ("create", "update", "delete"), ADMIN),
    *_each("os_compute_api:os-flavor-extra-specs:", ("index", "show"), READER),
    *_each("os_compute_api:os-flavor-extra-specs:", ("create", "update", "delete"), ADMIN),
    # seeing every flavor (private ones, the is_public filter) and reading access lists
    ("os_compute_api:os-flavor-access", ADMIN),
    *_each("os_compute_api:os-flavor-access:", ("add_tenant_access", "remove_tenant_access"),
           ADMIN),
    # key pairs
    *_each("os_compute_api:os-keypairs:", ("index", "show", "create", "delete"),
           OWNER_OR_ADMIN),
    # hosts: aggregates, hypervisors, services, zones, the os-hosts API
    *_each("os_compute_api:os-aggregates:", ("index", "create", "show", "update", "delete",
                                             "add_host", "remove_host", "set_metadata"),
           ADMIN),
    *_each("os_compute_api:os-hypervisors:", ("list", "list-detail", "show", "statistics",
                                              "uptime", "search", "servers"), ADMIN),
    *_each("os_compute_api:os-services:", ("list", "update", "delete"), ADMIN),
    ("os_compute_api:os-availability-zone:list", READER),
    ("os_compute_api:os-availability-zone:detail", ADMIN),
    *_each("os_compute_api:os-hosts:", ("list", "show", "update", "start", "shutdown",
                                        "reboot"), ADMIN),
    # quotas and limits
    ("os_compute_api:limits", ANYONE),
    ("os_compute_api:limits:other_project", ADMIN),
    *_each("os_compute_api:os-quota-sets:", ("show", "detail"), PROJECT_READER),
    ("os_compute_api:os-quota-sets:defaults", ANYONE),
    *_each("os_compute_api:os-quota-sets:", ("update", "delete"), ADMIN),
    *_each("os_compute_api:os-quota-class-sets:", ("show", "update"), ADMIN),
    # server groups
    ("os_compute_api:os-server-groups:index", READER),
    ("os_compute_api:os-server-groups:index:all_projects", ADMIN),
    ("os_compute_api:os-server-groups:show", PROJECT_READER),
    *_each("os_compute_api:os-server-groups:", ("create", "delete"), PROJECT_MEMBER),
    # usage
    ("os_compute_api:os-simple-tenant-usage:list", ADMIN),
    ("os_compute_api:os-simple-tenant-usage:show", PROJECT_READER),
    *_each("os_compute_api:os-instance-usage-audit-log:", ("list", "show"), ADMIN),
    # the image proxy; ``images:admin`` sees, changes and deletes every project's images
    *_each("os_compute_api:images:", ("list", "show", "metadata:show"), READER),
    *_each("os_compute_api:images:", ("delete", "metadata:update"), MEMBER),
    ("os_compute_api:images:admin", ADMIN),
    # the network proxies; ``os-networks:admin`` sees nova-network's admin fields
    *_each("os_compute_api:os-networks:", ("list", "view"), READER),
    *_each("os_compute_api:os-tenant-networks:", ("list", "show"), READER),
    ("os_compute_api:os-networks:admin", ADMIN),
    # migrations, diagnostics, external events, extensions
    ("os_compute_api:os-migrations:index", ADMIN),
    ("os_compute_api:os-server-diagnostics", ADMIN),
    ("os_compute_api:os-server-external-events:create", "role:admin or role:service"),
    ("os_compute_api:extensions", ANYONE),
]

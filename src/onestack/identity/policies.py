"""Default identity policy rules: secure RBAC (reader ⊂ member ⊂ admin; project, domain and
system scope) where an ``admin`` role anywhere administers the cloud, as Keystone's defaults do.
An operator's policy file overrides any of these by name."""
from __future__ import annotations

ADMIN = "role:admin"
SYS_READER = "(role:reader and system_scope:all)"
ADMIN_OR_SYS_READER = f"{ADMIN} or {SYS_READER}"


def _domain_reader(path: str) -> str:
    return f"(role:reader and domain_id:%(target.{path})s)"


def _domain_admin(path: str) -> str:
    return f"(role:admin and domain_id:%(target.{path})s)"


OWNER = "user_id:%(target.user_id)s"
DOMAIN_MANAGER = "(role:manager and not domain_id:None)"  # a domain-scoped manager
FEDERATION_NOUNS = ("identity_provider", "protocol", "mapping", "service_provider")
ASSIGNABLE_BY_MANAGER = " or ".join(f"'{name}':%(target.role.name)s"
                                    for name in ("manager", "member", "reader"))

RULES: list[tuple[str, str]] = [
    ("identity:get_project", f"{ADMIN_OR_SYS_READER} or {_domain_reader('project.domain_id')} "
                             "or project_id:%(target.project.id)s"),
    ("identity:list_projects", f"{ADMIN_OR_SYS_READER} or {_domain_reader('domain_id')}"),
    ("identity:list_user_projects", f"{ADMIN_OR_SYS_READER} or "
                                    f"{_domain_reader('user.domain_id')} or "
                                    "user_id:%(target.user.id)s"),
    ("identity:create_project", f"{ADMIN} or {_domain_admin('project.domain_id')}"),
    ("identity:update_project", f"{ADMIN} or {_domain_admin('project.domain_id')}"),
    ("identity:delete_project", f"{ADMIN} or {_domain_admin('project.domain_id')}"),
    ("identity:project_tags", f"{ADMIN} or {_domain_admin('project.domain_id')}"),
    ("identity:get_project_tags", f"{ADMIN_OR_SYS_READER} or "
                                  f"{_domain_reader('project.domain_id')} or "
                                  "project_id:%(target.project.id)s"),
    ("identity:get_domain", f"{ADMIN_OR_SYS_READER} or domain_id:%(target.domain.id)s or "
                            "project_domain_id:%(target.domain.id)s"),
    ("identity:list_domains", ADMIN_OR_SYS_READER),
    ("identity:manage_domain", ADMIN),
    ("identity:get_user", f"{ADMIN_OR_SYS_READER} or {_domain_reader('user.domain_id')} or "
                          "user_id:%(target.user.id)s"),
    ("identity:list_users", f"{ADMIN_OR_SYS_READER} or {_domain_reader('domain_id')}"),
    ("identity:manage_user", f"{ADMIN} or {_domain_admin('user.domain_id')}"),
    ("identity:get_group", f"{ADMIN_OR_SYS_READER} or {_domain_reader('group.domain_id')}"),
    ("identity:list_groups", f"{ADMIN_OR_SYS_READER} or {_domain_reader('domain_id')}"),
    ("identity:list_groups_for_user", f"{ADMIN_OR_SYS_READER} or "
                                      f"{_domain_reader('user.domain_id')} or "
                                      "user_id:%(target.user.id)s"),
    ("identity:manage_group", f"{ADMIN} or {_domain_admin('group.domain_id')}"),
    # A domain manager reads the roles it may hand out; nothing above manager.
    ("identity:get_role", f"{ADMIN_OR_SYS_READER} or ({DOMAIN_MANAGER} and "
                          f"({ASSIGNABLE_BY_MANAGER}))"),
    ("identity:list_roles", f"{ADMIN_OR_SYS_READER} or {DOMAIN_MANAGER}"),
    ("identity:get_implied_role", ADMIN_OR_SYS_READER),
    ("identity:list_implied_roles", ADMIN_OR_SYS_READER),
    ("identity:list_role_inference_rules", ADMIN_OR_SYS_READER),
    ("identity:manage_role", ADMIN),
    ("identity:manage_grants", ADMIN),
    ("identity:list_grants", ADMIN_OR_SYS_READER),
    ("identity:list_role_assignments", f"{ADMIN_OR_SYS_READER} or "
                                       f"{_domain_reader('domain_id')}"),
    ("identity:get_region", ""),
    ("identity:manage_region", ADMIN),
    ("identity:read_catalog", ADMIN_OR_SYS_READER),
    ("identity:manage_catalog", ADMIN),
    ("identity:validate_token", f"{ADMIN_OR_SYS_READER} or role:service or "
                                "user_id:%(target.token.user_id)s"),
    ("identity:revoke_token", f"{ADMIN} or user_id:%(target.token.user_id)s"),
    ("identity:owner_or_admin", f"{ADMIN} or {OWNER}"),
    ("identity:owner_or_reader", f"{ADMIN_OR_SYS_READER} or {OWNER}"),
    ("identity:get_limit", f"{ADMIN_OR_SYS_READER} or domain_id:%(target.limit.domain.id)s or "
                           "domain_id:%(target.limit.project.domain_id)s or "
                           "project_id:%(target.limit.project_id)s"),
    ("identity:list_limits", ""),  # the listing itself keeps a project to its own limits
    ("identity:get_registered_limit", ""),
    ("identity:list_registered_limits", ""),
    ("identity:manage_limits", ADMIN),
    ("identity:read_admin_resource", ADMIN_OR_SYS_READER),
    ("identity:manage_admin_resource", ADMIN),
    ("identity:list_revoke_events", ADMIN_OR_SYS_READER),
    # An S3 front end (a service user) asks who signed a request; nobody else needs to.
    ("identity:s3tokens_validate", f"{ADMIN} or role:service"),
    # OAuth1 delegation is managed by admins (Keystone's defaults), besides holding the roles.
    *[(f"identity:{action}", ADMIN) for action in (
        "authorize_request_token", "list_access_tokens", "get_access_token",
        "list_access_token_roles", "get_access_token_role", "delete_access_token")],
    # OS-FEDERATION, one rule per action as Keystone names them.
    *[(f"identity:{verb}_{noun}{'s' if verb == 'list' else ''}",
       ADMIN_OR_SYS_READER if verb in ("get", "list") else ADMIN)
      for noun in FEDERATION_NOUNS for verb in ("get", "list", "create", "update", "delete")],
]

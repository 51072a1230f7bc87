"""The server action table stays whole: every action names a registered policy rule and
has a body schema, and every rule Nova names for servers has a default here."""
from __future__ import annotations

from onestack.compute import action_schemas
from onestack.compute.policies import RULES
from onestack.compute.service.action_table import ACTIONS

NOVA_NAMES = [
    "os_compute_api:servers:" + n for n in (
        "index", "detail", "show", "create", "update", "delete", "start", "stop", "reboot",
        "resize", "confirm_resize", "revert_resize", "rebuild", "create_image",
        "index:get_all_tenants", "detail:get_all_tenants", "create:forced_host")
] + [
    "os_compute_api:os-pause-server:pause", "os_compute_api:os-pause-server:unpause",
    "os_compute_api:os-suspend-server:suspend", "os_compute_api:os-suspend-server:resume",
    "os_compute_api:os-lock-server:lock", "os_compute_api:os-lock-server:unlock",
    "os_compute_api:os-lock-server:unlock:unlock_override", "os_compute_api:os-rescue",
    "os_compute_api:os-unrescue", "os_compute_api:os-shelve:shelve",
    "os_compute_api:os-shelve:shelve_offload", "os_compute_api:os-shelve:unshelve",
    "os_compute_api:os-shelve:unshelve_to_host", "os_compute_api:os-create-backup",
    "os_compute_api:os-console-output", "os_compute_api:os-migrate-server:migrate",
    "os_compute_api:os-migrate-server:migrate_live",
    "os_compute_api:os-migrate-server:migrate:host", "os_compute_api:os-evacuate",
    "os_compute_api:os-admin-actions:reset_state",
    "os_compute_api:os-admin-actions:inject_network_info",
    "os_compute_api:os-deferred-delete:restore", "os_compute_api:os-deferred-delete:force",
    "os_compute_api:os-security-groups:add", "os_compute_api:os-security-groups:remove",
] + ["os_compute_api:server-metadata:" + n for n in (
    "index", "show", "create", "update", "update_all", "delete")] + [
    "os_compute_api:ips:index", "os_compute_api:ips:show",
    "os_compute_api:os-server-password:show", "os_compute_api:os-server-password:clear",
    "os_compute_api:os-instance-actions:list", "os_compute_api:os-instance-actions:show",
    "os_compute_api:os-instance-actions:events", "os_compute_api:os-attach-interfaces:list",
]


def test_every_nova_server_rule_has_a_default() -> None:
    names = {name for name, _ in RULES}
    assert [n for n in NOVA_NAMES if n not in names] == []


def test_every_action_has_a_registered_rule_and_a_schema() -> None:
    names = {name for name, _ in RULES}
    assert {a: spec.rule for a, (spec, _) in ACTIONS.items() if spec.rule not in names} == {}
    assert sorted((set(ACTIONS) | {"forceDelete"}) - set(action_schemas.ACTIONS)) == []


def test_reads_are_readers_and_changes_are_members() -> None:
    """Nova's secure-RBAC defaults: a project reader may read, only a member may act."""
    checks = dict(RULES)
    for name in ("os_compute_api:servers:show", "os_compute_api:server-metadata:index",
                 "os_compute_api:os-instance-actions:list"):
        assert "role:reader" in checks[name]
    for spec, _ in ACTIONS.values():
        assert "role:reader" not in checks[spec.rule], spec.rule

"""Policy enforcement: the registered defaults, and an operator's policy file overriding one
rule by name while the others keep their defaults."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from onestack.core.context import RequestContext
from onestack.core.errors import Forbidden
from onestack.core.policy import Policy, flatten
from onestack.identity.policies import RULES


def ctx(*roles: str, **fields) -> RequestContext:
    base = dict(request_id="req-test", user_id="u1", user_domain_id="default",
                project_id="p1", project_domain_id="default")
    base.update(fields)
    return RequestContext(roles=list(roles), **base)


MEMBER = ctx("member", "reader")
ADMIN = ctx("admin", "member", "reader")




def policy(path: str = "") -> Policy:
    p = Policy(path)
    p.register(RULES)
    return p


def test_defaults_roles_are_read_and_managed_by_admins():
    p = policy()  # as Keystone's defaults: a project member neither lists nor manages roles
    assert not p.allowed("identity:list_roles", MEMBER)
    assert p.allowed("identity:list_roles", ADMIN)
    assert not p.allowed("identity:manage_role", MEMBER)
    assert p.allowed("identity:manage_role", ADMIN)


def test_defaults_project_rule_uses_the_target():
    p = policy()
    assert p.allowed("identity:get_project", MEMBER, {"project": {"id": "p1"}})
    assert not p.allowed("identity:get_project", MEMBER, {"project": {"id": "p2"}})


def test_defaults_domain_reader_needs_matching_domain_scope():
    p = policy()
    reader = ctx("reader", project_id="", domain_id="d1")
    assert p.allowed("identity:list_users", reader, {"domain_id": "d1"})
    assert not p.allowed("identity:list_users", reader, {"domain_id": "d2"})
    assert not p.allowed("identity:list_users", reader, {})


def test_system_reader_lists_but_does_not_write():
    p = policy()
    reader = ctx("reader", project_id="", system_scope="all")
    assert p.allowed("identity:list_users", reader)
    assert not p.allowed("identity:manage_user", reader, {"user": {"domain_id": "default"}})


def test_enforce_raises_forbidden_naming_the_rule():
    with pytest.raises(Forbidden, match="identity:manage_domain"):
        policy().enforce("identity:manage_domain", MEMBER)


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_policy_file_overrides_one_rule_and_keeps_the_rest(tmp_path: Path, fmt):
    rules = {"identity:list_roles": "role:admin", "identity:manage_role": "role:member"}
    path = tmp_path / f"policy.{fmt}"
    if fmt == "json":
        path.write_text(json.dumps(rules))
    else:
        path.write_text("".join(f'"{k}": "{v}"\n' for k, v in rules.items()))
    p = policy(str(path))
    assert not p.allowed("identity:list_roles", MEMBER)  # overridden: admin only now
    assert p.allowed("identity:list_roles", ADMIN)
    assert p.allowed("identity:manage_role", MEMBER)  # overridden: loosened
    assert not p.allowed("identity:manage_domain", MEMBER)  # untouched default
    assert p.allowed("identity:get_project", MEMBER, {"project": {"id": "p1"}})


def test_policy_file_can_open_a_rule_to_everyone(tmp_path: Path):
    path = tmp_path / "policy.yaml"
    path.write_text('"identity:list_domains": ""\n')
    assert policy(str(path)).allowed("identity:list_domains", ctx())  # no roles at all
    assert not policy().allowed("identity:list_domains", ctx())


def test_flatten_builds_target_keys_and_drops_none():
    assert flatten({"project": {"id": "p", "domain_id": None}, "user_id": "u"}) == {
        "target.project.id": "p", "target.user_id": "u"}


def test_context_credentials_map_empty_fields_to_none():
    creds = ctx("reader", project_id="").credentials()
    assert creds["project_id"] is None and creds["system_scope"] is None
    assert creds["roles"] == ["reader"] and creds["user_id"] == "u1"


def test_every_registered_default_keeps_its_own_name_and_check():
    """Rules sharing a check string share one parsed tree; each still answers by its own
    name with its own check (every service's rules, as ``onestack up`` registers them)."""
    from oslo_policy import _parser

    from onestack.server import default_registry

    rules = default_registry().policy_rules()
    p = Policy()
    p.register(rules)
    p.warm()
    enforcer = p._enforcer
    assert len({check for _, check in rules}) < len(rules)  # sharing happens
    for name, check in rules:
        assert enforcer.registered_rules[name].check_str == check
        assert str(enforcer.rules[name]) == str(_parser.parse_rule(check))


def test_an_operator_file_may_still_use_plugin_checks(tmp_path: Path):
    """Without a file the plugin scan is skipped; an operator's ``http:`` rule still loads as
    oslo.policy's HTTP check, even after an enforcer without a file skipped the scan."""
    from oslo_policy import _external

    policy().warm()  # no file: the scan is skipped
    path = tmp_path / "policy.json"
    path.write_text(json.dumps({"identity:list_roles": "http://127.0.0.1:9/check"}))
    p = policy(str(path))
    p.warm()
    assert isinstance(p._enforcer.rules["identity:list_roles"], _external.HttpCheck)

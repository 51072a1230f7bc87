"""Policy enforcement with oslo.policy: each service registers its defaults (secure RBAC with
admin / member / reader personas and project, domain and system scope); an operator's policy
file (YAML or JSON, the usual oslo.policy format) overrides any rule."""
from __future__ import annotations

from typing import Any, Iterable

from oslo_config import cfg
from oslo_policy import policy as oslo_policy

from onestack.core.context import RequestContext
from onestack.core.errors import Forbidden

# Reusable check strings.
ADMIN = "role:admin"
SYSTEM_READER = "(role:reader and system_scope:all)"
SYSTEM_ADMIN = "(role:admin and system_scope:all)"
OWNER = "user_id:%(target.user_id)s"


def flatten(target: dict[str, Any], prefix: str = "target") -> dict[str, Any]:
    """``{"project": {"id": 1}}`` → ``{"target.project.id": 1}``, the key form rules use."""
    out: dict[str, Any] = {}
    for key, value in target.items():
        name = f"{prefix}.{key}"
        if isinstance(value, dict):
            out.update(flatten(value, name))
        elif value is not None:  # an absent key makes a rule's %(…)s check fail
            out[name] = value
    return out


class Policy:
    """One enforcer per process, fed the defaults of every mounted service."""

    def __init__(self, policy_file: str = ""):
        conf = cfg.ConfigOpts()
        conf([], project="onestack", default_config_files=[], default_config_dirs=[])
        if policy_file:
            conf.set_override("policy_file", policy_file, group="oslo_policy")
        self._enforcer = oslo_policy.Enforcer(
            conf, policy_file=policy_file or None, use_conf=True,
            overwrite=False,
        )
        self._loaded = False

    def register(self, rules: Iterable[tuple[str, str]]) -> None:
        self._enforcer.register_defaults(
            [oslo_policy.RuleDefault(name, check) for name, check in rules])

    def allowed(self, rule: str, ctx: RequestContext, target: dict[str, Any] | None = None) -> bool:
        if not self._loaded:
            self._enforcer.load_rules()
            self._loaded = True
        flat = flatten(target or {})
        return bool(self._enforcer.enforce(rule, flat, ctx.credentials(), do_raise=False))

    def enforce(self, rule: str, ctx: RequestContext, target: dict[str, Any] | None = None) -> None:
        if not self.allowed(rule, ctx, target):
            raise Forbidden(f"You are not authorized to perform the requested action: {rule}.")

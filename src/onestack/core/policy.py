"""Policy enforcement with oslo.policy: each service registers its defaults (secure RBAC with
admin / member / reader personas and project, domain and system scope); an operator's policy
file (YAML or JSON, the usual oslo.policy format) overrides any rule."""
from __future__ import annotations

import threading
from pathlib import Path
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
        if policy_file:
            path = Path(policy_file).expanduser().resolve()
            if not path.is_file():
                raise ValueError(f"policy file {policy_file} does not exist")
            policy_file = str(path)
        conf = cfg.ConfigOpts()
        conf([], project="onestack", default_config_files=[], default_config_dirs=[])
        self._enforcer = oslo_policy.Enforcer(
            conf, policy_file=policy_file or None, use_conf=True,
            overwrite=False,
        )
        self._loaded = False
        # Decisions depend only on (rule, credentials, target): memoised per process. The
        # policy file is read at start-up; restart to apply a changed file.
        self._decisions: dict[tuple, bool] = {}
        self._lock = threading.Lock()

    def register(self, rules: Iterable[tuple[str, str]]) -> None:
        with self._lock:
            self._enforcer.register_defaults(
                [oslo_policy.RuleDefault(name, check) for name, check in rules])
            self._loaded = False
            self._decisions.clear()

    def allowed(self, rule: str, ctx: RequestContext, target: dict[str, Any] | None = None) -> bool:
        flat = flatten(target or {})
        creds = ctx.credentials()
        key = (rule, tuple(sorted((k, tuple(v) if isinstance(v, list) else v)
                                  for k, v in creds.items())),
               tuple(sorted((k, str(v)) for k, v in flat.items())))
        decision = self._decisions.get(key)
        if decision is None:
            with self._lock:
                if not self._loaded:
                    self._enforcer.load_rules()
                    self._loaded = True
                decision = bool(self._enforcer.enforce(rule, flat, creds, do_raise=False))
                if len(self._decisions) > 50000:
                    self._decisions.clear()
                self._decisions[key] = decision
        return decision

    def enforce(self, rule: str, ctx: RequestContext, target: dict[str, Any] | None = None) -> None:
        if not self.allowed(rule, ctx, target):
            raise Forbidden(f"You are not authorized to perform the requested action: {rule}.")

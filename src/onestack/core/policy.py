"""Policy enforcement with oslo.policy: each service registers its defaults (secure RBAC with
admin / member / reader personas and project, domain and system scope); an operator's policy
file (YAML or JSON, the usual oslo.policy format) overrides any rule."""
from __future__ import annotations

import copy
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

from onestack.core.context import RequestContext
from onestack.core.errors import Forbidden

if TYPE_CHECKING:  # imported at the first check: a cold start and the first login need none
    from oslo_policy import policy as oslo_policy

# Reusable check strings.
ADMIN = "role:admin"
SYSTEM_READER = "(role:reader and system_scope:all)"
SYSTEM_ADMIN = "(role:admin and system_scope:all)"
OWNER = "user_id:%(target.user_id)s"


class DuplicatePolicyError(ValueError):
    """A rule name registered twice (each rule has one default, in one place)."""


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


def rule_defaults(oslo_policy: Any, rules: list[tuple[str, str]]) -> list[Any]:
    """``RuleDefault``s of ``rules``, each distinct check string parsed once: the services'
    four hundred-odd rules share a few dozen check strings, and parsing every one anew was
    most of what the first policy check cost a fresh process."""
    parsed: dict[str, Any] = {}
    out = []
    for name, check in rules:
        template = parsed.get(check)
        if template is None:
            template = parsed[check] = oslo_policy.RuleDefault(name, check)
            out.append(template)
            continue
        rule = copy.copy(template)  # the parsed check tree is shared, never mutated
        rule._name = name  # noqa: SLF001 - RuleDefault has no public way to rename a copy
        out.append(rule)
    return out


def _skip_plugin_scan_without_file(policy_file: str | None) -> None:
    """Without an operator's policy file every rule is one of our defaults, which use only
    oslo.policy's built-in checks (role, rule, project_id, …): its scan of every installed
    distribution for check plugins (``http:`` checks) is then skipped. With a file the scan
    runs as usual, so an operator's ``http:`` rule keeps working."""
    from oslo_policy import _checks

    if not hasattr(_checks, "extension_checks"):
        return
    if policy_file:
        if _checks.extension_checks == {}:  # skipped by an enforcer built without a file
            _checks.extension_checks = None
    elif _checks.extension_checks is None:
        _checks.extension_checks = {}


class Policy:
    """One enforcer per process, fed the defaults of every mounted service."""

    def __init__(self, policy_file: str = ""):
        if policy_file:
            path = Path(policy_file).expanduser().resolve()
            if not path.is_file():
                raise ValueError(f"policy file {policy_file} does not exist")
            policy_file = str(path)
        self._policy_file = policy_file or None
        # Rules are parsed when first needed (``warm`` or the first check), not at start-up:
        # parsing loads oslo.policy's check plugins, a good part of a cold start.
        self._enforcer: oslo_policy.Enforcer | None = None
        self._pending: list[tuple[str, str]] = []
        self._names: set[str] = set()
        self._loaded = False
        # Decisions depend only on (rule, credentials, target): memoised per process. The
        # policy file is read at start-up; restart to apply a changed file.
        self._decisions: dict[tuple, bool] = {}
        self._lock = threading.Lock()

    def register(self, rules: Iterable[tuple[str, str]]) -> None:
        rules = list(rules)
        with self._lock:
            names = set(self._names)
            for name, _ in rules:
                if name in names:
                    raise DuplicatePolicyError(f"Policy {name} is already registered")
                names.add(name)
            self._names = names
            self._pending.extend(rules)
            self._loaded = False
            self._decisions.clear()

    def _ready(self) -> oslo_policy.Enforcer:
        """The enforcer with every registered default and the policy file; under the lock."""
        from oslo_config import cfg
        from oslo_policy import policy as oslo_policy

        if self._enforcer is None:
            _skip_plugin_scan_without_file(self._policy_file)
            conf = cfg.ConfigOpts()
            conf([], project="onestack", default_config_files=[], default_config_dirs=[])
            self._enforcer = oslo_policy.Enforcer(conf, policy_file=self._policy_file,
                                                  use_conf=True, overwrite=False)
        if self._pending:
            self._enforcer.register_defaults(rule_defaults(oslo_policy, self._pending))
            self._pending = []
        if not self._loaded:
            self._enforcer.load_rules()
            self._loaded = True
        return self._enforcer

    def warm(self) -> None:
        """Parse and load every rule now (a thread after start-up), so that the first
        request checking a rule does not pay for it."""
        with self._lock:
            self._ready()

    def allowed(self, rule: str, ctx: RequestContext, target: dict[str, Any] | None = None) -> bool:
        flat = flatten(target or {})
        creds = ctx.credentials()
        key = (rule, tuple(sorted((k, tuple(v) if isinstance(v, list) else v)
                                  for k, v in creds.items())),
               tuple(sorted((k, str(v)) for k, v in flat.items())))
        decision = self._decisions.get(key)
        if decision is None:
            with self._lock:
                decision = bool(self._ready().enforce(rule, flat, creds, do_raise=False))
                if len(self._decisions) > 50000:
                    self._decisions.clear()
                self._decisions[key] = decision
        return decision

    def enforce(self, rule: str, ctx: RequestContext, target: dict[str, Any] | None = None) -> None:
        if not self.allowed(rule, ctx, target):
            raise Forbidden(f"You are not authorized to perform the requested action: {rule}.")

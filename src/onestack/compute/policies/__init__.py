"""Every default policy rule of the compute service in one list, and one way to register
them: servers and their actions here, flavors, keypairs, aggregates and the other
resources in ``resources`` (when that module is present)."""
from __future__ import annotations

from typing import Iterable

from onestack.compute.policies import servers
from onestack.core.policy import DuplicatePolicyError, Policy

RULES: list[tuple[str, str]] = list(servers.RULES)
try:
    from onestack.compute.policies import resources as _resources
except ImportError:  # the resource rules have not landed yet
    _resources = None
else:
    RULES += list(_resources.RULES)


def register(policy: Policy, rules: Iterable[tuple[str, str]] | None = None) -> None:
    """Register ``rules`` (default: all of compute's), skipping names some route module
    registered already, so the order in which modules register does not matter."""
    for rule in RULES if rules is None else rules:
        try:
            policy.register([rule])
        except DuplicatePolicyError:
            continue

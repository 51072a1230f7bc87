"""Placement's policy rules, named as Placement names them. Every rule defaults to the
admin-or-service base rule; an operator's policy file can open any of them up."""
from __future__ import annotations

BASE = "placement:admin"
_ACTIONS = [
    "resource_providers:list", "resource_providers:create", "resource_providers:show",
    "resource_providers:update", "resource_providers:delete",
    "resource_providers:inventories:list", "resource_providers:inventories:update",
    "resource_providers:inventories:delete", "resource_providers:inventories:show",
    "resource_providers:usages", "usages",
    "resource_providers:allocations:list",
    "allocations:list", "allocations:manage", "allocations:update", "allocations:delete",
    "allocation_candidates:list",
    "traits:list", "traits:show", "traits:update", "traits:delete",
    "resource_providers:traits:list", "resource_providers:traits:update",
    "resource_providers:traits:delete",
    "resource_providers:aggregates:list", "resource_providers:aggregates:update",
    "resource_classes:list", "resource_classes:create", "resource_classes:show",
    "resource_classes:update", "resource_classes:delete",
]
RULES: list[tuple[str, str]] = [(BASE, "role:admin or role:service")] + [
    (f"placement:{action}", f"rule:{BASE}") for action in _ACTIONS]


def rule(action: str) -> str:
    """The full rule name of ``action`` (``"traits:list"`` → ``placement:traits:list``)."""
    name = f"placement:{action}"
    if action not in _ACTIONS:
        raise KeyError(name)
    return name

"""What the compute resource use cases (flavors, key pairs, hosts, quotas, …) run on: the
database, whose ``read``/``write`` open their transactions, and the policy enforcer, which
they consult before touching anything. The API builds one and hands it down."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, TypeVar

from sqlalchemy.orm import Session

from onestack.core.context import RequestContext
from onestack.core.db import Database
from onestack.core.policy import Policy

T = TypeVar("T")


@dataclass(frozen=True)
class ResourceDeps:
    db: Database
    policy: Policy

    def read(self, fn: Callable[[Session], T]) -> T:
        return self.db.read(fn)

    def write(self, fn: Callable[[Session], T]) -> T:
        return self.db.write(fn)

    def enforce(self, ctx: RequestContext, rule: str,
                target: dict[str, Any] | None = None) -> None:
        """403 unless ``rule`` allows the caller (on ``target``)."""
        self.policy.enforce(rule, ctx, target)

    def allowed(self, ctx: RequestContext, rule: str,
                target: dict[str, Any] | None = None) -> bool:
        return self.policy.allowed(rule, ctx, target)


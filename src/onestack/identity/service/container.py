"""The identity service container: what every use case needs (database, settings, policy,
tokens). Use cases take it first; route modules only pass it along."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, TypeVar

from onestack.core.cache import GenerationCache
from onestack.core.config import Settings
from onestack.core.context import RequestContext
from onestack.core.db import Database
from onestack.core.policy import Policy

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from onestack.core.http import Call
    from onestack.identity.service.authenticate import Authenticator
    from onestack.identity.service.tokens import TokenService

T = TypeVar("T")


@dataclass
class Identity:
    db: Database
    settings: Settings
    policy: Policy
    tokens: TokenService
    auth: Authenticator
    responses: GenerationCache = field(default_factory=GenerationCache)

    def read(self, fn: Callable[[Session], T]) -> T:
        return self.db.read(fn)

    def write(self, fn: Callable[[Session], T]) -> T:
        return self.db.write(fn)

    # Use cases check with the caller's context …
    def check(self, ctx: RequestContext, rule: str, target: dict[str, Any] | None = None) -> None:
        self.policy.enforce(rule, ctx, target)

    def may(self, ctx: RequestContext, rule: str, target: dict[str, Any] | None = None) -> bool:
        return self.policy.allowed(rule, ctx, target)

    # … route modules that predate the service layer pass the whole call.
    def enforce(self, call: Call, rule: str, target: dict[str, Any] | None = None) -> None:
        self.policy.enforce(rule, call.ctx, target)

    def allowed(self, call: Call, rule: str, target: dict[str, Any] | None = None) -> bool:
        return self.policy.allowed(rule, call.ctx, target)

    def cached_json(self, key: Any, build: Callable[[], Any]) -> bytes:
        """``build()`` rendered as JSON, memoised for the current identity generation."""
        gen = self.tokens.generation()
        body = self.responses.get(gen, key)
        if body is None:
            body = json.dumps(build(), separators=(",", ":")).encode()
            self.responses.put(gen, key, body)
        return body

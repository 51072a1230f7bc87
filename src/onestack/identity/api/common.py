"""What every identity route needs: the service container and small helpers."""
from __future__ import annotations

import json

from dataclasses import dataclass, field
from typing import Any, Callable, TypeVar

from sqlalchemy.orm import Session

from onestack.core.cache import GenerationCache
from onestack.core.config import Settings
from onestack.core.db import Database
from onestack.core.errors import BadRequest
from onestack.core.http import Call
from onestack.core.policy import Policy
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


def v3(call: Call) -> str:
    """The identity v3 root as the client reached it (for links)."""
    return call.base_url + "/identity/v3"


def self_url(call: Call) -> str:
    url = call.base_url + call.path
    if call.query:
        url += "?" + str(call.query)
    return url


def bool_query(call: Call, name: str) -> bool | None:
    value = call.q(name)
    if value is None:
        return None
    if value == "":
        return True
    low = value.lower()
    if low in ("true", "1", "yes", "on"):
        return True
    if low in ("false", "0", "no", "off"):
        return False
    raise BadRequest(f"Invalid value for '{name}': {value}")


def apply_extra(row: Any, attrs: dict[str, Any], columns: set[str]) -> None:
    """Known attributes go to columns; everything else is stored as extra attributes."""
    extra = dict(getattr(row, "extra", None) or {})
    for key, value in attrs.items():
        if key in columns:
            setattr(row, key, value)
        elif key not in ("id", "links"):
            extra[key] = value
    row.extra = extra

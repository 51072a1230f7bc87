"""The compute API's container and helpers shared by its route modules."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from onestack.compute import policies
from onestack.compute.api import microversion
from onestack.compute.policies import resources as resource_policies
from onestack.compute.service.deps import ResourceDeps
from onestack.core.bus import Bus
from onestack.core.db import Database
from onestack.core.errors import BadRequest
from onestack.core.http import Call, Reply
from onestack.core.platform import Platform

PREFIX = "/compute"
ROOT = PREFIX + "/v2.1"
# Where the negotiated microversion is kept on a call (``Call`` has no slot for it).
_VERSION_ATTR = "_compute_microversion"


@dataclass
class Compute:
    """What every compute route module is built with: the platform, the bus, the highest
    microversion served, and ``deps`` for the resource use cases. Creating one registers
    the resource policy defaults (skipping any already registered)."""

    platform: Platform
    bus: Bus
    max_version: tuple[int, int] = microversion.MAX_VERSION
    deps: ResourceDeps = field(init=False)

    def __post_init__(self) -> None:
        self.deps = ResourceDeps(self.platform.db, self.platform.policy)
        policies.register(self.platform.policy, resource_policies.RULES)

    @property
    def db(self) -> Database:
        return self.platform.db

    def enforce(self, call: Call, rule: str, target: dict[str, Any] | None = None) -> None:
        self.platform.policy.enforce(rule, call.ctx, target)

    def allowed(self, call: Call, rule: str, target: dict[str, Any] | None = None) -> bool:
        return self.platform.policy.allowed(rule, call.ctx, target)

    def version(self, call: Call) -> tuple[int, int]:
        """The call's microversion, negotiated on first use and kept on the call."""
        found = call.__dict__.get(_VERSION_ATTR)
        if found is None:
            found = microversion.negotiate(call, self.max_version)
            call.__dict__[_VERSION_ATTR] = found
        return found

    def reply(self, call: Call, status: int = 200, body: Any = None,
              headers: dict[str, str] | None = None) -> Reply:
        """A reply carrying the negotiated microversion headers."""
        h = microversion.response_headers(self.version(call))
        h.update(headers or {})
        return Reply(status, body, h)


def root(call: Call) -> str:
    return call.base_url + ROOT


def bookmark(call: Call) -> str:
    return call.base_url + PREFIX


def links(call: Call, kind: str, ident: Any) -> list[dict[str, str]]:
    return [{"rel": "self", "href": f"{root(call)}/{kind}/{ident}"},
            {"rel": "bookmark", "href": f"{bookmark(call)}/{kind}/{ident}"}]


def iso(dt: datetime | None) -> str | None:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ") if dt else None


def iso_micro(dt: datetime | None) -> str | None:
    return dt.strftime("%Y-%m-%dT%H:%M:%S.%f") if dt else None


def int_query(call: Call, name: str, minimum: int = 0) -> int | None:
    value = call.q(name)
    if value is None:
        return None
    try:
        n = int(value)
    except ValueError as exc:
        raise BadRequest(f"Invalid input for query parameters {name}. Value: {value}.") \
            from exc
    if n < minimum:
        raise BadRequest(f"Invalid input for query parameters {name}. Value: {value}.")
    return n

"""What every Placement route module shares: the service container, the negotiated
microversion kept on the call, replies carrying the version headers, and query parsing."""
from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any, Callable

from onestack.core.errors import BadRequest, NotFound
from onestack.core.http import Call, Reply, RouteTable
from onestack.core.platform import Platform
from onestack.placement.allocations import Allocations
from onestack.placement.api import microversion as mv
from onestack.placement.providers import Providers
from onestack.placement.vocabulary import Vocabulary

Version = tuple[int, int]


@dataclass
class Placement:
    providers: Providers
    allocations: Allocations
    vocabulary: Vocabulary

    @classmethod
    def build(cls, platform: Platform) -> "Placement":
        db, policy = platform.db, platform.policy
        return cls(Providers(db, policy), Allocations(db, policy), Vocabulary(db, policy))


Handler = Callable[[Placement, Call], Reply]


def table(p: Placement, routes: list[tuple[str, str, Handler]]) -> RouteTable:
    r = RouteTable()
    for method, path, handler in routes:
        r.add(method, path, partial(handler, p))
    return r


def version(call: Call) -> Version:
    """Negotiated once per request and kept on the call."""
    cached = call.__dict__.get("_placement_version")
    if cached is None:
        cached = call.__dict__["_placement_version"] = mv.negotiate(call)
    return cached


def since(call: Call, minimum: Version) -> Version:
    """The version, or 404 when the route does not exist before ``minimum``."""
    v = version(call)
    if v < minimum:
        raise NotFound("The resource could not be found.")
    return v


def reply(call: Call, status: int = 200, body: Any = None,
          headers: dict[str, str] | None = None) -> Reply:
    h = mv.headers(version(call))
    h.update(headers or {})
    return Reply(status, body, h)


def positive_int(call: Call, name: str) -> int | None:
    raw = call.q(name)
    if raw is None:
        return None
    if not raw.isdigit() or int(raw) < 1:
        raise BadRequest(f"Invalid query string parameters: '{name}' must be a positive "
                         f"integer, got '{raw}'")
    return int(raw)


def parse_resources(raw: str) -> dict[str, int]:
    """``VCPU:1,MEMORY_MB:512`` → ``{"VCPU": 1, "MEMORY_MB": 512}``."""
    out: dict[str, int] = {}
    for part in (p for p in raw.split(",") if p):
        rc, _, amount = part.partition(":")
        if not rc.strip() or not amount.strip().isdigit():
            raise BadRequest(f"Badly formed resources parameter. Expected resources query "
                             f"string parameter in form: ?resources=VCPU:2,MEMORY_MB:1024. "
                             f"Got: {part}.")
        out[rc.strip()] = int(amount)
    if not out and raw:
        raise BadRequest("Badly formed resources parameter.")
    return out

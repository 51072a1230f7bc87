"""What every identity route module needs: the container, a route binder and small helpers
for links and query flags."""
from __future__ import annotations

from functools import partial
from typing import Callable, Iterable

from onestack.core.http import Call, Reply, RouteTable
from onestack.identity.service.attrs import apply_extra
from onestack.identity.service.container import Identity
from onestack.identity.service.filters import parse_bool

__all__ = ["Identity", "apply_extra", "bind", "bool_query", "self_url", "v3"]

Handler = Callable[[Identity, Call], Reply]
# (method, path, handler) or (method, path, handler, needs_token)
RouteSpec = tuple


def bind(ident: Identity, table: Iterable[RouteSpec]) -> RouteTable:
    """A route table of module-level handlers ``handler(ident, call)`` bound to ``ident``."""
    r = RouteTable()
    for method, path, handler, *rest in table:
        r.add(method, path, partial(handler, ident), auth=rest[0] if rest else True)
    return r


def v3(call: Call) -> str:
    """The identity v3 root as the client reached it (for links)."""
    return call.base_url + "/identity/v3"


def self_url(call: Call) -> str:
    url = call.base_url + call.path
    if call.query:
        url += "?" + str(call.query)
    return url


def bool_query(call: Call, name: str) -> bool | None:
    return parse_bool(call.query, name)

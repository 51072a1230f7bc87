"""The HTTP seam every service's API is written against: a route table of plain functions
that take a parsed ``Call`` and return a ``Reply``. Handlers never see ASGI; the app layer
parses, authenticates, runs the handler in a worker thread and renders the reply."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator

from starlette.datastructures import Headers, QueryParams

from onestack.core import json_limits
from onestack.core.context import RequestContext
from onestack.core.errors import BadRequest, MalformedJSON


def decode_body(raw: bytes) -> Any:
    """A request body as JSON: 400 for syntax errors (Keystone's wording) and for JSON past
    the limits (their own message), never a ``RecursionError`` or a string no encoder takes."""
    try:
        return json_limits.loads(raw)
    except json_limits.JSONLimitError as exc:
        if isinstance(exc, json_limits.NotJSON):
            raise MalformedJSON() from exc
        raise BadRequest(str(exc)) from exc


@dataclass
class Call:
    ctx: RequestContext
    method: str
    path: str
    params: dict[str, str]
    query: QueryParams
    headers: Headers
    raw_body: bytes
    base_url: str  # scheme://host[:port] as the client reached us
    _json: Any = field(default=None, repr=False)
    _parsed: bool = field(default=False, repr=False)
    chunks: Iterator[bytes] | None = field(default=None, repr=False)  # streamed routes only

    @property
    def json(self) -> Any:
        """The body decoded once, within ``json_limits`` (depth, size, strings, numbers)."""
        if not self._parsed:
            if not self.raw_body.strip():
                self._json = None
            else:
                self._json = decode_body(self.raw_body)
            self._parsed = True
        return self._json

    def body(self, key: str | None = None) -> Any:
        """The JSON body (or its ``key`` member), 400 when absent or not an object."""
        data = self.json
        if not isinstance(data, dict):
            raise BadRequest("Expecting a JSON object in the request body.")
        if key is None:
            return data
        if key not in data or not isinstance(data[key], dict):
            raise BadRequest(f"'{key}' is a required property")
        return data[key]

    def q(self, name: str, default: str | None = None) -> str | None:
        return self.query.get(name, default)

    def flag(self, name: str) -> bool:
        """A query flag that counts when present without a value (``?nocatalog``)."""
        if name not in self.query:
            return False
        return self.query.get(name, "").lower() not in ("0", "false", "no", "off")


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None
    content_type: str = "application/json"
    stream: Iterable[bytes] | None = None  # sent chunk by chunk, never held whole


Handler = Callable[[Call], Reply]


@dataclass
class Route:
    method: str
    path: str
    handler: Handler
    auth: bool = True  # a valid token is required before the handler runs
    stream: bool = False  # the body reaches the handler as ``call.chunks``, unbuffered


class RouteTable:
    """Collects routes of one service; ``HEAD`` is added for every ``GET``."""

    def __init__(self) -> None:
        self.routes: list[Route] = []

    def add(self, method: str, path: str, handler: Handler, *, auth: bool = True,
            stream: bool = False) -> None:
        self.routes.append(Route(method, path, handler, auth, stream))

    def get(self, path: str, *, auth: bool = True) -> Callable[[Handler], Handler]:
        return self._decorator("GET", path, auth)

    def post(self, path: str, *, auth: bool = True) -> Callable[[Handler], Handler]:
        return self._decorator("POST", path, auth)

    def put(self, path: str, *, auth: bool = True) -> Callable[[Handler], Handler]:
        return self._decorator("PUT", path, auth)

    def patch(self, path: str, *, auth: bool = True) -> Callable[[Handler], Handler]:
        return self._decorator("PATCH", path, auth)

    def delete(self, path: str, *, auth: bool = True) -> Callable[[Handler], Handler]:
        return self._decorator("DELETE", path, auth)

    def head(self, path: str, *, auth: bool = True) -> Callable[[Handler], Handler]:
        return self._decorator("HEAD", path, auth)

    def _decorator(self, method: str, path: str, auth: bool) -> Callable[[Handler], Handler]:
        def register(fn: Handler) -> Handler:
            self.add(method, path, fn, auth=auth)
            return fn

        return register


def no_content() -> Reply:
    return Reply(204)

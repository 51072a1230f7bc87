"""A ``Call`` for route helpers that read only the query string and the base URL."""
from __future__ import annotations

from starlette.datastructures import Headers, QueryParams

from onestack.core.context import RequestContext
from onestack.core.http import Call


def call(query: str = "", path: str = "/compute/v2.1/flavors") -> Call:
    return Call(RequestContext("req-test"), "GET", path, {}, QueryParams(query), Headers({}),
                b"", "http://cloud.test")

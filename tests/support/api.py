"""A synchronous HTTP client of the whole ASGI app, in process.

``httpx.ASGITransport`` is async only, and the app runs its handlers in anyio worker threads,
so requests go through one long-lived anyio blocking portal (an event loop in a thread): the
test thread calls the portal, the portal awaits the app. Every answer is checked for the
``x-openstack-request-id`` header, so no test can forget it.
"""
from __future__ import annotations

import contextlib
import re
from typing import Any

import httpx
from anyio.from_thread import BlockingPortal, start_blocking_portal

REQUEST_ID = re.compile(r"^req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
BASE_URL = "http://onestack.test"
_UNSET: Any = object()

TITLES = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
          405: "Method Not Allowed", 409: "Conflict", 413: "Request Entity Too Large",
          500: "Internal Server Error"}


class PortalTransport(httpx.BaseTransport):
    """The one-method seam: a sync transport that runs the ASGI app on a portal."""

    def __init__(self, app: Any, portal: BlockingPortal):
        # What a real server does with an exception that escapes the app after the answer
        # started is what clients see: the answer. So app exceptions are not re-raised here.
        self._asgi = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        self._portal = portal

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        async def send() -> tuple[int, httpx.Headers, bytes]:
            response = await self._asgi.handle_async_request(request)
            content = await response.aread()
            return response.status_code, response.headers, content

        status, headers, content = self._portal.call(send)
        return httpx.Response(status, headers=headers, content=content, request=request)


class Api:
    """``api.get("/v3/projects", token=t)``: paths are relative to the identity mount."""

    prefix = "/identity"

    def __init__(self, app: Any):
        self._stack = contextlib.ExitStack()
        portal = self._stack.enter_context(start_blocking_portal())
        self.http = self._stack.enter_context(
            httpx.Client(transport=PortalTransport(app, portal), base_url=BASE_URL))

    def close(self) -> None:
        self._stack.close()

    def request(self, method: str, path: str, *, token: str | None = None,
                json: Any = _UNSET, content: bytes | str | None = None,
                headers: dict[str, str] | None = None,
                params: dict[str, Any] | None = None) -> httpx.Response:
        hdrs = dict(headers or {})
        if token:
            hdrs["X-Auth-Token"] = token
        kwargs: dict[str, Any] = {"headers": hdrs, "params": params}
        if json is not _UNSET:
            kwargs["json"] = json
        elif content is not None:
            kwargs["content"] = content
            hdrs.setdefault("Content-Type", "application/json")
        url = path if path.startswith("/healthcheck") else self.prefix + path
        response = self.http.request(method, url, **kwargs)
        request_id = response.headers.get("x-openstack-request-id", "")
        assert REQUEST_ID.match(request_id), \
            f"{method} {url} -> {response.status_code} without a request id: {request_id!r}"
        return response

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("GET", path, **kw)

    def head(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("HEAD", path, **kw)

    def post(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("POST", path, **kw)

    def put(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("PUT", path, **kw)

    def patch(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("PATCH", path, **kw)

    def delete(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("DELETE", path, **kw)


def assert_status(response: httpx.Response, status: int) -> dict[str, Any]:
    """The status must match; returns the JSON body (``{}`` when there is none)."""
    assert response.status_code == status, \
        f"expected {status}, got {response.status_code}: {response.text[:800]}"
    if not response.content:
        return {}
    return response.json()


def assert_fault(response: httpx.Response, status: int, message: str | None = None) -> str:
    """A Keystone fault body with this status (and, if given, a message containing
    ``message``); returns the message."""
    assert response.status_code == status, \
        f"expected {status}, got {response.status_code}: {response.text[:800]}"
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"code", "message", "title"}, error
    assert error["code"] == status
    assert error["title"] == TITLES[status]
    assert isinstance(error["message"], str) and error["message"].strip()
    if message is not None:
        assert message in error["message"], error["message"]
    return error["message"]

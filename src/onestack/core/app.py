"""The ASGI application: every service's route table mounted under its path prefix on one
port, an outermost layer that guarantees a fault body and a request id on every answer, and
token validation before any handler that requires it."""
from __future__ import annotations

import contextlib
import json
import logging
import time
import uuid
from dataclasses import dataclass
import threading
from typing import Any, Callable, Protocol

import anyio.to_thread
from sqlalchemy.exc import DataError, IntegrityError
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.concurrency import iterate_in_threadpool
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route as StarletteRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from onestack.core import access_rules
from onestack.core.bodies import BodyLimits, UploadLimiter, read_body, thread_chunks
from onestack.core.context import RequestContext
from onestack.core.errors import (BadRequest, Conflict, MethodNotAllowed, NotFound,
                                  OpenStackError, Unauthorized)
from onestack.core.http import Call, Reply, Route

log = logging.getLogger("onestack.api")


class Authenticator(Protocol):
    def authenticate(self, token: str, request_id: str) -> RequestContext:
        """A context for a valid token; raises ``Unauthorized`` otherwise."""


@dataclass
class Mount:
    """One service's routes under a path prefix, with its fault style."""

    prefix: str
    routes: list[Route]
    fault_style: str = "keystone"
    service_type: str = ""  # for access rules; empty: derived from the prefix
    # builds ``routes`` at the mount's first request (or ``OpenStackApp.build_pending``)
    # instead of before the app listens: a start-up answers before every service is built
    build: Callable[[], list[Route]] | None = None


WORKER_THREADS = 16  # handlers run here; more buys nothing on two cores but memory


@contextlib.asynccontextmanager
async def _lifespan(app: Any):
    anyio.to_thread.current_default_thread_limiter().total_tokens = WORKER_THREADS
    yield


def _dumps(body: Any) -> bytes:
    return json.dumps(body, separators=(",", ":"), default=str).encode()


def fault_response(exc: OpenStackError, style: str, request_id: str, www_auth: str) -> Response:
    headers = dict(exc.headers)
    headers["x-openstack-request-id"] = request_id
    if exc.status == 401 and www_auth:
        headers["WWW-Authenticate"] = www_auth
    if style == "glance":  # Glance answers faults as a small HTML page
        return Response(exc.html().encode(), exc.status, headers,
                        media_type="text/html; charset=UTF-8")
    return Response(_dumps(exc.body(style, request_id)), exc.status, headers,
                    media_type="application/json")


def render(reply: Reply, request_id: str, method: str) -> Response:
    headers = dict(reply.headers)
    headers["x-openstack-request-id"] = request_id
    if reply.raw is not None:
        content = reply.raw
    elif reply.body is None or reply.status == 204:
        content = b""
    else:
        content = _dumps(reply.body)
    if reply.status == 204:
        return Response(b"", 204, headers)
    if reply.stream is not None and method != "HEAD":
        return StreamingResponse(iterate_in_threadpool(iter(reply.stream)), reply.status,
                                 headers, media_type=reply.content_type)
    resp = Response(content, reply.status, headers, media_type=reply.content_type)
    if method == "HEAD":
        resp.body = b""
    return resp


class OpenStackApp:
    """Builds the Starlette app and holds what every request needs."""

    def __init__(self, mounts: list[Mount], authenticator: Authenticator, base_url: str,
                 extra_routes: list[StarletteRoute] | None = None,
                 body_limits: BodyLimits | None = None):
        self.mounts = sorted(mounts, key=lambda m: len(m.prefix), reverse=True)
        self.authenticator = authenticator
        self.base_url = base_url
        self.body_limits = body_limits or BodyLimits()
        # streamed uploads run here, never in the handler pool (see core.bodies)
        self.uploads = UploadLimiter(self.body_limits.upload_slots)
        self._build_lock = threading.Lock()
        routes: list[StarletteRoute] = list(extra_routes or [])
        for mount in mounts:
            if mount.build is not None:
                pending = _Pending(self, mount)
                routes += [StarletteRoute(mount.prefix, pending),
                           StarletteRoute(mount.prefix + "/{pending_path:path}", pending)]
            else:
                routes += self._starlette_routes(mount)
        self.starlette = Starlette(routes=routes, exception_handlers={
            HTTPException: self._http_exception}, lifespan=_lifespan)
        self.asgi: ASGIApp = RequestIdLayer(self.starlette, self)

    def _starlette_routes(self, mount: Mount) -> list[StarletteRoute]:
        return [StarletteRoute(mount.prefix + route.path, self._endpoint(route, mount),
                               methods=[route.method]) for route in mount.routes]

    def build_mount(self, mount: Mount) -> None:
        """Builds a lazy mount's routes once, in the place of its placeholders (the route
        list is replaced whole: requests being matched keep the list they started with)."""
        with self._build_lock:
            if mount.build is None:
                return
            mount.routes = mount.build()
            real = self._starlette_routes(mount)
            out: list[Any] = []
            for route in self.starlette.router.routes:
                if isinstance(route, StarletteRoute) and getattr(
                        route, "app", None) is not None and isinstance(
                        route.app, _Pending) and route.app.mount is mount:
                    out.extend(real)
                    real = []
                else:
                    out.append(route)
            self.starlette.router.routes = out
            mount.build = None

    def build_pending(self) -> None:
        """Every lazy mount built now (``onestack up`` runs this after its first login)."""
        for mount in self.mounts:
            if mount.build is not None:
                self.build_mount(mount)

    def style_for(self, path: str) -> str:
        for mount in self.mounts:
            if path.startswith(mount.prefix):
                return mount.fault_style
        return "keystone"

    def www_authenticate(self) -> str:
        return f'Keystone uri="{self.base_url}/identity/v3"'

    async def _http_exception(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        fault: OpenStackError = MethodNotAllowed() if exc.status_code == 405 else NotFound(
            "The resource could not be found.")
        if exc.status_code not in (404, 405):
            fault = OpenStackError(exc.detail)
            fault.status = exc.status_code
        return fault_response(fault, self.style_for(request.url.path),
                              request.scope.get("onestack.request_id", ""), "")

    async def _handle(self, request: Request, request_id: str, route: Route,
                      mount: Mount) -> Reply:
        if any("\x00" in v for v in request.path_params.values()):
            raise NotFound("The resource could not be found.")  # no id holds a NUL byte
        check_request_shape(request.scope, request.headers)
        body = b"" if route.stream else await read_body(request, self.body_limits)
        token = request.headers.get("x-auth-token", "")
        base = f"{request.url.scheme}://{request.url.netloc}"
        call = Call(RequestContext(request_id, token), request.method, request.url.path,
                    dict(request.path_params), request.query_params, request.headers,
                    body, base)
        if route.stream:
            call.chunks = thread_chunks(request, self.body_limits)
        authenticator = self.authenticator

        def run() -> Reply:
            if token:
                try:
                    call.ctx = authenticator.authenticate(token, request_id)
                except Unauthorized:
                    if route.auth:
                        raise
            elif route.auth:
                raise Unauthorized()
            if route.auth:  # an application credential's access rules, for every service
                service_type = mount.service_type or access_rules.service_type_for(mount.prefix)
                access_rules.check(call.ctx, service_type, call.path[len(mount.prefix):],
                                   call.method)
            return route.handler(call)

        limiter = self.uploads.get() if route.stream else None
        return await anyio.to_thread.run_sync(run, limiter=limiter)

    def _endpoint(self, route: Route, mount: Mount):

        async def endpoint(request: Request) -> Response:
            request_id: str = request.scope["onestack.request_id"]
            try:
                reply = await self._handle(request, request_id, route, mount)
                return render(reply, request_id, request.method)
            except OpenStackError as exc:
                return fault_response(exc, mount.fault_style, request_id,
                                      self.www_authenticate())
            except IntegrityError:
                # a uniqueness check that lost a race to a concurrent writer: the database
                # refused the second row, the transaction rolled back
                return fault_response(Conflict("Conflict occurred attempting to store the "
                                               "resource: it already exists."),
                                      mount.fault_style, request_id, "")
            except DataError:
                return fault_response(BadRequest("A value does not fit where it is stored."),
                                      mount.fault_style, request_id, "")
            except Exception:  # noqa: BLE001 - the fault body promise covers bugs too
                log.exception("unhandled error request_id=%s", request_id)
                return fault_response(OpenStackError(), mount.fault_style, request_id, "")

        return endpoint


class _Pending:
    """The placeholder of a lazy mount: builds it (in a worker thread: building imports
    and must not stall the event loop), then routes the request again, now to the real
    route."""

    def __init__(self, owner: OpenStackApp, mount: Mount):
        self.owner = owner
        self.mount = mount

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await anyio.to_thread.run_sync(self.owner.build_mount, self.mount)
        scope = dict(scope)
        scope["path_params"] = {}
        await self.owner.starlette.router(scope, receive, send)


MAX_QUERY_PARAMS = 500  # no client sends more than a few dozen; thousands only cost us
MAX_VERSION_HEADER = 64  # "compute 2.96" is 12 characters


def _is_version_header(name: str) -> bool:
    return name == "openstack-api-version" or (
        name.startswith("x-openstack-") and name.endswith("-api-version"))


def check_request_shape(scope: Scope, headers: Any) -> None:
    """Refuse, before any handler parses them, query strings with too many parameters and
    microversion headers too long to be a version (a 5,000-digit number costs a handler
    quadratic int parsing or a 500)."""
    query: bytes = scope.get("query_string", b"")
    if query.count(b"&") >= MAX_QUERY_PARAMS and \
            sum(1 for part in query.split(b"&") if part) > MAX_QUERY_PARAMS:
        raise BadRequest(f"A request takes at most {MAX_QUERY_PARAMS} query parameters.")
    for name, value in headers.items():
        if len(value) > MAX_VERSION_HEADER and _is_version_header(name):
            raise BadRequest(f"The {name} header is longer than {MAX_VERSION_HEADER} "
                             "characters: not a version.")


class RequestIdLayer:
    """Outermost layer: a request id on every answer, an access log line, and a fault body
    with status 500 for anything that escaped."""

    def __init__(self, app: ASGIApp, owner: OpenStackApp):
        self.app = app
        self.owner = owner

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = "req-" + str(uuid.uuid4())
        scope["onestack.request_id"] = request_id
        started = time.perf_counter()
        status_holder = {"status": 0, "sent": False}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                status_holder["sent"] = True
                headers = list(message.get("headers", []))
                if not any(k == b"x-openstack-request-id" for k, _ in headers):
                    headers.append((b"x-openstack-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except OpenStackError as exc:
            if status_holder["sent"]:
                raise
            resp = fault_response(exc, self.owner.style_for(scope["path"]), request_id, "")
            status_holder["status"] = exc.status
            await resp(scope, receive, send)
        except Exception:
            log.exception("unhandled error request_id=%s", request_id)
            if status_holder["sent"]:
                return
            resp = fault_response(OpenStackError(), self.owner.style_for(scope["path"]),
                                  request_id, "")
            status_holder["status"] = 500
            await resp(scope, receive, send)
        finally:
            if log.isEnabledFor(logging.INFO):
                log.info("%s %s status=%s ms=%.1f request_id=%s", scope["method"],
                         scope["path"], status_holder["status"],
                         (time.perf_counter() - started) * 1000, request_id)

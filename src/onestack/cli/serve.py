"""Run the API with uvicorn: in-process for one worker, as worker processes otherwise (they
rebuild their settings from ``ONESTACK_SETTINGS_JSON``)."""
from __future__ import annotations

import dataclasses
import json
import logging
import os
import threading
import time
from typing import Any, Callable

import uvicorn

from onestack.core.config import SecurityCompliance, Settings

SETTINGS_ENV = "ONESTACK_SETTINGS_JSON"
LATER_LIMIT = 1.0  # seconds of an idle API after which deferred start-up work runs
log = logging.getLogger("onestack.serve")


class AfterFirstLogin:
    """Work that can wait (parsing the policy rules, building the services not asked for
    yet) runs in one thread once the first login (``POST …/auth/tokens``) has been
    answered, or once the API has been idle (no request in flight) for ``idle`` seconds
    after it listens: a login is every client's first call and should not share the CPU
    with start-up leftovers, and neither should the requests of clients that kept their
    tokens across a restart (each service still builds at its own first request)."""

    def __init__(self, asgi: Any, work: list[Callable[[], None]], limit: float = LATER_LIMIT):
        self.asgi = asgi
        self.work = work
        self.limit = limit  # the idle time that starts the work
        self._started = threading.Event()
        self._lock = threading.Lock()
        self._in_flight = 0
        self._last = time.monotonic()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if self._started.is_set() or scope["type"] != "http":
            await self.asgi(scope, receive, send)
            return
        self._in_flight += 1  # the event loop's thread only: no lock needed
        try:
            await self.asgi(scope, receive, send)
        finally:
            self._in_flight -= 1
            self._last = time.monotonic()
        if scope["method"] == "POST" and scope["path"].endswith("/auth/tokens"):
            self.start()

    def arm(self) -> None:
        """Called once listening: start the work at the first idle spell of ``limit``."""
        self._last = time.monotonic()
        threading.Thread(target=self._watch, name="onestack-idle-watch", daemon=True).start()

    def _watch(self) -> None:
        while not self._started.is_set():
            quiet = time.monotonic() - self._last
            if self._in_flight == 0 and quiet >= self.limit:
                self.start()
                return
            time.sleep(max(0.05, min(self.limit - quiet, self.limit / 4)))

    def start(self) -> None:
        with self._lock:
            if self._started.is_set():
                return
            self._started.set()
        threading.Thread(target=self._run, name="onestack-after-login", daemon=True).start()

    def _run(self) -> None:
        for job in self.work:
            try:
                job()
            except Exception:  # noqa: BLE001 - one failed job must not stop the others
                log.exception("deferred start-up work failed")


def create_app():  # the factory uvicorn workers import
    from onestack.core.logs import setup_logging
    from onestack.server import build_app

    raw = json.loads(os.environ[SETTINGS_ENV])
    raw["security_compliance"] = SecurityCompliance(**raw["security_compliance"])
    settings = Settings(**raw)
    setup_logging(settings.log_level)
    return build_app(settings).asgi


def server_log_level(level: str) -> str:
    """Uvicorn's own start and stop lines are INFO noise: shown only when debugging."""
    return level if level.lower() in ("debug", "error", "critical") else "warning"


def serve(settings: Settings, on_ready=None, db=None, bus=None, app=None,
          later: Callable[[], None] | None = None) -> int:
    """``app``: one built ahead (``onestack up`` builds it while the schema migrates);
    ``later``: more work for ``AfterFirstLogin`` (``onestack up`` starts its agents)."""
    common = dict(host=settings.host, port=settings.port,
                  log_level=server_log_level(settings.log_level),
                  access_log=False, server_header=False, proxy_headers=True,
                  timeout_keep_alive=30)
    if settings.workers > 1:
        if later is not None:  # no app in this process to wait behind: start it now
            later()
        os.environ[SETTINGS_ENV] = json.dumps(dataclasses.asdict(settings))
        uvicorn.run("onestack.cli.serve:create_app", factory=True, workers=settings.workers,
                    **common)
        return 0
    if app is None:
        from onestack.server import build_app

        app = build_app(settings, db, bus)
    # the agents start as soon as the API listens (a client's first login and its first
    # server or volume need the hosts and backends registered); the policy rules and the
    # services not built yet wait for the first login (each builds at its first request)
    deferred = AfterFirstLogin(app.asgi, [app.platform.policy.warm, app.build_pending])
    config = uvicorn.Config(deferred, log_config=None, **common)
    server = uvicorn.Server(config)
    original = server.startup

    async def startup(sockets=None):
        await original(sockets=sockets)
        if later is not None:
            threading.Thread(target=later, name="onestack-agents", daemon=True).start()
        deferred.arm()
        if on_ready is not None:
            on_ready()
    server.startup = startup  # type: ignore[method-assign]
    server.run()
    return 0

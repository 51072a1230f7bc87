"""Run the API with uvicorn: in-process for one worker, as worker processes otherwise (they
rebuild their settings from ``ONESTACK_SETTINGS_JSON``)."""
from __future__ import annotations

import dataclasses
import json
import logging
import os
import threading
from typing import Any, Callable

import uvicorn

from onestack.core.config import SecurityCompliance, Settings

SETTINGS_ENV = "ONESTACK_SETTINGS_JSON"
LATER_LIMIT = 2.0  # seconds after listening that deferred work starts at the latest
log = logging.getLogger("onestack.serve")


class AfterFirstLogin:
    """Work that can wait (parsing the policy rules, starting agents) runs in one thread
    once the first login (``POST …/auth/tokens``) has been answered, or ``limit`` seconds
    after the API listens: a login is every client's first call, and it should not share
    the CPU with start-up leftovers."""

    def __init__(self, asgi: Any, work: list[Callable[[], None]], limit: float = LATER_LIMIT):
        self.asgi = asgi
        self.work = work
        self.limit = limit
        self._started = threading.Event()
        self._lock = threading.Lock()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.asgi(scope, receive, send)
        if (not self._started.is_set() and scope["type"] == "http"
                and scope["method"] == "POST" and scope["path"].endswith("/auth/tokens")):
            self.start()

    def arm(self) -> None:
        """Called once listening: start by ``limit`` whatever happens."""
        timer = threading.Timer(self.limit, self.start)
        timer.daemon = True
        timer.start()

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

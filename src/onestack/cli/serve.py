"""Run the API with uvicorn: in-process for one worker, as worker processes otherwise (they
rebuild their settings from ``ONESTACK_SETTINGS_JSON``)."""
from __future__ import annotations

import dataclasses
import json
import os

import uvicorn

from onestack.core.config import SecurityCompliance, Settings

SETTINGS_ENV = "ONESTACK_SETTINGS_JSON"


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


def serve(settings: Settings, on_ready=None, db=None, bus=None, app=None) -> int:
    """``app``: one built ahead (``onestack up`` builds it while the schema migrates)."""
    common = dict(host=settings.host, port=settings.port,
                  log_level=server_log_level(settings.log_level),
                  access_log=False, server_header=False, proxy_headers=True,
                  timeout_keep_alive=30)
    if settings.workers > 1:
        os.environ[SETTINGS_ENV] = json.dumps(dataclasses.asdict(settings))
        uvicorn.run("onestack.cli.serve:create_app", factory=True, workers=settings.workers,
                    **common)
        return 0
    if app is None:
        from onestack.server import build_app

        app = build_app(settings, db, bus)
    config = uvicorn.Config(app.asgi, log_config=None, **common)
    server = uvicorn.Server(config)
    original = server.startup

    async def startup(sockets=None):
        await original(sockets=sockets)
        warm_policy_later(app)
        if on_ready is not None:
            on_ready()
    server.startup = startup  # type: ignore[method-assign]
    server.run()
    return 0


def warm_policy_later(app) -> None:
    """Parse the policy rules in a thread once the API listens (the first login needs no
    rule), so that the first request that checks one does not wait for it."""
    import threading

    threading.Thread(target=app.platform.policy.warm, name="onestack-policy-warm",
                     daemon=True).start()

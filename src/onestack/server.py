"""The composition root: one database, one policy enforcer, every service mounted.

Each service module listed in ``SERVICES`` provides ``CATALOG`` (its catalog entries: type,
name, path under the public URL) and ``mount(platform) -> Mount``.
"""
from __future__ import annotations

import importlib
import logging
from types import ModuleType

import sqlalchemy as sa
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from onestack.core.app import OpenStackApp
from onestack.core.bus import Bus, InProcessBus
from onestack.core.config import Settings
from onestack.core.db import Database
from onestack.core.platform import Platform
from onestack.core.policy import Policy
from onestack.identity import app as identity_app

log = logging.getLogger(__name__)

# Service modules after identity, in mount order.
SERVICES: list[str] = ["onestack.compute.app", "onestack.image.app", "onestack.placement.app"]


def service_modules() -> list[ModuleType]:
    return [importlib.import_module(name) for name in SERVICES]


def catalog_entries() -> list[tuple[str, str, str]]:
    entries = list(identity_app.CATALOG)
    for module in service_modules():
        entries.extend(module.CATALOG)
    return entries


def build_app(settings: Settings, db: Database | None = None, bus: Bus | None = None
              ) -> OpenStackApp:
    db = db or Database(settings.database_url)
    policy = Policy(settings.policy_file)
    ident = identity_app.build_identity(db, settings, policy)
    platform = Platform(db, settings, policy, ident, bus or InProcessBus())
    mounts = [identity_app.mount(ident)]
    mounts.extend(module.mount(platform) for module in service_modules())

    async def healthcheck(request: Request) -> Response:
        import anyio.to_thread

        def ping() -> None:
            with db.engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
        try:
            await anyio.to_thread.run_sync(ping)
        except Exception:  # noqa: BLE001 - any database failure means unhealthy
            log.exception("healthcheck failed")
            return PlainTextResponse("database unavailable", 503)
        return PlainTextResponse("OK")

    app = OpenStackApp(mounts, ident.tokens, settings.base_url,
                       extra_routes=[Route("/healthcheck", healthcheck, methods=["GET"])])
    app.platform = platform  # type: ignore[attr-defined]
    return app

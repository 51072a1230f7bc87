"""The composition root: one database, one policy enforcer, every registered service mounted.

The services are the ``SPEC`` of each module in ``SERVICE_MODULES`` (see
``onestack.core.registry``); identity comes first because its token service authenticates
every other service's requests. Heavy imports (SQLAlchemy, Starlette, the services' route
modules) happen when an app is built, not when this module is imported.
"""
from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING

from onestack.core.registry import Registry, ServiceSpec

if TYPE_CHECKING:
    from onestack.core.app import OpenStackApp
    from onestack.core.bus import Bus
    from onestack.core.config import Settings
    from onestack.core.db import Database

log = logging.getLogger(__name__)

# One line per service, in mount order; each module defines ``SPEC``.
SERVICE_MODULES: list[str] = ["onestack.identity.app", "onestack.compute.app",
                              "onestack.image.app", "onestack.placement.app",
                              "onestack.network.app", "onestack.volume.app"]


def default_registry() -> Registry:
    registry = Registry()
    for name in SERVICE_MODULES:
        spec: ServiceSpec = importlib.import_module(name).SPEC
        registry.register(spec)
    return registry


def catalog_entries(registry: Registry | None = None) -> list[tuple[str, str, str]]:
    """(type, name, path) of every registered service: what bootstrap writes."""
    return (registry or default_registry()).catalog_entries()


def _healthcheck_route(db: Database):
    import anyio.to_thread
    import sqlalchemy as sa
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse, Response
    from starlette.routing import Route as StarletteRoute

    def ping() -> None:
        with db.engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))

    async def healthcheck(request: Request) -> Response:
        try:
            await anyio.to_thread.run_sync(ping)
        except Exception:  # noqa: BLE001 - any database failure means unhealthy
            log.exception("healthcheck failed")
            return PlainTextResponse("database unavailable", 503)
        return PlainTextResponse("OK")

    return StarletteRoute("/healthcheck", healthcheck, methods=["GET"])


def _metadata_mount(platform):
    """Guests' metadata service at ``/metadata`` (reached through the network proxies)."""
    from onestack.compute.metadata.app import mount

    return mount(platform)


def build_app(settings: Settings, db: Database | None = None, bus: Bus | None = None,
              registry: Registry | None = None, lazy: bool = False) -> OpenStackApp:
    """Without a bus the app gets one that drops notifications: an API-only process has no
    local worker to wake (agents elsewhere find their work by resync). ``lazy``: only
    identity (every client's first call) is built now; each other service at its first
    request or when ``build_pending`` runs (``onestack up``: after the first login)."""
    from onestack.core.app import Mount, OpenStackApp
    from onestack.core.bodies import BodyLimits
    from onestack.core.bus import NullBus
    from onestack.core.db import Database
    from onestack.core.platform import Platform
    from onestack.core.policy import Policy
    from onestack.identity.app import build_identity

    registry = registry or default_registry()
    db = db or Database(settings.database_url)
    policy = Policy(settings.policy_file)
    policy.register(registry.policy_rules())
    ident = build_identity(db, settings, policy)
    platform = Platform(db, settings, policy, ident, bus or NullBus(), services=registry)
    platform.seams = registry.lazy_seams(platform)  # each built at its first use
    def mount(spec: ServiceSpec) -> Mount:
        if lazy and spec.name != "identity":
            return Mount(spec.prefix, [], spec.fault_style, spec.service_type,
                         build=lambda: spec.routes(platform))
        return Mount(spec.prefix, spec.routes(platform), spec.fault_style, spec.service_type)
    mounts = [mount(spec) for spec in registry]
    app = OpenStackApp(mounts, ident.tokens, settings.base_url,
                       extra_routes=[_healthcheck_route(db), _metadata_mount(platform)],
                       body_limits=BodyLimits.from_settings(settings))
    app.platform = platform  # type: ignore[attr-defined]
    return app

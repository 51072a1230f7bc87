"""The composition root: one database, one policy enforcer, every service mounted."""
from __future__ import annotations

import logging

import sqlalchemy as sa
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from onestack.core.app import OpenStackApp
from onestack.core.config import Settings
from onestack.core.db import Database
from onestack.core.policy import Policy
from onestack.identity import app as identity_app

log = logging.getLogger(__name__)


def build_app(settings: Settings, db: Database | None = None) -> OpenStackApp:
    db = db or Database(settings.database_url)
    policy = Policy(settings.policy_file)
    ident = identity_app.build_identity(db, settings, policy)

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

    app = OpenStackApp([identity_app.mount(ident)], ident.tokens, settings.base_url,
                       extra_routes=[Route("/healthcheck", healthcheck, methods=["GET"])])
    app.state = {"db": db, "identity": ident}  # type: ignore[attr-defined]
    return app

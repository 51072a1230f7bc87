"""Migration records as the admin reads them: ``os-migrations`` (filtered, newest first) and
a server's in-progress live migrations."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.compute import models as cm
from onestack.compute.service.deps import ResourceDeps
from onestack.compute.service.servers import ADMIN_RULE, find_instance
from onestack.core.context import RequestContext

RULE = "os_compute_api:os-migrations:index"
FILTERS = ("instance_uuid", "status", "migration_type", "source_compute")
IN_PROGRESS = ("queued", "preparing", "running")


def list_migrations(deps: ResourceDeps, ctx: RequestContext,
                    filters: dict[str, str], host: str | None) -> list[cm.Migration]:
    """Migrations matching ``filters`` (columns of ``FILTERS``) and touching ``host`` as
    source or destination, newest first."""
    deps.enforce(ctx, RULE)
    q = sa.select(cm.Migration)
    for name, value in filters.items():
        if name in FILTERS:
            q = q.where(getattr(cm.Migration, name) == value)
    if host:
        q = q.where(sa.or_(cm.Migration.source_compute == host,
                           cm.Migration.dest_compute == host))
    return deps.read(lambda s: list(s.scalars(q.order_by(cm.Migration.id.desc()))))


def live_migrations(deps: ResourceDeps, ctx: RequestContext,
                    server_id: str) -> list[cm.Migration]:
    """The server's live migrations still under way; 404 for a server the caller does not
    see."""
    deps.enforce(ctx, RULE)
    admin = deps.allowed(ctx, ADMIN_RULE)

    def work(s: Session) -> list[cm.Migration]:
        inst = find_instance(s, ctx, admin, server_id)
        return list(s.scalars(sa.select(cm.Migration).where(
            cm.Migration.instance_uuid == inst.id,
            cm.Migration.migration_type == "live-migration",
            cm.Migration.status.in_(IN_PROGRESS))))
    return deps.read(work)

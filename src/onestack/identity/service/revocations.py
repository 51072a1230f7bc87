"""``OS-REVOKE``: the revocation events a caching token validator replays."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.context import RequestContext
from onestack.identity import catalog_models as cm
from onestack.identity import views
from onestack.identity.service.container import Identity


def _event(e: cm.RevocationEvent) -> dict[str, Any]:
    fields = {"audit_id": e.audit_id, "user_id": e.user_id, "project_id": e.project_id,
              "domain_id": e.domain_id, "trust_id": e.trust_id,
              "issued_before": views.iso(e.revoked_at)}
    return {k: v for k, v in fields.items() if v is not None}


def list_events(ident: Identity, ctx: RequestContext) -> list[dict[str, Any]]:
    ident.check(ctx, "identity:list_revoke_events")

    def work(s: Session) -> list[dict[str, Any]]:
        return [_event(e) for e in s.scalars(sa.select(cm.RevocationEvent))]
    return ident.read(work)

"""Mappings and service providers: OS-FEDERATION records that are plain attributes under an
id the caller chooses (``PUT`` creates, 409 when the id is taken)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.context import RequestContext
from onestack.core.errors import conflict, not_found
from onestack.identity import catalog_models as cm
from onestack.identity.service.container import Identity
from onestack.identity.service.federation import mapping_view, rule, sp_view
from onestack.identity.service.filters import parse_bool


@dataclass(frozen=True)
class Record:
    model: type
    kind: str  # the noun of messages ("Could not find X") and of policy rules
    view: Callable[[Any, str], dict]
    defaults: dict[str, Any]
    filters: tuple[str, ...] = ()


MAPPINGS = Record(cm.Mapping, "mapping", mapping_view, {"schema_version": "1.0"})
SERVICE_PROVIDERS = Record(cm.ServiceProvider, "service_provider", sp_view,
                           {"enabled": False, "relay_state_prefix": "ss:mem:",
                            "description": None}, ("id", "enabled"))


def _get(s: Session, rec: Record, item_id: str) -> Any:
    row = s.get(rec.model, item_id)
    if row is None:
        raise not_found(rec.kind, item_id)
    return row


def create(ident: Identity, ctx: RequestContext, rec: Record, item_id: str,
           body: dict[str, Any], base: str) -> dict:
    ident.check(ctx, rule("create", rec.kind))

    def work(s: Session) -> dict:
        if s.get(rec.model, item_id) is not None:
            raise conflict(rec.kind, f"Duplicate ID, {item_id}")
        row = rec.model(id=item_id, **{**rec.defaults, **body})
        s.add(row)
        s.flush()
        return rec.view(row, base)
    return ident.write(work)


def list_(ident: Identity, ctx: RequestContext, rec: Record, query: Mapping[str, str],
          base: str) -> list[dict]:
    ident.check(ctx, rule("list", rec.kind))

    def work(s: Session) -> list[dict]:
        q = sa.select(rec.model)
        for name in rec.filters:
            if query.get(name) is None:
                continue
            column = getattr(rec.model, name)
            value = parse_bool(query, name) if isinstance(column.type, sa.Boolean) \
                else query[name]
            q = q.where(column == value)
        return [rec.view(x, base) for x in s.scalars(q.order_by(rec.model.id))]
    return ident.read(work)


def show(ident: Identity, ctx: RequestContext, rec: Record, item_id: str, base: str) -> dict:
    ident.check(ctx, rule("get", rec.kind))
    return ident.read(lambda s: rec.view(_get(s, rec, item_id), base))


def update(ident: Identity, ctx: RequestContext, rec: Record, item_id: str,
           body: dict[str, Any], base: str) -> dict:
    ident.check(ctx, rule("update", rec.kind))

    def work(s: Session) -> dict:
        row = _get(s, rec, item_id)
        for key, value in body.items():
            setattr(row, key, value)
        s.flush()
        return rec.view(row, base)
    return ident.write(work)


def delete(ident: Identity, ctx: RequestContext, rec: Record, item_id: str) -> None:
    ident.check(ctx, rule("delete", rec.kind))
    ident.write(lambda s: s.delete(_get(s, rec, item_id)))

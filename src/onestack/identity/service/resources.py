"""Create / list / show / update / delete for the identity resources whose behaviour is plain
storage of attributes (regions, services, endpoints, policies, consumers, …). A ``Resource``
describes one; the hooks carry what is particular to it (checks, defaults, cascades)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.context import RequestContext
from onestack.core.db import new_id
from onestack.core.errors import conflict, not_found
from onestack.identity.service import store
from onestack.identity.service.attrs import apply_extra
from onestack.identity.service.container import Identity
from onestack.identity.service.filters import parse_bool, text_filters


@dataclass
class Resource:
    path: str  # collection path, e.g. "/v3/regions"
    member: str  # body key of one item, e.g. "region"
    plural: str  # body key of the collection
    model: type
    view: Callable[[Any, str], dict]
    create_schema: dict
    update_schema: dict
    columns: set[str]
    read_rule: str
    write_rule: str
    filters: tuple[str, ...] = ()
    kind: str = ""  # the word in "Could not find X"
    prepare: Callable[[Session, dict, Any | None], None] | None = None  # checks, defaults
    client_ids: bool = False  # the create body may name the id
    on_delete: Callable[[Session, Any], None] | None = None
    defaults: dict[str, Any] = field(default_factory=dict)
    shown_once: tuple[str, ...] = ()  # columns answered at creation only (a secret)

    @property
    def noun(self) -> str:
        return self.kind or self.member


def _get(s: Session, res: Resource, item_id: str) -> Any:
    row = s.get(res.model, item_id)
    if row is None:
        raise not_found(res.noun, item_id)
    return row


def create(ident: Identity, ctx: RequestContext, res: Resource, body: dict[str, Any],
           base: str) -> dict:
    ident.check(ctx, res.write_rule)

    def work(s: Session) -> dict:
        if res.prepare:
            res.prepare(s, body, None)
        row_id = body.get("id") if res.client_ids and body.get("id") else new_id()
        if res.client_ids and s.get(res.model, row_id) is not None:
            raise conflict(res.noun, f"Duplicate ID, {row_id}")
        row = res.model(id=row_id, **res.defaults)
        if hasattr(row, "extra"):
            row.extra = {}
        apply_extra(row, body, res.columns)
        s.add(row)
        s.flush()
        store.bump_generation(s)
        return {**res.view(row, base), **{k: getattr(row, k) for k in res.shown_once}}
    return ident.write(work)


def list_(ident: Identity, ctx: RequestContext, res: Resource, query: Mapping[str, str],
          base: str) -> list[dict]:
    """Exact filters on ``res.filters``, and Keystone's inexact ones on its text columns."""
    ident.check(ctx, res.read_rule)

    def work(s: Session) -> list[dict]:
        q = sa.select(res.model)
        text_columns = {}
        for name in res.filters:
            column = getattr(res.model, name)
            if isinstance(column.type, sa.String):
                text_columns[name] = column
            value = query.get(name)
            if value is None:
                continue
            if isinstance(column.type, sa.Boolean):
                q = q.where(column.is_(parse_bool(query, name)))
            else:
                q = q.where(column == value)
        q = text_filters(s, q, query, text_columns)
        return [res.view(x, base) for x in s.scalars(q.order_by(res.model.id))]
    return ident.read(work)


def show(ident: Identity, ctx: RequestContext, res: Resource, item_id: str, base: str) -> dict:
    ident.check(ctx, res.read_rule)
    return ident.read(lambda s: res.view(_get(s, res, item_id), base))


def update(ident: Identity, ctx: RequestContext, res: Resource, item_id: str,
           body: dict[str, Any], base: str) -> dict:
    ident.check(ctx, res.write_rule)

    def work(s: Session) -> dict:
        row = _get(s, res, item_id)
        if res.prepare:
            res.prepare(s, body, row)
        apply_extra(row, {k: v for k, v in body.items() if k != "id"}, res.columns)
        store.bump_generation(s)
        return res.view(row, base)
    return ident.write(work)


def delete(ident: Identity, ctx: RequestContext, res: Resource, item_id: str) -> None:
    ident.check(ctx, res.write_rule)

    def work(s: Session) -> None:
        row = _get(s, res, item_id)
        if res.on_delete:
            res.on_delete(s, row)
        s.delete(row)
        store.bump_generation(s)
    ident.write(work)

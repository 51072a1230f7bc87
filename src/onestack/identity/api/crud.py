"""Create / list / show / update / delete for the identity resources whose behaviour is
plain storage of attributes (regions, services, endpoints, policies, consumers, …)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.db import new_id
from onestack.core.errors import not_found
from onestack.core.http import Call, Reply, RouteTable
from onestack.identity import schemas, views
from onestack.identity.api.common import Identity, apply_extra, bool_query, self_url, v3
from onestack.identity.service import store


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
    prepare: Callable[[Session, dict, Any | None, Call], None] | None = None  # checks, defaults
    client_ids: bool = False  # the create body may name the id
    on_delete: Callable[[Session, Any], None] | None = None
    defaults: dict[str, Any] = field(default_factory=dict)


def add_crud(r: RouteTable, ident: Identity, res: Resource) -> None:
    kind = res.kind or res.member

    def get(s: Session, ident_: str) -> Any:
        row = s.get(res.model, ident_)
        if row is None:
            raise not_found(kind, ident_)
        return row

    @r.post(res.path)
    def create(call: Call) -> Reply:
        body = schemas.validate(res.create_schema, call.body(res.member))
        ident.enforce(call, res.write_rule)

        def work(s: Session) -> dict:
            if res.prepare:
                res.prepare(s, body, None, call)
            row_id = body.get("id") if res.client_ids and body.get("id") else new_id()
            if res.client_ids and s.get(res.model, row_id) is not None:
                from onestack.core.errors import conflict
                raise conflict(kind, f"Duplicate ID, {row_id}")
            row = res.model(id=row_id, **res.defaults)
            if hasattr(row, "extra"):
                row.extra = {}
            apply_extra(row, body, res.columns)
            s.add(row)
            s.flush()
            store.bump_generation(s)
            return res.view(row, v3(call))
        return Reply(201, {res.member: ident.write(work)})

    @r.get(res.path)
    def list_(call: Call) -> Reply:
        ident.enforce(call, res.read_rule)

        def work(s: Session) -> list[dict]:
            q = sa.select(res.model)
            for name in res.filters:
                value = call.q(name)
                if value is None:
                    continue
                column = getattr(res.model, name)
                if isinstance(column.type, sa.Boolean):
                    q = q.where(column.is_(bool_query(call, name)))
                else:
                    q = q.where(column == value)
            return [res.view(x, v3(call)) for x in s.scalars(q.order_by(res.model.id))]
        return Reply(200, views.collection(res.plural, ident.read(work), self_url(call)))

    member_path = res.path + "/{item_id}"

    @r.get(member_path)
    def show(call: Call) -> Reply:
        ident.enforce(call, res.read_rule)
        return Reply(200, {res.member: ident.read(
            lambda s: res.view(get(s, call.params["item_id"]), v3(call)))})

    @r.patch(member_path)
    def update(call: Call) -> Reply:
        body = schemas.validate(res.update_schema, call.body(res.member))
        ident.enforce(call, res.write_rule)

        def work(s: Session) -> dict:
            row = get(s, call.params["item_id"])
            if res.prepare:
                res.prepare(s, body, row, call)
            apply_extra(row, {k: v for k, v in body.items() if k != "id"}, res.columns)
            store.bump_generation(s)
            return res.view(row, v3(call))
        return Reply(200, {res.member: ident.write(work)})

    @r.delete(member_path)
    def delete(call: Call) -> Reply:
        ident.enforce(call, res.write_rule)

        def work(s: Session) -> None:
            row = get(s, call.params["item_id"])
            if res.on_delete:
                res.on_delete(s, row)
            s.delete(row)
            store.bump_generation(s)
        ident.write(work)
        return Reply(204)

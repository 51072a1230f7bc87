"""Routes for the plain-storage identity resources (``service.resources.Resource``)."""
from __future__ import annotations

from functools import partial

from onestack.core.http import Call, Reply, RouteTable
from onestack.identity import schemas, views
from onestack.identity.api.common import Identity, self_url, v3
from onestack.identity.service import resources
from onestack.identity.service.resources import Resource

__all__ = ["Resource", "add_crud"]


def create(ident: Identity, res: Resource, call: Call) -> Reply:
    body = schemas.validate(res.create_schema, call.body(res.member))
    return Reply(201, {res.member: resources.create(ident, call.ctx, res, body, v3(call))})


def list_(ident: Identity, res: Resource, call: Call) -> Reply:
    items = resources.list_(ident, call.ctx, res, call.query, v3(call))
    return Reply(200, views.collection(res.plural, items, self_url(call)))


def show(ident: Identity, res: Resource, call: Call) -> Reply:
    return Reply(200, {res.member: resources.show(ident, call.ctx, res,
                                                  call.params["item_id"], v3(call))})


def update(ident: Identity, res: Resource, call: Call) -> Reply:
    body = schemas.validate(res.update_schema, call.body(res.member))
    return Reply(200, {res.member: resources.update(ident, call.ctx, res,
                                                    call.params["item_id"], body, v3(call))})


def delete(ident: Identity, res: Resource, call: Call) -> Reply:
    resources.delete(ident, call.ctx, res, call.params["item_id"])
    return Reply(204)


def add_crud(r: RouteTable, ident: Identity, res: Resource) -> None:
    member = res.path + "/{item_id}"
    for method, path, handler in (("POST", res.path, create), ("GET", res.path, list_),
                                  ("GET", member, show), ("PATCH", member, update),
                                  ("DELETE", member, delete)):
        r.add(method, path, partial(handler, ident, res))

"""Routes of traits and resource classes."""
from __future__ import annotations

from onestack.core.http import Call, Reply, RouteTable
from onestack.placement import schemas
from onestack.placement.api.common import Placement, reply, table, version
from onestack.core.errors import BadRequest


def class_view(name: str) -> dict:
    return {"name": name, "links": [{"rel": "self",
                                     "href": f"/placement/resource_classes/{name}"}]}


def list_traits(p: Placement, call: Call) -> Reply:
    return reply(call, 200, {"traits": p.vocabulary.traits(call.ctx, call.q("name"))})


def show_trait(p: Placement, call: Call) -> Reply:
    p.vocabulary.trait_exists(call.ctx, call.params["name"])
    return reply(call, 204)


def put_trait(p: Placement, call: Call) -> Reply:
    name = call.params["name"]
    status = p.vocabulary.put_trait(call.ctx, name)
    return reply(call, status, None, {"Location": f"/placement/traits/{name}"})


def delete_trait(p: Placement, call: Call) -> Reply:
    p.vocabulary.delete_trait(call.ctx, call.params["name"])
    return reply(call, 204)


def list_classes(p: Placement, call: Call) -> Reply:
    names = p.vocabulary.classes(call.ctx)
    return reply(call, 200, {"resource_classes": [class_view(n) for n in names]})


def create_class(p: Placement, call: Call) -> Reply:
    name = schemas.validate(schemas.RESOURCE_CLASS, call.json)["name"]
    p.vocabulary.create_class(call.ctx, name)
    return reply(call, 201, None, {"Location": f"/placement/resource_classes/{name}"})


def show_class(p: Placement, call: Call) -> Reply:
    p.vocabulary.class_exists(call.ctx, call.params["name"])
    return reply(call, 200, class_view(call.params["name"]))


def put_class(p: Placement, call: Call) -> Reply:
    if version(call) < (1, 7):
        raise BadRequest("Updating a resource class needs microversion 1.7.")
    name = call.params["name"]
    status = p.vocabulary.put_class(call.ctx, name)
    return reply(call, status, None, {"Location": f"/placement/resource_classes/{name}"})


def delete_class(p: Placement, call: Call) -> Reply:
    p.vocabulary.delete_class(call.ctx, call.params["name"])
    return reply(call, 204)


ROUTES = [
    ("GET", "/traits", list_traits),
    ("GET", "/traits/{name}", show_trait),
    ("PUT", "/traits/{name}", put_trait),
    ("DELETE", "/traits/{name}", delete_trait),
    ("GET", "/resource_classes", list_classes),
    ("POST", "/resource_classes", create_class),
    ("GET", "/resource_classes/{name}", show_class),
    ("PUT", "/resource_classes/{name}", put_class),
    ("DELETE", "/resource_classes/{name}", delete_class),
]


def routes(p: Placement) -> RouteTable:
    return table(p, ROUTES)

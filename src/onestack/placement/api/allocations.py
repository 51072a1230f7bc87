"""Routes of allocations, project usages and allocation candidates."""
from __future__ import annotations

from typing import Any

from onestack.core.errors import BadRequest
from onestack.core.http import Call, Reply, RouteTable
from onestack.placement import schemas
from onestack.placement.allocations import ConsumerWrite
from onestack.placement.api.common import (Placement, Version, parse_resources,
                                           positive_int, reply, since, table, version)


def consumer_write(consumer: str, body: Any, v: Version) -> ConsumerWrite:
    """A validated body of one consumer, as the microversion shapes it."""
    body = schemas.validate(schemas.allocations_body(v), body)
    raw = body["allocations"]
    if v < (1, 12):
        allocations = {item["resource_provider"]["uuid"]: dict(item["resources"])
                       for item in raw}
    else:
        allocations = {uuid: dict(item["resources"]) for uuid, item in raw.items()}
    if not allocations and v < (1, 28):
        raise BadRequest("'allocations' must name at least one resource provider")
    return ConsumerWrite(consumer, allocations, body.get("project_id", ""),
                         body.get("user_id", ""), body.get("consumer_generation"),
                         check_generation=v >= (1, 28))


def show_allocations(p: Placement, call: Call) -> Reply:
    body = p.allocations.of_consumer(call.ctx, call.params["consumer"])
    v = version(call)
    if v < (1, 28):
        body.pop("consumer_generation", None)
    elif body["consumer_generation"] is None:
        body.pop("consumer_generation")
    if v < (1, 12):
        body.pop("project_id", None)
        body.pop("user_id", None)
    return reply(call, 200, body)


def put_allocations(p: Placement, call: Call) -> Reply:
    write = consumer_write(call.params["consumer"], call.json, version(call))
    p.allocations.replace(call.ctx, [write], "allocations:update")
    return reply(call, 204)


def post_allocations(p: Placement, call: Call) -> Reply:
    v = since(call, (1, 13))
    body = call.body()
    writes = []
    for consumer, item in body.items():
        if not isinstance(item, dict):
            raise BadRequest(f"The allocations of consumer {consumer} must be an object")
        writes.append(consumer_write(consumer, item, max(v, (1, 12))))
    p.allocations.replace(call.ctx, writes, "allocations:manage")
    return reply(call, 204)


def delete_allocations(p: Placement, call: Call) -> Reply:
    p.allocations.delete(call.ctx, call.params["consumer"])
    return reply(call, 204)


def provider_allocations(p: Placement, call: Call) -> Reply:
    return reply(call, 200, p.allocations.of_provider(call.ctx, call.params["uuid"]))


def project_usages(p: Placement, call: Call) -> Reply:
    project = call.q("project_id")
    if not project:
        raise BadRequest("'project_id' is a required parameter")
    usages = p.providers.project_usages(call.ctx, project, call.q("user_id"))
    return reply(call, 200, {"usages": usages})


def candidates(p: Placement, call: Call) -> Reply:
    v = since(call, (1, 10))
    wanted = parse_resources(call.q("resources") or "")
    if not wanted:
        raise BadRequest("'resources' is a required parameter")
    required = [t for t in (call.q("required") or "").split(",") if t]
    limit = positive_int(call, "limit")
    return reply(call, 200, p.allocations.candidates(call.ctx, wanted, required, limit,
                                                     with_traits=v >= (1, 17)))


ROUTES = [
    ("GET", "/allocations/{consumer}", show_allocations),
    ("PUT", "/allocations/{consumer}", put_allocations),
    ("DELETE", "/allocations/{consumer}", delete_allocations),
    ("POST", "/allocations", post_allocations),
    ("GET", "/resource_providers/{uuid}/allocations", provider_allocations),
    ("GET", "/usages", project_usages),
    ("GET", "/allocation_candidates", candidates),
]


def routes(p: Placement) -> RouteTable:
    return table(p, ROUTES)

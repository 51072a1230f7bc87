"""Routes of resource providers and what hangs off them: inventories, usages, traits,
aggregates. Parse, call ``Providers``, render."""
from __future__ import annotations

from typing import Any

from onestack.core.http import Call, Reply, RouteTable
from onestack.placement import models as pm
from onestack.placement import schemas
from onestack.placement.api.common import (Placement, Version, parse_resources, reply, since,
                                           table, version)

RP = "/resource_providers/{uuid}"


def provider_view(rp: pm.ResourceProvider, v: Version) -> dict[str, Any]:
    base = f"/placement/resource_providers/{rp.uuid}"
    links = [{"rel": "self", "href": base},
             {"rel": "inventories", "href": base + "/inventories"},
             {"rel": "usages", "href": base + "/usages"}]
    body = {"uuid": rp.uuid, "name": rp.name, "generation": rp.generation, "links": links}
    if v >= (1, 14):
        body["parent_provider_uuid"] = rp.parent_uuid
        body["root_provider_uuid"] = rp.root_uuid or rp.uuid
    return body


def list_providers(p: Placement, call: Call) -> Reply:
    filters = {k: call.q(k) for k in ("name", "uuid", "in_tree") if call.q(k)}
    wanted = parse_resources(call.q("resources")) if call.q("resources") else None
    rows = p.providers.list(call.ctx, filters, wanted)
    v = version(call)
    return reply(call, 200, {"resource_providers": [provider_view(rp, v) for rp in rows]})


def create_provider(p: Placement, call: Call) -> Reply:
    body = schemas.validate(schemas.PROVIDER_CREATE, call.json)
    rp = p.providers.create(call.ctx, body["name"], body.get("uuid"),
                            body.get("parent_provider_uuid"))
    location = {"Location": f"/placement/resource_providers/{rp.uuid}"}
    if version(call) >= (1, 20):
        return reply(call, 200, provider_view(rp, version(call)), location)
    return reply(call, 201, None, location)


def show_provider(p: Placement, call: Call) -> Reply:
    rp = p.providers.show(call.ctx, call.params["uuid"])
    return reply(call, 200, provider_view(rp, version(call)))


def update_provider(p: Placement, call: Call) -> Reply:
    body = schemas.validate(schemas.PROVIDER_UPDATE, call.json)
    rp = p.providers.update(call.ctx, call.params["uuid"], body)
    return reply(call, 200, provider_view(rp, version(call)))


def delete_provider(p: Placement, call: Call) -> Reply:
    p.providers.delete(call.ctx, call.params["uuid"])
    return reply(call, 204)


def list_inventories(p: Placement, call: Call) -> Reply:
    return reply(call, 200, p.providers.inventories(call.ctx, call.params["uuid"]))


def replace_inventories(p: Placement, call: Call) -> Reply:
    body = schemas.validate(schemas.INVENTORIES, call.json)
    return reply(call, 200, p.providers.replace_inventories(
        call.ctx, call.params["uuid"], body["resource_provider_generation"],
        body["inventories"]))


def delete_inventories(p: Placement, call: Call) -> Reply:
    since(call, (1, 5))
    p.providers.delete_inventories(call.ctx, call.params["uuid"])
    return reply(call, 204)


def show_inventory(p: Placement, call: Call) -> Reply:
    return reply(call, 200, p.providers.inventory(call.ctx, call.params["uuid"],
                                                  call.params["rc"]))


def update_inventory(p: Placement, call: Call) -> Reply:
    body = schemas.validate(schemas.INVENTORY_PUT, call.json)
    return reply(call, 200, p.providers.set_inventory(call.ctx, call.params["uuid"],
                                                      call.params["rc"], body))


def delete_inventory(p: Placement, call: Call) -> Reply:
    p.providers.delete_inventory(call.ctx, call.params["uuid"], call.params["rc"])
    return reply(call, 204)


def provider_usages(p: Placement, call: Call) -> Reply:
    return reply(call, 200, p.providers.provider_usages(call.ctx, call.params["uuid"]))


def provider_traits(p: Placement, call: Call) -> Reply:
    generation, traits = p.providers.traits(call.ctx, call.params["uuid"])
    return reply(call, 200, {"resource_provider_generation": generation, "traits": traits})


def set_provider_traits(p: Placement, call: Call) -> Reply:
    body = schemas.validate(schemas.TRAITS_PUT, call.json)
    generation, traits = p.providers.set_traits(
        call.ctx, call.params["uuid"], body["resource_provider_generation"], body["traits"])
    return reply(call, 200, {"resource_provider_generation": generation, "traits": traits})


def clear_provider_traits(p: Placement, call: Call) -> Reply:
    p.providers.clear_traits(call.ctx, call.params["uuid"])
    return reply(call, 204)


def provider_aggregates(p: Placement, call: Call) -> Reply:
    generation, aggregates = p.providers.aggregates(call.ctx, call.params["uuid"])
    if version(call) < (1, 19):
        return reply(call, 200, {"aggregates": aggregates})
    return reply(call, 200, {"resource_provider_generation": generation,
                             "aggregates": aggregates})


def set_provider_aggregates(p: Placement, call: Call) -> Reply:
    if version(call) >= (1, 19):
        body = schemas.validate(schemas.AGGREGATES, call.json)
        generation, aggregates = body["resource_provider_generation"], body["aggregates"]
    else:
        aggregates, generation = schemas.validate(schemas.AGGREGATES_OLD, call.json), None
    new_generation, aggregates = p.providers.set_aggregates(
        call.ctx, call.params["uuid"], generation, aggregates)
    if version(call) < (1, 19):
        return reply(call, 200, {"aggregates": aggregates})
    return reply(call, 200, {"resource_provider_generation": new_generation,
                             "aggregates": aggregates})


ROUTES = [
    ("GET", "/resource_providers", list_providers),
    ("POST", "/resource_providers", create_provider),
    ("GET", RP, show_provider),
    ("PUT", RP, update_provider),
    ("DELETE", RP, delete_provider),
    ("GET", RP + "/inventories", list_inventories),
    ("PUT", RP + "/inventories", replace_inventories),
    ("DELETE", RP + "/inventories", delete_inventories),
    ("GET", RP + "/inventories/{rc}", show_inventory),
    ("PUT", RP + "/inventories/{rc}", update_inventory),
    ("DELETE", RP + "/inventories/{rc}", delete_inventory),
    ("GET", RP + "/usages", provider_usages),
    ("GET", RP + "/traits", provider_traits),
    ("PUT", RP + "/traits", set_provider_traits),
    ("DELETE", RP + "/traits", clear_provider_traits),
    ("GET", RP + "/aggregates", provider_aggregates),
    ("PUT", RP + "/aggregates", set_provider_aggregates),
]


def routes(p: Placement) -> RouteTable:
    return table(p, ROUTES)

"""Host aggregates (``os-aggregates``): CRUD and the add_host / remove_host / set_metadata
actions; the zone rules live in ``compute.service.aggregates``."""
from __future__ import annotations

from typing import Any

from onestack.compute import models as cm
from onestack.compute import schemas
from onestack.compute.api import params
from onestack.compute.api.common import Compute, iso_micro
from onestack.compute.service import aggregates as service
from onestack.compute.service.aggregates import AZ_KEY
from onestack.core.http import Call, Reply, RouteTable

_AZ = {"type": ["string", "null"], "minLength": 1, "maxLength": 255,
       "pattern": r"^(?!\s)[^:]*(?<!\s)$"}
CREATE = {"type": "object", "properties": {"aggregate": {
    "type": "object", "properties": {"name": params.NAME, AZ_KEY: _AZ},
    "required": ["name"], "additionalProperties": False}},
    "required": ["aggregate"], "additionalProperties": False}
UPDATE = {"type": "object", "properties": {"aggregate": {
    "type": "object", "properties": {"name": params.NAME, AZ_KEY: _AZ},
    "anyOf": [{"required": ["name"]}, {"required": [AZ_KEY]}],
    "additionalProperties": False}},
    "required": ["aggregate"], "additionalProperties": False}
_HOST = {"type": "object", "properties": {"host": params.NAME}, "required": ["host"],
         "additionalProperties": False}
_METADATA = {"type": "object", "properties": {"metadata": {
    "type": "object", "patternProperties": {params.METADATA_KEY: {
        "type": ["string", "null"], "maxLength": 255}},
    "additionalProperties": False}}, "required": ["metadata"], "additionalProperties": False}
ACTION = {"type": "object", "properties": {"add_host": _HOST, "remove_host": _HOST,
                                           "set_metadata": _METADATA},
          "minProperties": 1, "maxProperties": 1, "additionalProperties": False}


def aggregate_view(agg: cm.Aggregate, version: tuple[int, int],
                   full: bool = True) -> dict[str, Any]:
    """``full`` adds hosts and metadata (the create answer has neither)."""
    meta = dict(agg.metadata_ or {})
    out: dict[str, Any] = {"id": agg.id, "name": agg.name,
                           "availability_zone": meta.get(AZ_KEY),
                           "created_at": iso_micro(agg.created_at),
                           "updated_at": iso_micro(agg.updated_at),
                           "deleted": False, "deleted_at": None}
    if full:
        out["hosts"] = list(agg.hosts or [])
        out["metadata"] = meta
    if version >= (2, 41):
        out["uuid"] = agg.uuid
    return out


def routes(compute: Compute) -> RouteTable:
    r = RouteTable()
    deps = compute.deps
    base = "/v2.1/os-aggregates"

    @r.get(base)
    def index(call: Call) -> Reply:
        v = compute.version(call)
        rows = service.list_aggregates(deps, call.ctx)
        return compute.reply(call, 200, {"aggregates": [aggregate_view(a, v) for a in rows]})

    @r.post(base)
    def create(call: Call) -> Reply:
        v = compute.version(call)
        deps.enforce(call.ctx, service.RULE + "create")
        body = schemas.validate(CREATE, call.body())["aggregate"]
        agg = service.create_aggregate(deps, call.ctx, body["name"], body.get(AZ_KEY))
        return compute.reply(call, 200, {"aggregate": aggregate_view(agg, v, full=False)})

    @r.get(base + "/{aggregate_id}")
    def show(call: Call) -> Reply:
        v = compute.version(call)
        agg = service.get_aggregate(deps, call.ctx, call.params["aggregate_id"])
        return compute.reply(call, 200, {"aggregate": aggregate_view(agg, v)})

    @r.put(base + "/{aggregate_id}")
    def update(call: Call) -> Reply:
        v = compute.version(call)
        deps.enforce(call.ctx, service.RULE + "update")
        body = schemas.validate(UPDATE, call.body())["aggregate"]
        agg = service.update_aggregate(deps, call.ctx, call.params["aggregate_id"], body)
        return compute.reply(call, 200, {"aggregate": aggregate_view(agg, v)})

    @r.delete(base + "/{aggregate_id}")
    def delete(call: Call) -> Reply:
        service.delete_aggregate(deps, call.ctx, call.params["aggregate_id"])
        return compute.reply(call, 200)

    @r.post(base + "/{aggregate_id}/action")
    def action(call: Call) -> Reply:
        v = compute.version(call)
        body = call.body()
        name = next(iter(body), "")
        service.authorize_action(deps, call.ctx, name)
        body = schemas.validate(ACTION, body)
        agg = service.run_action(deps, call.ctx, call.params["aggregate_id"], name, body[name])
        return compute.reply(call, 200, {"aggregate": aggregate_view(agg, v)})

    return r

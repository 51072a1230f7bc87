"""Server groups (``os-server-groups``): list, show, create, delete. One policy per group:
``affinity`` / ``anti-affinity``, the ``soft-`` variants from 2.15; shown as ``policies: [p]``
and ``metadata`` before 2.64, as ``policy`` and ``rules`` from 2.64; project and user ids from
2.13. Members are the group's live servers (the scheduler reads the same rows)."""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from onestack.compute import models as cm
from onestack.compute import schemas
from onestack.compute.api import params
from onestack.compute.api.common import Compute
from onestack.compute.service import server_groups as service
from onestack.core.errors import BadRequest
from onestack.core.http import Call, Reply, RouteTable

HARD = ["affinity", "anti-affinity"]
SOFT = ["soft-affinity", "soft-anti-affinity"]


@lru_cache(maxsize=None)
def create_schema(version: tuple[int, int]) -> dict[str, Any]:
    """The create body of ``version`` (one schema object per microversion: do not mutate)."""
    choices = HARD + SOFT if version >= (2, 15) else HARD
    if version >= (2, 64):
        fields: dict[str, Any] = {
            "name": params.NAME, "policy": {"type": "string", "enum": choices},
            "rules": {"type": "object", "properties": {
                "max_server_per_host": params.POSITIVE_INT}, "additionalProperties": False}}
        required = ["name", "policy"]
    else:
        fields = {"name": params.NAME, "policies": {
            "type": "array", "items": {"type": "string", "enum": choices},
            "minItems": 1, "maxItems": 1, "uniqueItems": True}}
        required = ["name", "policies"]
    return {"type": "object", "properties": {"server_group": {
        "type": "object", "properties": fields, "required": required,
        "additionalProperties": False}},
        "required": ["server_group"], "additionalProperties": False}


def group_view(g: cm.ServerGroup, members: list[str], version: tuple[int, int]
               ) -> dict[str, Any]:
    out: dict[str, Any] = {"id": g.id, "name": g.name, "members": members}
    if version >= (2, 64):
        out["policy"] = g.policy
        out["rules"] = dict(g.rules or {})
    else:
        out["policies"] = [g.policy]
        out["metadata"] = {}
    if version >= (2, 13):
        out["project_id"] = g.project_id
        out["user_id"] = g.user_id
    return out


def parse_create(body: dict[str, Any], version: tuple[int, int]
                 ) -> tuple[str, str, dict[str, Any]]:
    """(name, policy, rules) of a validated create body; rules only for anti-affinity."""
    policy = body["policy"] if version >= (2, 64) else body["policies"][0]
    rules: dict[str, Any] = {}
    if body.get("rules"):
        if policy != "anti-affinity":
            raise BadRequest("Only anti-affinity policy supports rules.")
        rules = {k: params.to_int(val, k, 1) for k, val in body["rules"].items()}
    return body["name"], policy, rules


def routes(compute: Compute) -> RouteTable:
    r = RouteTable()
    deps = compute.deps
    base = "/v2.1/os-server-groups"

    @r.get(base)
    def index(call: Call) -> Reply:
        v = compute.version(call)
        limit, _ = params.limit_marker(call)
        offset = params.to_int(call.q("offset") or 0, "offset", 0)
        every = params.to_bool(call.q("all_projects") or False)
        found = service.list_groups(deps, call.ctx, every, offset, limit)
        return compute.reply(call, 200, {"server_groups": [
            group_view(g.row, g.members, v) for g in found]})

    @r.get(base + "/{group_id}")
    def show(call: Call) -> Reply:
        v = compute.version(call)
        g = service.show_group(deps, call.ctx, call.params["group_id"])
        return compute.reply(call, 200, {"server_group": group_view(g.row, g.members, v)})

    @r.post(base)
    def create(call: Call) -> Reply:
        v = compute.version(call)
        service.authorize_create(deps, call.ctx)
        body = schemas.validate(create_schema(v), call.body())["server_group"]
        g = service.create_group(deps, call.ctx, *parse_create(body, v))
        return compute.reply(call, 200, {"server_group": group_view(g.row, g.members, v)})

    @r.delete(base + "/{group_id}")
    def delete(call: Call) -> Reply:
        service.delete_group(deps, call.ctx, call.params["group_id"])
        return compute.reply(call, 204)

    return r

"""Server groups (``os-server-groups``): list, show, create, delete. One policy per group:
``affinity`` / ``anti-affinity``, the ``soft-`` variants from 2.15; shown as ``policies: [p]``
and ``metadata`` before 2.64, as ``policy`` and ``rules`` from 2.64; project and user ids from
2.13. Members are the group's live servers (the scheduler reads the same rows)."""
from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.compute import models as cm
from onestack.compute import quotas, schemas
from onestack.compute.api import params
from onestack.compute.api.common import Compute
from onestack.core.errors import BadRequest, Forbidden, NotFound
from onestack.core.http import Call, Reply, RouteTable

READER = "role:admin or (role:reader and project_id:%(target.project_id)s)"
MEMBER = "role:admin or (role:member and project_id:%(target.project_id)s)"
RULES = [
    ("os_compute_api:os-server-groups:index", "role:reader or role:admin"),
    ("os_compute_api:os-server-groups:index:all_projects", "role:admin"),
    ("os_compute_api:os-server-groups:show", READER),
    ("os_compute_api:os-server-groups:create", MEMBER),
    ("os_compute_api:os-server-groups:delete", MEMBER),
]
HARD = ["affinity", "anti-affinity"]
SOFT = ["soft-affinity", "soft-anti-affinity"]


def create_schema(version: tuple[int, int]) -> dict[str, Any]:
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


def live_members(s: Session, groups: list[cm.ServerGroup]) -> dict[str, list[str]]:
    """group id → its members that are still servers."""
    wanted = {m for g in groups for m in (g.members or [])}
    alive = set(s.scalars(sa.select(cm.Instance.id).where(
        cm.Instance.id.in_(wanted), cm.Instance.deleted.is_(False)))) if wanted else set()
    return {g.id: [m for m in (g.members or []) if m in alive] for g in groups}


def routes(compute: Compute) -> RouteTable:
    compute.platform.policy.register(RULES)
    r = RouteTable()
    base = "/v2.1/os-server-groups"

    def get(s: Session, call: Call, rule: str) -> cm.ServerGroup:
        g = s.get(cm.ServerGroup, call.params["group_id"])
        if g is None:
            raise NotFound(f"Instance group {call.params['group_id']} could not be found.")
        compute.enforce(call, rule, {"project_id": g.project_id})
        return g

    @r.get(base)
    def index(call: Call) -> Reply:
        v = compute.version(call)
        compute.enforce(call, "os_compute_api:os-server-groups:index")
        every = params.to_bool(call.q("all_projects") or False) and compute.allowed(
            call, "os_compute_api:os-server-groups:index:all_projects")
        limit, _ = params.limit_marker(call)
        offset = params.to_int(call.q("offset") or 0, "offset", 0)

        def work(s: Session) -> list[dict[str, Any]]:
            q = sa.select(cm.ServerGroup).order_by(cm.ServerGroup.name, cm.ServerGroup.id)
            if not every:
                q = q.where(cm.ServerGroup.project_id == call.ctx.project_id)
            groups = list(s.scalars(q))[offset:offset + limit]
            members = live_members(s, groups)
            return [group_view(g, members[g.id], v) for g in groups]
        return compute.reply(call, 200, {"server_groups": compute.read(work)})

    @r.get(base + "/{group_id}")
    def show(call: Call) -> Reply:
        v = compute.version(call)

        def work(s: Session) -> dict[str, Any]:
            g = get(s, call, "os_compute_api:os-server-groups:show")
            return group_view(g, live_members(s, [g])[g.id], v)
        return compute.reply(call, 200, {"server_group": compute.read(work)})

    @r.post(base)
    def create(call: Call) -> Reply:
        v = compute.version(call)
        project_id, user_id = call.ctx.project_id, call.ctx.user_id
        compute.enforce(call, "os_compute_api:os-server-groups:create",
                        {"project_id": project_id})
        body = schemas.validate(create_schema(v), call.body())["server_group"]
        policy = body["policy"] if v >= (2, 64) else body["policies"][0]
        rules: dict[str, Any] = {}
        if body.get("rules"):
            if policy != "anti-affinity":
                raise BadRequest("Only anti-affinity policy supports rules.")
            rules = {k: params.to_int(val, k, 1) for k, val in body["rules"].items()}

        def work(s: Session) -> cm.ServerGroup:
            limit = quotas.limits_for(s, project_id, user_id)["server_groups"]
            count = s.scalar(sa.select(sa.func.count()).select_from(cm.ServerGroup).where(
                cm.ServerGroup.project_id == project_id)) or 0
            if 0 <= limit <= count:
                raise Forbidden("Quota exceeded, too many server groups.")
            g = cm.ServerGroup(id=str(uuid.uuid4()), name=body["name"], project_id=project_id,
                               user_id=user_id, policy=policy, rules=rules, members=[])
            s.add(g)
            return g
        g = compute.write(work)
        return compute.reply(call, 200, {"server_group": group_view(g, [], v)})

    @r.delete(base + "/{group_id}")
    def delete(call: Call) -> Reply:
        def work(s: Session) -> None:
            s.delete(get(s, call, "os_compute_api:os-server-groups:delete"))
        compute.write(work)
        return compute.reply(call, 204)

    return r

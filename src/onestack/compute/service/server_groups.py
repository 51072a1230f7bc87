"""Server group use cases: list (the caller's project, every project for an admin who
asks), show, create (within the ``server_groups`` quota) and delete. Members are the
group's live servers, read from the same rows the scheduler reads."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.compute import models as cm
from onestack.compute import quotas
from onestack.compute.service.deps import ResourceDeps
from onestack.core.context import RequestContext
from onestack.core.errors import Forbidden, NotFound

RULE = "os_compute_api:os-server-groups:"


@dataclass
class Group:
    """A server group with its live members."""

    row: cm.ServerGroup
    members: list[str] = field(default_factory=list)


def live_members(s: Session, groups: list[cm.ServerGroup]) -> dict[str, list[str]]:
    """group id → its members that are still servers."""
    wanted = {m for g in groups for m in (g.members or [])}
    alive = set(s.scalars(sa.select(cm.Instance.id).where(
        cm.Instance.id.in_(wanted), cm.Instance.deleted.is_(False)))) if wanted else set()
    return {g.id: [m for m in (g.members or []) if m in alive] for g in groups}


def _get(deps: ResourceDeps, s: Session, ctx: RequestContext, group_id: str,
         rule: str) -> cm.ServerGroup:
    """The group, checked against ``rule``: another project's group that the rule does not
    open to the caller is a 404 (it is not shown to exist), one's own a 403."""
    g = s.get(cm.ServerGroup, group_id)
    target = {"project_id": g.project_id} if g is not None else {}
    if g is None or (g.project_id != ctx.project_id
                     and not deps.allowed(ctx, RULE + rule, target)):
        raise NotFound(f"Instance group {group_id} could not be found.")
    deps.enforce(ctx, RULE + rule, target)
    return g


def list_groups(deps: ResourceDeps, ctx: RequestContext, all_projects: bool, offset: int,
                limit: int) -> list[Group]:
    """A page of groups by name; ``all_projects`` counts only for callers allowed it."""
    deps.enforce(ctx, RULE + "index")
    every = all_projects and deps.allowed(ctx, RULE + "index:all_projects")

    def work(s: Session) -> list[Group]:
        q = sa.select(cm.ServerGroup).order_by(cm.ServerGroup.name, cm.ServerGroup.id)
        if not every:
            q = q.where(cm.ServerGroup.project_id == ctx.project_id)
        groups = list(s.scalars(q.offset(offset).limit(limit)))
        members = live_members(s, groups)
        return [Group(g, members[g.id]) for g in groups]
    return deps.read(work)


def show_group(deps: ResourceDeps, ctx: RequestContext, group_id: str) -> Group:
    def work(s: Session) -> Group:
        g = _get(deps, s, ctx, group_id, "show")
        return Group(g, live_members(s, [g])[g.id])
    return deps.read(work)


def authorize_create(deps: ResourceDeps, ctx: RequestContext) -> None:
    """403 before the body is read when the caller may not create groups."""
    deps.enforce(ctx, RULE + "create", {"project_id": ctx.project_id})


def create_group(deps: ResourceDeps, ctx: RequestContext, name: str, policy: str,
                 rules: dict[str, Any]) -> Group:
    authorize_create(deps, ctx)
    project_id, user_id = ctx.project_id, ctx.user_id

    def work(s: Session) -> Group:
        limit = quotas.limits_for(s, project_id, user_id)["server_groups"]
        count = s.scalar(sa.select(sa.func.count()).select_from(cm.ServerGroup).where(
            cm.ServerGroup.project_id == project_id)) or 0
        if 0 <= limit <= count:
            raise Forbidden("Quota exceeded, too many server groups.")
        g = cm.ServerGroup(id=str(uuid.uuid4()), name=name, project_id=project_id,
                           user_id=user_id, policy=policy, rules=rules, members=[])
        s.add(g)
        return Group(g)
    return deps.write(work)


def delete_group(deps: ResourceDeps, ctx: RequestContext, group_id: str) -> None:
    deps.write(lambda s: s.delete(_get(deps, s, ctx, group_id, "delete")))

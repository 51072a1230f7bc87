"""Role grants of a user or group on a project, a domain or the system (optionally inherited
to a domain's or project's subtree), and the role assignment listing."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.context import RequestContext
from onestack.core.errors import Forbidden, NotFound
from onestack.identity import models as m
from onestack.identity import views
from onestack.identity.service import assignments as asg
from onestack.identity.service import store
from onestack.identity.service.container import Identity
from onestack.identity.service.role_listing import list_assignments


@dataclass(frozen=True)
class Grant:
    """Who (``actor``: user or group) holds what on which target (project, domain, system)."""

    target: str
    actor: str
    inherited: bool
    target_id: str
    actor_id: str

    @property
    def kind(self) -> str:
        return asg.kind_for(self.actor, self.target)


def _check_refs(s: Session, g: Grant) -> None:
    """404 for a missing target or actor."""
    if g.target == "project":
        store.get_project(s, g.target_id)
    elif g.target == "domain":
        store.get_domain(s, g.target_id)
    (store.get_user if g.actor == "user" else store.get_group)(s, g.actor_id)


def _check_role(s: Session, g: Grant, role_id: str) -> None:
    role = store.get_role(s, role_id)
    if role.domain_id != m.GLOBAL_ROLE and g.target == "project":
        project = s.get(m.Project, g.target_id)
        if project.domain_id != role.domain_id:
            raise Forbidden("Domain-specific roles may only be granted within their domain.")


def _missing(role_id: str) -> NotFound:
    return NotFound(f"Could not find role assignment with role: {role_id}.")


def grant(ident: Identity, ctx: RequestContext, g: Grant, role_id: str) -> None:
    ident.check(ctx, "identity:manage_grants")

    def work(s: Session) -> None:
        _check_refs(s, g)
        _check_role(s, g, role_id)
        asg.grant(s, g.kind, g.actor_id, g.target_id, role_id, g.inherited)
    ident.write(work)


def check(ident: Identity, ctx: RequestContext, g: Grant, role_id: str) -> None:
    ident.check(ctx, "identity:list_grants")

    def work(s: Session) -> None:
        _check_refs(s, g)
        _check_role(s, g, role_id)
        if not asg.has_grant(s, g.kind, g.actor_id, g.target_id, role_id, g.inherited):
            raise _missing(role_id)
    ident.read(work)


def revoke(ident: Identity, ctx: RequestContext, g: Grant, role_id: str) -> None:
    ident.check(ctx, "identity:manage_grants")

    def work(s: Session) -> None:
        _check_refs(s, g)
        _check_role(s, g, role_id)
        if not asg.ungrant(s, g.kind, g.actor_id, g.target_id, role_id, g.inherited):
            raise _missing(role_id)
    ident.write(work)


def roles_of(ident: Identity, ctx: RequestContext, g: Grant, base: str) -> list[dict]:
    ident.check(ctx, "identity:list_grants")

    def work(s: Session) -> list[dict]:
        _check_refs(s, g)
        rows = s.scalars(sa.select(m.Role).join(
            m.Assignment, m.Assignment.role_id == m.Role.id).where(
            m.Assignment.kind == g.kind, m.Assignment.actor_id == g.actor_id,
            m.Assignment.target_id == g.target_id,
            m.Assignment.inherited.is_(g.inherited)).order_by(m.Role.name))
        return [views.role(x, base) for x in rows]
    return ident.read(work)


def assignments(ident: Identity, ctx: RequestContext, query: Mapping[str, str],
                base: str) -> list[dict]:
    ident.check(ctx, "identity:list_role_assignments",
                {"domain_id": query.get("scope.domain.id") or ctx.domain_id or None})
    # a domain reader sees its own domain only
    domain = None if ident.may(ctx, "identity:read_admin_resource") else ctx.domain_id
    return ident.read(lambda s: list_assignments(s, query, base, domain))

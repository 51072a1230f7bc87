"""Groups and their members; a group lives in one domain."""
from __future__ import annotations

from typing import Any, Callable, Mapping, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.context import RequestContext
from onestack.core.db import new_id
from onestack.core.errors import BadRequest, conflict, not_found
from onestack.identity import models as m
from onestack.identity import views
from onestack.identity.service import store
from onestack.identity.service.attrs import apply_extra
from onestack.identity.service.container import Identity
from onestack.identity.service.filters import text_filters

T = TypeVar("T")
GROUP_COLUMNS = {"name", "description"}


def target(g: m.Group) -> dict[str, Any]:
    return {"group": {"id": g.id, "domain_id": g.domain_id}}


def create(ident: Identity, ctx: RequestContext, body: dict[str, Any], base: str) -> dict:
    domain_id = body.get("domain_id") or ctx.domain_id or ctx.project_domain_id or "default"
    ident.check(ctx, "identity:manage_group", {"group": {"domain_id": domain_id}})

    def work(s: Session) -> dict:
        store.get_domain(s, domain_id)
        if s.scalar(sa.select(m.Group.id).where(m.Group.domain_id == domain_id,
                                                m.Group.name == body["name"])):
            raise conflict("group", f"Duplicate entry found with name {body['name']}")
        g = m.Group(id=new_id(), domain_id=domain_id, extra={})
        apply_extra(g, {k: v for k, v in body.items() if k != "domain_id"}, GROUP_COLUMNS)
        s.add(g)
        return views.group(g, base)
    return ident.write(work)


def list_(ident: Identity, ctx: RequestContext, query: Mapping[str, str], base: str
          ) -> list[dict]:
    ident.check(ctx, "identity:list_groups", {"domain_id": query.get("domain_id")
                                              or ctx.domain_id or None})
    scoped = None if ident.may(ctx, "identity:read_admin_resource") else ctx.domain_id

    def work(s: Session) -> list[dict]:
        q = sa.select(m.Group)
        if scoped:
            q = q.where(m.Group.domain_id == scoped)
        for name in ("name", "domain_id"):
            if query.get(name) is not None:
                q = q.where(getattr(m.Group, name) == query[name])
        q = text_filters(s, q, query, {"name": m.Group.name})
        return [views.group(g, base) for g in s.scalars(q.order_by(m.Group.name))]
    return ident.read(work)


def show(ident: Identity, ctx: RequestContext, group_id: str, base: str) -> dict:
    def work(s: Session) -> dict:
        g = store.get_group(s, group_id)
        ident.check(ctx, "identity:get_group", target(g))
        return views.group(g, base)
    return ident.read(work)


def update(ident: Identity, ctx: RequestContext, group_id: str, body: dict[str, Any],
           base: str) -> dict:
    def work(s: Session) -> dict:
        g = store.get_group(s, group_id)
        ident.check(ctx, "identity:manage_group", target(g))
        if "domain_id" in body and body["domain_id"] != g.domain_id:
            raise BadRequest("Update of `domain_id` is not allowed.")
        apply_extra(g, {k: v for k, v in body.items() if k != "domain_id"}, GROUP_COLUMNS)
        return views.group(g, base)
    return ident.write(work)


def delete(ident: Identity, ctx: RequestContext, group_id: str) -> None:
    def work(s: Session) -> None:
        g = store.get_group(s, group_id)
        ident.check(ctx, "identity:manage_group", target(g))
        s.execute(sa.delete(m.Assignment).where(m.Assignment.actor_id == g.id))
        s.execute(sa.delete(m.Membership).where(m.Membership.group_id == g.id))
        s.delete(g)
        store.bump_generation(s)
    ident.write(work)


def members(ident: Identity, ctx: RequestContext, group_id: str, base: str) -> list[dict]:
    def work(s: Session) -> list[dict]:
        g = store.get_group(s, group_id)
        ident.check(ctx, "identity:get_group", target(g))
        rows = s.scalars(sa.select(m.User).join(
            m.Membership, m.Membership.user_id == m.User.id).where(
            m.Membership.group_id == g.id).order_by(m.User.name))
        return [views.user(u, base) for u in rows]
    return ident.read(work)


def _membership(ident: Identity, ctx: RequestContext, group_id: str, user_id: str,
                rule: str, fn: Callable[[Session, m.Group, m.User], T], write: bool) -> T:
    def work(s: Session) -> T:
        g = store.get_group(s, group_id)
        u = store.get_user(s, user_id)
        ident.check(ctx, rule, target(g))
        return fn(s, g, u)
    return ident.write(work) if write else ident.read(work)


def add_member(ident: Identity, ctx: RequestContext, group_id: str, user_id: str) -> None:
    def fn(s: Session, g: m.Group, u: m.User) -> None:
        if s.get(m.Membership, (u.id, g.id)) is None:
            s.add(m.Membership(user_id=u.id, group_id=g.id))
        store.bump_generation(s)
    _membership(ident, ctx, group_id, user_id, "identity:manage_group", fn, True)


def check_member(ident: Identity, ctx: RequestContext, group_id: str, user_id: str) -> None:
    def fn(s: Session, g: m.Group, u: m.User) -> None:
        if s.get(m.Membership, (u.id, g.id)) is None:
            raise not_found("membership", f"user {u.id} in group {g.id}")
    _membership(ident, ctx, group_id, user_id, "identity:get_group", fn, False)


def remove_member(ident: Identity, ctx: RequestContext, group_id: str, user_id: str) -> None:
    def fn(s: Session, g: m.Group, u: m.User) -> None:
        row = s.get(m.Membership, (u.id, g.id))
        if row is None:
            raise not_found("membership", f"user {u.id} in group {g.id}")
        s.delete(row)
        store.bump_generation(s)
    _membership(ident, ctx, group_id, user_id, "identity:manage_group", fn, True)

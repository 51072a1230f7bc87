"""Domains: projects with ``is_domain`` set, owning projects, users, groups and roles. Deleting
one takes everything in it; it must be disabled first, as Keystone requires."""
from __future__ import annotations

from typing import Any, Mapping

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.context import RequestContext
from onestack.core.db import new_id
from onestack.core.errors import Forbidden, conflict
from onestack.identity import models as m
from onestack.identity import views
from onestack.identity.service import store
from onestack.identity.service.attrs import apply_extra
from onestack.identity.service.container import Identity
from onestack.identity.service.filters import parse_bool, text_filters

PROJECT_COLUMNS = {"name", "description", "enabled", "options"}
_NOT_ATTRS = ("tags", "explicit_domain_id", "domain_id", "parent_id", "is_domain")


def domain_name_taken(s: Session, name: str, exclude: str = "") -> bool:
    q = sa.select(m.Project.id).where(m.Project.is_domain.is_(True), m.Project.name == name)
    return any(pid != exclude for pid in s.scalars(q))


def create_domain_row(s: Session, body: dict[str, Any], domain_id: str | None = None
                      ) -> m.Project:
    """A new domain row (tags included); 409 when the name or the id is taken."""
    if domain_name_taken(s, body["name"]):
        raise conflict("domain", f"Duplicate entry found with name {body['name']}")
    d = m.Project(id=domain_id or body.get("explicit_domain_id") or new_id(),
                  domain_id=m.ROOT_DOMAIN, is_domain=True, parent_id=None, enabled=True,
                  extra={}, options={})
    apply_extra(d, {k: v for k, v in body.items() if k not in _NOT_ATTRS}, PROJECT_COLUMNS)
    if s.get(m.Project, d.id) is not None:
        raise conflict("domain", f"Duplicate ID, {d.id}")
    s.add(d)
    s.flush()
    store.set_tags(s, d.id, body.get("tags") or [])
    store.bump_generation(s)
    return d


def delete_domain_contents(s: Session, domain_id: str) -> None:
    """Remove everything that lives in a domain (projects, users, groups, domain roles)."""
    project_ids = list(s.scalars(sa.select(m.Project.id).where(
        m.Project.domain_id == domain_id, m.Project.is_domain.is_(False))))
    user_ids = list(s.scalars(sa.select(m.User.id).where(m.User.domain_id == domain_id)))
    group_ids = list(s.scalars(sa.select(m.Group.id).where(m.Group.domain_id == domain_id)))
    targets = project_ids + [domain_id]
    s.execute(sa.delete(m.Assignment).where(m.Assignment.target_id.in_(targets)))
    actors = user_ids + group_ids
    if actors:
        s.execute(sa.delete(m.Assignment).where(m.Assignment.actor_id.in_(actors)))
    s.execute(sa.delete(m.ProjectTag).where(m.ProjectTag.project_id.in_(targets)))
    s.execute(sa.delete(m.Project).where(m.Project.id.in_(project_ids)))
    s.execute(sa.delete(m.Membership).where(m.Membership.user_id.in_(user_ids)))
    s.execute(sa.delete(m.Membership).where(m.Membership.group_id.in_(group_ids)))
    s.execute(sa.delete(m.User).where(m.User.domain_id == domain_id))
    s.execute(sa.delete(m.Group).where(m.Group.domain_id == domain_id))
    s.execute(sa.delete(m.Role).where(m.Role.domain_id == domain_id))


def tag_filter(q: sa.Select, query: Mapping[str, str]) -> sa.Select:
    """Keystone's ``tags``, ``tags-any``, ``not-tags`` and ``not-tags-any`` filters."""
    for name in ("tags", "tags-any", "not-tags", "not-tags-any"):
        value = query.get(name)
        if value is None:
            continue
        tags = [t for t in value.split(",") if t]
        has = [sa.exists().where(m.ProjectTag.project_id == m.Project.id,
                                 m.ProjectTag.name == t) for t in tags]
        if name == "tags":
            q = q.where(*has)
        elif name == "tags-any":
            q = q.where(sa.or_(*has))
        elif name == "not-tags":
            q = q.where(sa.not_(sa.and_(*has)))
        else:
            q = q.where(sa.not_(sa.or_(*has)))
    return q


def create(ident: Identity, ctx: RequestContext, body: dict[str, Any], base: str) -> dict:
    ident.check(ctx, "identity:manage_domain")

    def work(s: Session) -> dict:
        d = create_domain_row(s, body)
        return views.domain(d, store.tags_of(s, d.id), base)
    return ident.write(work)


def list_(ident: Identity, ctx: RequestContext, query: Mapping[str, str], base: str
          ) -> list[dict]:
    ident.check(ctx, "identity:list_domains")

    def work(s: Session) -> list[dict]:
        q = sa.select(m.Project).where(m.Project.is_domain.is_(True))
        if query.get("name") is not None:
            q = q.where(m.Project.name == query["name"])
        q = text_filters(s, q, query, {"name": m.Project.name})
        enabled = parse_bool(query, "enabled")
        if enabled is not None:
            q = q.where(m.Project.enabled.is_(enabled))
        rows = list(s.scalars(tag_filter(q, query).order_by(m.Project.name)))
        tags = store.tags_by_project(s, [d.id for d in rows])
        return [views.domain(d, tags[d.id], base) for d in rows]
    return ident.read(work)


def show(ident: Identity, ctx: RequestContext, domain_id: str, base: str) -> dict:
    ident.check(ctx, "identity:get_domain", {"domain": {"id": domain_id}})

    def work(s: Session) -> dict:
        d = store.get_domain(s, domain_id)
        return views.domain(d, store.tags_of(s, d.id), base)
    return ident.read(work)


def update(ident: Identity, ctx: RequestContext, domain_id: str, body: dict[str, Any],
           base: str) -> dict:
    ident.check(ctx, "identity:manage_domain")

    def work(s: Session) -> dict:
        d = store.get_domain(s, domain_id)
        if "name" in body and domain_name_taken(s, body["name"], d.id):
            raise conflict("domain", f"Duplicate entry found with name {body['name']}")
        was_enabled = d.enabled
        apply_extra(d, {k: v for k, v in body.items() if k != "tags"}, PROJECT_COLUMNS)
        if "tags" in body:
            store.set_tags(s, d.id, body["tags"])
        if was_enabled and not d.enabled:
            store.revoke(s, domain_id=d.id)
        store.bump_generation(s)
        return views.domain(d, store.tags_of(s, d.id), base)
    return ident.write(work)


def delete(ident: Identity, ctx: RequestContext, domain_id: str) -> None:
    ident.check(ctx, "identity:manage_domain")

    def work(s: Session) -> None:
        d = store.get_domain(s, domain_id)
        if d.enabled:
            raise Forbidden("Cannot delete a domain that is enabled, please disable it first.")
        delete_domain_contents(s, d.id)
        s.delete(d)
        store.revoke(s, domain_id=d.id)
    ident.write(work)

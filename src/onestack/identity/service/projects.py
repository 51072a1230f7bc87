"""Projects: a hierarchy inside a domain, with tags. A project created with ``is_domain`` is a
domain; only leaves may be deleted."""
from __future__ import annotations

from typing import Any, Callable, Mapping, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.context import RequestContext
from onestack.core.db import new_id
from onestack.core.errors import BadRequest, Forbidden, NotFound, conflict, not_found
from onestack.identity import models as m
from onestack.identity import views
from onestack.identity.service import store
from onestack.identity.service.attrs import apply_extra
from onestack.identity.service.container import Identity
from onestack.identity.service.domains import (PROJECT_COLUMNS, create_domain_row,
                                               delete_domain_contents, domain_name_taken,
                                               tag_filter)
from onestack.identity.service.filters import parse_bool, text_filters

T = TypeVar("T")
_NOT_ATTRS = ("tags", "domain_id", "parent_id", "is_domain")
MAX_TAGS = 80


def _name_taken(s: Session, domain_id: str, name: str, exclude: str = "") -> bool:
    q = sa.select(m.Project.id).where(m.Project.domain_id == domain_id, m.Project.name == name)
    return any(pid != exclude for pid in s.scalars(q))


def target(p: m.Project) -> dict[str, Any]:
    return {"project": {"id": p.id, "domain_id": p.domain_id}}


def _get_any(s: Session, project_id: str) -> m.Project:
    p = s.get(m.Project, project_id)
    if p is None:
        raise not_found("project", project_id)
    return p


def _project_domain(s: Session, body: dict[str, Any], domain_id: str) -> str:
    """The domain the new project lands in: its parent's, which must agree with the body."""
    parent_id = body.get("parent_id")
    if not parent_id:
        return domain_id
    parent = _get_any(s, parent_id)
    parent_domain = parent.id if parent.is_domain else parent.domain_id
    if body.get("domain_id") and body["domain_id"] != parent_domain:
        raise BadRequest("Cannot create project, the parent is in a different domain.")
    return parent_domain


def create(ident: Identity, ctx: RequestContext, body: dict[str, Any], base: str) -> dict:
    domain_id = body.get("domain_id") or ctx.domain_id or ctx.project_domain_id or "default"
    ident.check(ctx, "identity:create_project", {"project": {"domain_id": domain_id}})

    def work(s: Session) -> dict:
        if body.get("is_domain"):
            d = create_domain_row(s, body)
            return views.project(d, store.tags_of(s, d.id), base)
        dom = _project_domain(s, body, domain_id)
        domain = s.get(m.Project, dom)
        if domain is None or not domain.is_domain:
            raise not_found("domain", dom)
        if _name_taken(s, dom, body["name"]):
            raise conflict("project", f"Duplicate entry found with name {body['name']} "
                           f"at domain ID {dom}")
        p = m.Project(id=new_id(), domain_id=dom, parent_id=body.get("parent_id") or dom,
                      is_domain=False, enabled=True, extra={}, options={})
        apply_extra(p, {k: v for k, v in body.items() if k not in _NOT_ATTRS}, PROJECT_COLUMNS)
        s.add(p)
        s.flush()
        store.set_tags(s, p.id, body.get("tags") or [])
        store.bump_generation(s)
        return views.project(p, store.tags_of(s, p.id), base)
    return ident.write(work)


def list_json(ident: Identity, ctx: RequestContext, query: Mapping[str, str], base: str,
              url: str) -> bytes:
    """The rendered collection, memoised per identity generation (a hot path of every
    client's start-up)."""
    domain_filter = query.get("domain_id")
    ident.check(ctx, "identity:list_projects", {"domain_id": domain_filter or ctx.domain_id
                                                or None})
    scoped = None if ident.may(ctx, "identity:read_admin_resource") else ctx.domain_id

    def work(s: Session) -> list[dict]:
        is_domain = parse_bool(query, "is_domain")
        q = sa.select(m.Project).where(m.Project.is_domain.is_(bool(is_domain)))
        for name in ("name", "domain_id", "parent_id"):
            if query.get(name) is not None:
                q = q.where(getattr(m.Project, name) == query[name])
        q = text_filters(s, q, query, {"name": m.Project.name})
        if scoped:
            q = q.where(m.Project.domain_id == scoped)
        enabled = parse_bool(query, "enabled")
        if enabled is not None:
            q = q.where(m.Project.enabled.is_(enabled))
        rows = list(s.scalars(tag_filter(q, query).order_by(m.Project.name)))
        tags = store.tags_by_project(s, [p.id for p in rows])
        return [views.project(p, tags[p.id], base) for p in rows]
    key = ("projects", scoped, url)
    return ident.cached_json(key, lambda: views.collection("projects", ident.read(work), url))


def show(ident: Identity, ctx: RequestContext, project_id: str, base: str,
         flags: set[str]) -> dict:
    """One project; ``flags`` names the parents/subtree forms asked for."""
    def work(s: Session) -> dict:
        p = _get_any(s, project_id)
        ident.check(ctx, "identity:get_project", target(p))
        body = views.project(p, store.tags_of(s, p.id), base)
        if "parents_as_ids" in flags:
            body["parents"] = _nested([a.id for a in store.ancestors(s, p)])
        if "parents_as_list" in flags:
            body["parents"] = [{"project": views.project(a, store.tags_of(s, a.id), base)}
                               for a in store.ancestors(s, p)]
        if "subtree_as_ids" in flags:
            body["subtree"] = _subtree_ids(s, p.id)
        if "subtree_as_list" in flags:
            body["subtree"] = [{"project": views.project(s.get(m.Project, i),
                                                         store.tags_of(s, i), base)}
                               for i in store.subtree_ids(s, p.id)]
        return body
    return ident.read(work)


def _check_immutable(p: m.Project, body: dict[str, Any]) -> None:
    for attr in ("domain_id", "parent_id", "is_domain"):
        if attr in body and body[attr] != getattr(p, attr):
            raise BadRequest(f"Update of `{attr}` is not allowed.")


def update(ident: Identity, ctx: RequestContext, project_id: str, body: dict[str, Any],
           base: str) -> dict:
    def work(s: Session) -> dict:
        p = _get_any(s, project_id)
        ident.check(ctx, "identity:update_project", target(p))
        _check_immutable(p, body)
        if "name" in body and (domain_name_taken(s, body["name"], p.id) if p.is_domain
                               else _name_taken(s, p.domain_id, body["name"], p.id)):
            raise conflict("project", f"Duplicate entry found with name {body['name']}")
        was_enabled = p.enabled
        apply_extra(p, {k: v for k, v in body.items() if k not in _NOT_ATTRS}, PROJECT_COLUMNS)
        if "tags" in body:
            store.set_tags(s, p.id, body["tags"])
        if was_enabled and not p.enabled:
            store.revoke(s, **({"domain_id": p.id} if p.is_domain else {"project_id": p.id}))
        store.bump_generation(s)
        return views.project(p, store.tags_of(s, p.id), base)
    return ident.write(work)


def delete(ident: Identity, ctx: RequestContext, project_id: str) -> None:
    def work(s: Session) -> None:
        p = _get_any(s, project_id)
        ident.check(ctx, "identity:delete_project", target(p))
        if p.is_domain:
            if p.enabled:
                raise Forbidden("Cannot delete a domain that is enabled, please disable "
                                "it first.")
            delete_domain_contents(s, p.id)
        elif store.subtree_ids(s, p.id):
            raise Forbidden(f"Cannot delete the project {p.id} since it is not a leaf in "
                            "the hierarchy.")
        s.execute(sa.delete(m.Assignment).where(m.Assignment.target_id == p.id))
        s.execute(sa.delete(m.ProjectTag).where(m.ProjectTag.project_id == p.id))
        s.delete(p)
        store.revoke(s, project_id=p.id)
    ident.write(work)


# --- tags -------------------------------------------------------------------------------
def _tag_call(ident: Identity, ctx: RequestContext, project_id: str, write: bool,
              fn: Callable[[Session, m.Project], T]) -> T:
    def work(s: Session) -> T:
        p = store.get_project(s, project_id)
        ident.check(ctx, "identity:project_tags" if write else "identity:get_project_tags",
                    target(p))
        return fn(s, p)
    return ident.write(work) if write else ident.read(work)


def list_tags(ident: Identity, ctx: RequestContext, project_id: str) -> list[str]:
    return _tag_call(ident, ctx, project_id, False, lambda s, p: store.tags_of(s, p.id))


def replace_tags(ident: Identity, ctx: RequestContext, project_id: str,
                 tags: list[str]) -> list[str]:
    def fn(s: Session, p: m.Project) -> list[str]:
        store.set_tags(s, p.id, tags)
        return store.tags_of(s, p.id)
    return _tag_call(ident, ctx, project_id, True, fn)


def clear_tags(ident: Identity, ctx: RequestContext, project_id: str) -> None:
    _tag_call(ident, ctx, project_id, True, lambda s, p: store.set_tags(s, p.id, []))


def check_tag(ident: Identity, ctx: RequestContext, project_id: str, tag: str) -> None:
    if tag not in list_tags(ident, ctx, project_id):
        raise NotFound(f"Could not find project tag: {tag}.")


def add_tag(ident: Identity, ctx: RequestContext, project_id: str, tag: str) -> None:
    def fn(s: Session, p: m.Project) -> None:
        current = store.tags_of(s, p.id)
        if tag not in current:
            if len(current) >= MAX_TAGS:
                raise BadRequest(f"A project may carry at most {MAX_TAGS} tags.")
            s.add(m.ProjectTag(project_id=p.id, name=tag))
            store.bump_generation(s)
    _tag_call(ident, ctx, project_id, True, fn)


def remove_tag(ident: Identity, ctx: RequestContext, project_id: str, tag: str) -> None:
    def fn(s: Session, p: m.Project) -> None:
        if tag not in store.tags_of(s, p.id):
            raise NotFound(f"Could not find project tag: {tag}.")
        s.execute(sa.delete(m.ProjectTag).where(m.ProjectTag.project_id == p.id,
                                                m.ProjectTag.name == tag))
        store.bump_generation(s)
    _tag_call(ident, ctx, project_id, True, fn)


def _nested(ids: list[str]) -> dict[str, Any] | None:
    """Keystone's nested-dict form: ``{parent: {grandparent: None}}``."""
    out: dict[str, Any] | None = None
    for pid in reversed(ids):
        out = {pid: out}
    return out


def _subtree_ids(s: Session, project_id: str) -> dict[str, Any] | None:
    children = list(s.scalars(sa.select(m.Project.id).where(m.Project.parent_id == project_id,
                                                            m.Project.is_domain.is_(False))))
    if not children:
        return None
    return {c: _subtree_ids(s, c) for c in children}

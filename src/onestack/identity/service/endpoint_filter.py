"""OS-EP-FILTER: endpoints and endpoint groups associated with projects, which narrows the
catalog those projects' tokens carry."""
from __future__ import annotations

from typing import Any, Callable, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.context import RequestContext
from onestack.core.errors import NotFound, not_found
from onestack.identity import catalog_models as cm
from onestack.identity import models as m
from onestack.identity import views
from onestack.identity.service import store
from onestack.identity.service.catalog import filtered_endpoint_ids
from onestack.identity.service.container import Identity

T = TypeVar("T")
READ, WRITE = "identity:read_catalog", "identity:manage_catalog"
Key = tuple[str, str, str]  # (project_id, endpoint_id, endpoint_group_id)


def _run(ident: Identity, ctx: RequestContext, write: bool, fn: Callable[[Session], T]) -> T:
    ident.check(ctx, WRITE if write else READ)
    return ident.write(fn) if write else ident.read(fn)


def _need(s: Session, model: type, ident_: str, kind: str) -> Any:
    row = s.get(model, ident_)
    if row is None or (model is m.Project and row.is_domain):
        raise not_found(kind, ident_)
    return row


def project_endpoint_key(s: Session, project_id: str, endpoint_id: str) -> Key:
    _need(s, m.Project, project_id, "project")
    _need(s, cm.Endpoint, endpoint_id, "endpoint")
    return project_id, endpoint_id, ""


def group_project_key(s: Session, group_id: str, project_id: str) -> Key:
    _need(s, cm.EndpointGroup, group_id, "endpoint group")
    _need(s, m.Project, project_id, "project")
    return project_id, "", group_id


KeyFn = Callable[[Session], Key]


def associate(ident: Identity, ctx: RequestContext, key_fn: KeyFn) -> None:
    def fn(s: Session) -> None:
        key = key_fn(s)
        if s.get(cm.ProjectEndpoint, key) is None:
            s.add(cm.ProjectEndpoint(project_id=key[0], endpoint_id=key[1],
                                     endpoint_group_id=key[2]))
        store.bump_generation(s)
    _run(ident, ctx, True, fn)


def check(ident: Identity, ctx: RequestContext, key_fn: KeyFn) -> None:
    def fn(s: Session) -> None:
        if s.get(cm.ProjectEndpoint, key_fn(s)) is None:
            raise NotFound("Could not find the association.")
    _run(ident, ctx, False, fn)


def dissociate(ident: Identity, ctx: RequestContext, key_fn: KeyFn) -> None:
    def fn(s: Session) -> None:
        row = s.get(cm.ProjectEndpoint, key_fn(s))
        if row is None:
            raise NotFound("Could not find the association.")
        s.delete(row)
        store.bump_generation(s)
    _run(ident, ctx, True, fn)


def project_endpoints(ident: Identity, ctx: RequestContext, project_id: str,
                      base: str) -> list[dict]:
    def fn(s: Session) -> list[dict]:
        _need(s, m.Project, project_id, "project")
        ids = filtered_endpoint_ids(s, project_id) or set()
        rows = s.scalars(sa.select(cm.Endpoint).where(cm.Endpoint.id.in_(ids)))
        return [views.endpoint(e, base) for e in rows]
    return _run(ident, ctx, False, fn)


def _projects(s: Session, column: Any, value: str, base: str) -> list[dict]:
    ids = s.scalars(sa.select(cm.ProjectEndpoint.project_id).where(column == value)).all()
    found = (s.get(m.Project, i) for i in ids)
    return [views.project(p, store.tags_of(s, p.id), base) for p in found if p is not None]


def endpoint_projects(ident: Identity, ctx: RequestContext, endpoint_id: str,
                      base: str) -> list[dict]:
    def fn(s: Session) -> list[dict]:
        _need(s, cm.Endpoint, endpoint_id, "endpoint")
        return _projects(s, cm.ProjectEndpoint.endpoint_id, endpoint_id, base)
    return _run(ident, ctx, False, fn)


def group_projects(ident: Identity, ctx: RequestContext, group_id: str,
                   base: str) -> list[dict]:
    def fn(s: Session) -> list[dict]:
        _need(s, cm.EndpointGroup, group_id, "endpoint group")
        return _projects(s, cm.ProjectEndpoint.endpoint_group_id, group_id, base)
    return _run(ident, ctx, False, fn)


def group_endpoints(ident: Identity, ctx: RequestContext, group_id: str,
                    base: str) -> list[dict]:
    def fn(s: Session) -> list[dict]:
        group = _need(s, cm.EndpointGroup, group_id, "endpoint group")
        rows = s.scalars(sa.select(cm.Endpoint))
        return [views.endpoint(e, base) for e in rows
                if all(getattr(e, k, None) == v for k, v in (group.filters or {}).items())]
    return _run(ident, ctx, False, fn)


def project_groups(ident: Identity, ctx: RequestContext, project_id: str,
                   base: str) -> list[dict]:
    def fn(s: Session) -> list[dict]:
        _need(s, m.Project, project_id, "project")
        ids = [i for i in s.scalars(sa.select(cm.ProjectEndpoint.endpoint_group_id).where(
            cm.ProjectEndpoint.project_id == project_id)) if i]
        rows = s.scalars(sa.select(cm.EndpointGroup).where(cm.EndpointGroup.id.in_(ids)))
        return [views.endpoint_group(g, base) for g in rows]
    return _run(ident, ctx, False, fn)

"""Unified limits: registered limits (a service's default per resource and region) and the
project or domain limits that override them. A registered limit that limits refer to can be
neither updated nor deleted, and a limit needs a registered limit to override (403 both, as
Keystone answers), so no limit dangles."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.context import RequestContext
from onestack.core.db import new_id
from onestack.core.errors import BadRequest, Conflict, Forbidden, not_found
from onestack.identity import catalog_models as cm
from onestack.identity import models as m
from onestack.identity.service import store
from onestack.identity.service.container import Identity

MANAGE, READ = "identity:manage_limits", "identity:get_limit"
MODEL = {"name": "flat", "description": (
    "Limit enforcement and validation does not take project hierarchy into consideration.")}


def registered_limit_view(x: cm.RegisteredLimit, base: str) -> dict[str, Any]:
    return {"id": x.id, "service_id": x.service_id, "region_id": x.region_id,
            "resource_name": x.resource_name, "default_limit": x.default_limit,
            "description": x.description, "links": {"self": f"{base}/registered_limits/{x.id}"}}


def limit_view(x: cm.Limit, base: str) -> dict[str, Any]:
    return {"id": x.id, "project_id": x.project_id, "domain_id": x.domain_id,
            "service_id": x.service_id, "region_id": x.region_id,
            "resource_name": x.resource_name, "resource_limit": x.resource_limit,
            "description": x.description, "links": {"self": f"{base}/limits/{x.id}"}}


@dataclass(frozen=True)
class Kind:
    """Registered limits or limits: what the shared read/update/delete steps differ in."""

    model: type
    member: str
    view: Callable[[Any, str], dict]


REGISTERED = Kind(cm.RegisteredLimit, "registered_limit", registered_limit_view)
LIMIT = Kind(cm.Limit, "limit", limit_view)


def _check_refs(s: Session, item: dict) -> None:
    if s.get(cm.Service, item["service_id"]) is None:
        raise BadRequest(f"Invalid service_id {item['service_id']}")
    if item.get("region_id") and s.get(cm.Region, item["region_id"]) is None:
        raise BadRequest(f"Invalid region_id {item['region_id']}")


def create_registered(ident: Identity, ctx: RequestContext, items: list[dict],
                      base: str) -> list[dict]:
    ident.check(ctx, MANAGE)

    def work(s: Session) -> list[dict]:
        for item in items:
            _check_refs(s, item)
        out = []
        for item in items:
            if s.scalar(sa.select(cm.RegisteredLimit.id).where(*_same_reference(
                    cm.RegisteredLimit, item["service_id"], item.get("region_id"),
                    item["resource_name"])).limit(1)):
                raise Conflict("Duplicate registered limit.")
            x = cm.RegisteredLimit(id=new_id(), **item)
            s.add(x)
            out.append(registered_limit_view(x, base))
        return out
    return ident.write(work)


def create_limits(ident: Identity, ctx: RequestContext, items: list[dict],
                  base: str) -> list[dict]:
    ident.check(ctx, MANAGE)

    def work(s: Session) -> list[dict]:
        for item in items:  # as Keystone: every reference is checked before anything else
            _check_refs(s, item)
            if bool(item.get("project_id")) == bool(item.get("domain_id")):
                raise BadRequest("A limit names a project or a domain.")
            if item.get("project_id"):
                store.get_project(s, item["project_id"])
        out = []
        for item in items:
            if not s.scalar(sa.select(cm.RegisteredLimit.id).where(*_same_reference(
                    cm.RegisteredLimit, item["service_id"], item.get("region_id"),
                    item["resource_name"])).limit(1)):
                raise Forbidden("A limit needs a registered limit for the same service, "
                                "region and resource first.")
            if s.scalar(sa.select(cm.Limit.id).where(*_same_reference(
                    cm.Limit, item["service_id"], item.get("region_id"),
                    item["resource_name"]),
                    cm.Limit.project_id == item.get("project_id"),
                    cm.Limit.domain_id == item.get("domain_id")).limit(1)):
                raise Conflict("Duplicate limit.")
            x = cm.Limit(id=new_id(), **item)
            s.add(x)
            out.append(limit_view(x, base))
        return out
    return ident.write(work)


def list_(ident: Identity, ctx: RequestContext, kind: Kind, query: Mapping[str, str],
          base: str) -> list[dict]:
    ident.check(ctx, "identity:list_registered_limits" if kind is REGISTERED
                else "identity:list_limits")
    own_only = kind is LIMIT and not ident.may(ctx, "identity:read_admin_resource")

    def work(s: Session) -> list[dict]:
        q = sa.select(kind.model)
        for name in ("service_id", "region_id", "resource_name", "project_id", "domain_id"):
            if query.get(name) is not None and hasattr(kind.model, name):
                q = q.where(getattr(kind.model, name) == query[name])
        if own_only:
            q = q.where(cm.Limit.project_id == ctx.project_id)
        return [kind.view(x, base) for x in s.scalars(q)]
    return ident.read(work)


def _get(s: Session, kind: Kind, item_id: str) -> Any:
    x = s.get(kind.model, item_id)
    if x is None:
        raise not_found(kind.member.replace("_", " "), item_id)
    return x


def _target(s: Session, x: cm.Limit) -> dict[str, Any]:
    """What the read rule matches: the limit's project (and that project's domain) or
    domain."""
    project = s.get(m.Project, x.project_id) if x.project_id else None
    return {"limit": {"project_id": x.project_id, "domain": {"id": x.domain_id},
                      "project": {"domain_id": project.domain_id if project else None}}}


def show(ident: Identity, ctx: RequestContext, kind: Kind, item_id: str, base: str) -> dict:
    if kind is REGISTERED:  # a registered limit is a public default
        ident.check(ctx, "identity:get_registered_limit")
        return ident.read(lambda s: kind.view(_get(s, kind, item_id), base))

    def work(s: Session) -> dict:
        x = _get(s, kind, item_id)
        ident.check(ctx, READ, _target(s, x))
        return kind.view(x, base)
    return ident.read(work)


def _same_reference(model: type, service_id: str, region_id: str | None,
                    resource_name: str) -> list[Any]:
    """Conditions matching rows of ``model`` for this service, region and resource."""
    return [model.service_id == service_id, model.resource_name == resource_name,
            model.region_id.is_(None) if region_id is None else model.region_id == region_id]


def _in_use(s: Session, r: cm.RegisteredLimit) -> bool:
    """Whether any project or domain limit overrides this registered limit."""
    return bool(s.scalar(sa.select(cm.Limit.id).where(*_same_reference(
        cm.Limit, r.service_id, r.region_id, r.resource_name)).limit(1)))


def _refuse_in_use(r: cm.RegisteredLimit) -> Forbidden:
    return Forbidden(f"Registered limit {r.id} is referred to by project limits: it can be "
                     "neither updated nor deleted.")


def update(ident: Identity, ctx: RequestContext, kind: Kind, item_id: str,
           body: dict[str, Any], base: str) -> dict:
    ident.check(ctx, MANAGE)

    def work(s: Session) -> dict:
        x = _get(s, kind, item_id)
        if kind is REGISTERED and _in_use(s, x):
            raise _refuse_in_use(x)
        for k, v in body.items():
            setattr(x, k, v)
        return kind.view(x, base)
    return ident.write(work)


def delete(ident: Identity, ctx: RequestContext, kind: Kind, item_id: str) -> None:
    ident.check(ctx, MANAGE)

    def work(s: Session) -> None:
        x = _get(s, kind, item_id)
        if kind is REGISTERED and _in_use(s, x):
            raise _refuse_in_use(x)
        s.delete(x)
    ident.write(work)

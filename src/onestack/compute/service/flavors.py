"""Flavor use cases: list and show (a private flavor is seen by admins and the projects on
its access list; anyone else gets 404, as from Nova), create, describe (2.55), delete,
extra specs and the access list of private flavors."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.compute import models as cm
from onestack.compute.service.deps import ResourceDeps
from onestack.core.context import RequestContext
from onestack.core.errors import Conflict, NotFound

MANAGE = "os_compute_api:os-flavor-manage:"
SPECS = "os_compute_api:os-flavor-extra-specs:"
ACCESS = "os_compute_api:os-flavor-access"


@dataclass
class FlavorQuery:
    """List filters: ``is_public`` None means every flavor (admins only)."""

    is_public: bool | None = True
    min_ram: int | None = None
    min_disk: int | None = None


def sees_all(deps: ResourceDeps, ctx: RequestContext) -> bool:
    """Whether the caller sees private and disabled flavors and reads access lists."""
    return deps.allowed(ctx, ACCESS)


def reads_specs(deps: ResourceDeps, ctx: RequestContext) -> bool:
    """Whether flavor views show the caller ``extra_specs`` (2.61)."""
    return deps.allowed(ctx, SPECS + "index")


def flavor_not_found(flavor_id: str) -> NotFound:
    return NotFound(f"Flavor {flavor_id} could not be found.")


def visible(s: Session, f: cm.Flavor, project_id: str, admin: bool) -> bool:
    return admin or f.is_public or s.get(cm.FlavorAccess, (f.id, project_id)) is not None


def _find(s: Session, ctx: RequestContext, flavor_id: str, admin: bool) -> cm.Flavor:
    f = s.get(cm.Flavor, flavor_id)
    if f is None or not visible(s, f, ctx.project_id, admin):
        raise flavor_not_found(flavor_id)
    return f


def _keep(f: cm.Flavor, q: FlavorQuery, mine: set[str], admin: bool) -> bool:
    if q.is_public is True and not (f.is_public or f.id in mine):
        return False
    if q.is_public is False and f.is_public:
        return False
    if not admin and f.disabled:
        return False
    if q.min_ram is not None and f.ram < q.min_ram:
        return False
    return q.min_disk is None or f.disk >= q.min_disk


def list_flavors(deps: ResourceDeps, ctx: RequestContext, q: FlavorQuery) -> list[cm.Flavor]:
    """The flavors the caller may see that match ``q`` (unordered); only admins may ask
    for private flavors beside public ones."""
    admin = sees_all(deps, ctx)
    if not admin:
        q = FlavorQuery(True, q.min_ram, q.min_disk)

    def work(s: Session) -> list[cm.Flavor]:
        mine = set(s.scalars(sa.select(cm.FlavorAccess.flavor_id).where(
            cm.FlavorAccess.project_id == ctx.project_id)))
        return [f for f in s.scalars(sa.select(cm.Flavor)) if _keep(f, q, mine, admin)]
    return deps.read(work)


def get_flavor(deps: ResourceDeps, ctx: RequestContext, flavor_id: str,
               rule: str | None = None) -> cm.Flavor:
    """One flavor the caller can see (checking ``rule`` first when given)."""
    if rule:
        deps.enforce(ctx, rule)
    admin = sees_all(deps, ctx)
    return deps.read(lambda s: _find(s, ctx, flavor_id, admin))


def create_flavor(deps: ResourceDeps, ctx: RequestContext, f: cm.Flavor) -> cm.Flavor:
    """Store a new flavor row; 409 when its name or id is taken."""
    deps.enforce(ctx, MANAGE + "create")

    def work(s: Session) -> cm.Flavor:
        if s.scalar(sa.select(cm.Flavor.id).where(cm.Flavor.name == f.name)):
            raise Conflict(f"Flavor with name {f.name} already exists.")
        if s.get(cm.Flavor, f.id) is not None:
            raise Conflict(f"Flavor with ID {f.id} already exists.")
        s.add(f)
        return f
    return deps.write(work)


def describe_flavor(deps: ResourceDeps, ctx: RequestContext, flavor_id: str,
                    description: str | None) -> cm.Flavor:
    deps.enforce(ctx, MANAGE + "update")
    admin = sees_all(deps, ctx)

    def work(s: Session) -> cm.Flavor:
        f = _find(s, ctx, flavor_id, admin)
        f.description = description
        return f
    return deps.write(work)


def delete_flavor(deps: ResourceDeps, ctx: RequestContext, flavor_id: str) -> None:
    deps.enforce(ctx, MANAGE + "delete")
    admin = sees_all(deps, ctx)

    def work(s: Session) -> None:
        f = _find(s, ctx, flavor_id, admin)
        s.execute(sa.delete(cm.FlavorAccess).where(cm.FlavorAccess.flavor_id == f.id))
        s.delete(f)
    deps.write(work)


def set_specs(deps: ResourceDeps, ctx: RequestContext, flavor_id: str,
              specs: dict[str, str], rule: str) -> None:
    """Merge ``specs`` into the flavor's extra specs (``rule``: create or update)."""
    deps.enforce(ctx, SPECS + rule)
    admin = sees_all(deps, ctx)

    def work(s: Session) -> None:
        f = _find(s, ctx, flavor_id, admin)
        f.extra_specs = {**(f.extra_specs or {}), **specs}
    deps.write(work)


def delete_spec(deps: ResourceDeps, ctx: RequestContext, flavor_id: str, key: str) -> None:
    deps.enforce(ctx, SPECS + "delete")
    admin = sees_all(deps, ctx)

    def work(s: Session) -> None:
        f = _find(s, ctx, flavor_id, admin)
        specs = dict(f.extra_specs or {})
        if key not in specs:
            raise NotFound(f"Flavor {f.id} has no extra specs with key {key}.")
        del specs[key]
        f.extra_specs = specs
    deps.write(work)


def _access_list(s: Session, flavor_id: str) -> list[dict[str, Any]]:
    rows = s.scalars(sa.select(cm.FlavorAccess).where(cm.FlavorAccess.flavor_id == flavor_id)
                     .order_by(cm.FlavorAccess.project_id))
    return [{"flavor_id": a.flavor_id, "tenant_id": a.project_id} for a in rows]


def list_access(deps: ResourceDeps, ctx: RequestContext,
                flavor_id: str) -> list[dict[str, Any]]:
    """The projects a private flavor is shared with; 404 for a public flavor."""
    deps.enforce(ctx, ACCESS)
    admin = sees_all(deps, ctx)

    def work(s: Session) -> list[dict[str, Any]]:
        f = _find(s, ctx, flavor_id, admin)
        if f.is_public:
            raise NotFound("Access list not available for public flavors.")
        return _access_list(s, f.id)
    return deps.read(work)


def authorize_access_change(deps: ResourceDeps, ctx: RequestContext, action: str) -> None:
    """403 before the body is validated for a caller who may not change access lists."""
    if action == "addTenantAccess":
        deps.enforce(ctx, ACCESS + ":add_tenant_access")
    elif action == "removeTenantAccess":
        deps.enforce(ctx, ACCESS + ":remove_tenant_access")


def change_access(deps: ResourceDeps, ctx: RequestContext, flavor_id: str, action: str,
                  project_id: str, refuse_public: bool) -> list[dict[str, Any]]:
    """Add or remove ``project_id`` (``action``: addTenantAccess / removeTenantAccess);
    ``refuse_public``: adding to a public flavor is a 409 (from 2.7)."""
    authorize_access_change(deps, ctx, action)
    admin = sees_all(deps, ctx)

    def work(s: Session) -> list[dict[str, Any]]:
        f = _find(s, ctx, flavor_id, admin)
        row = s.get(cm.FlavorAccess, (f.id, project_id))
        if action == "addTenantAccess":
            if f.is_public and refuse_public:
                raise Conflict("Can not add access to a public flavor.")
            if row is not None:
                raise Conflict(f"Flavor access already exists for flavor {f.id} and "
                               f"project {project_id} combination.")
            s.add(cm.FlavorAccess(flavor_id=f.id, project_id=project_id))
        else:
            if row is None:
                raise NotFound(f"Flavor access not found for {f.id} / {project_id} "
                               "combination.")
            s.delete(row)
        s.flush()
        return _access_list(s, f.id)
    return deps.write(work)

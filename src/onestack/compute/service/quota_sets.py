"""Quota use cases: absolute limits and use (``/limits``), a project's (or a project user's)
quota set shown, updated and reset, and quota classes (``QuotaLimit`` rows of project
``class:<name>``; the ``default`` class is what every project starts from)."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.compute import models as cm
from onestack.compute import quotas
from onestack.compute.service.deps import ResourceDeps
from onestack.compute.service.projects import project_exists
from onestack.core.context import RequestContext
from onestack.core.errors import BadRequest

SETS = "os_compute_api:os-quota-sets:"
CLASSES = "os_compute_api:os-quota-class-sets:"


def class_limits(s: Session, name: str) -> dict[str, int]:
    """A quota class: the defaults, the ``default`` class, then the class's own rows."""
    out = quotas.limits_for(s, quotas.CLASS_PREFIX + "default")
    if name != "default":
        for row in s.scalars(sa.select(cm.QuotaLimit).where(
                cm.QuotaLimit.project_id == quotas.CLASS_PREFIX + name)):
            out[row.resource] = row.hard_limit
    return out


def store(s: Session, project_id: str, user_id: str, values: dict[str, int]) -> None:
    for resource, limit in values.items():
        row = s.get(cm.QuotaLimit, (project_id, user_id, resource))
        if row is None:
            s.add(cm.QuotaLimit(project_id=project_id, user_id=user_id, resource=resource,
                                hard_limit=limit))
        else:
            row.hard_limit = limit


def check_limits(values: dict[str, int], used: dict[str, int],
                 project_limits: dict[str, int] | None) -> None:
    """Nova's update checks: a limit below what is in use needs ``force``; a user's limit
    may not exceed its project's."""
    for resource, limit in values.items():
        in_use = used.get(resource, 0)
        if 0 <= limit < in_use:
            raise BadRequest(f"Quota limit {limit} for {resource} must be greater than or "
                             f"equal to already used and reserved {in_use}.")
        if project_limits is not None:
            top = project_limits.get(resource, -1)
            if top >= 0 and (limit < 0 or limit > top):
                raise BadRequest(f"Quota limit {limit} for {resource} must be less than or "
                                 f"equal to {top}.")


def limits_and_use(deps: ResourceDeps, ctx: RequestContext, project_id: str | None
                   ) -> tuple[dict[str, int], dict[str, int]]:
    """(limits, use) of the caller's project, or of ``project_id`` for an admin."""
    deps.enforce(ctx, "os_compute_api:limits")
    project_id = project_id or ctx.project_id
    if project_id != ctx.project_id:
        deps.enforce(ctx, "os_compute_api:limits:other_project", {"project_id": project_id})
    return deps.read(lambda s: (quotas.limits_for(s, project_id),
                                quotas.usage(s, project_id)))


def show(deps: ResourceDeps, ctx: RequestContext, project_id: str,
         user_id: str) -> dict[str, int]:
    deps.enforce(ctx, SETS + "show", {"project_id": project_id})
    return deps.read(lambda s: quotas.limits_for(s, project_id, user_id))


def defaults(deps: ResourceDeps, ctx: RequestContext) -> dict[str, int]:
    deps.enforce(ctx, SETS + "defaults")
    return deps.read(lambda s: class_limits(s, "default"))


def detail(deps: ResourceDeps, ctx: RequestContext, project_id: str,
           user_id: str) -> tuple[dict[str, int], dict[str, int]]:
    """(limits, use) of the project (or the project's user)."""
    deps.enforce(ctx, SETS + "detail", {"project_id": project_id})
    return deps.read(lambda s: (quotas.limits_for(s, project_id, user_id),
                                quotas.usage(s, project_id, user_id)))


def authorize_update(deps: ResourceDeps, ctx: RequestContext, project_id: str) -> None:
    """403 before the body is even read when the caller may not update the quotas."""
    deps.enforce(ctx, SETS + "update", {"project_id": project_id})


def update(deps: ResourceDeps, ctx: RequestContext, project_id: str, user_id: str,
           values: dict[str, int], force: bool) -> dict[str, int]:
    """Store new limits; 400 for a project identity does not know (as Nova asks Keystone)
    and, without ``force``, for limits below use. Returns the limits now in force."""
    authorize_update(deps, ctx, project_id)

    def work(s: Session) -> dict[str, int]:
        if not project_exists(s, project_id):
            raise BadRequest(f"Project ID {project_id} is not a valid project.")
        if not force:
            check_limits(values, quotas.usage(s, project_id, user_id),
                         quotas.limits_for(s, project_id) if user_id else None)
        store(s, project_id, user_id, values)
        s.flush()
        return quotas.limits_for(s, project_id, user_id)
    return deps.write(work)


def delete(deps: ResourceDeps, ctx: RequestContext, project_id: str, user_id: str) -> None:
    """Back to the defaults: the project's (or only its user's) own limits are dropped."""
    deps.enforce(ctx, SETS + "delete", {"project_id": project_id})

    def work(s: Session) -> None:
        q = sa.delete(cm.QuotaLimit).where(cm.QuotaLimit.project_id == project_id)
        if user_id:
            q = q.where(cm.QuotaLimit.user_id == user_id)
        s.execute(q)
    deps.write(work)


def show_class(deps: ResourceDeps, ctx: RequestContext, name: str) -> dict[str, int]:
    deps.enforce(ctx, CLASSES + "show")
    return deps.read(lambda s: class_limits(s, name))


def update_class(deps: ResourceDeps, ctx: RequestContext, name: str,
                 values: dict[str, Any]) -> dict[str, int]:
    deps.enforce(ctx, CLASSES + "update")

    def work(s: Session) -> dict[str, int]:
        store(s, quotas.CLASS_PREFIX + name, "", values)
        s.flush()
        return class_limits(s, name)
    return deps.write(work)

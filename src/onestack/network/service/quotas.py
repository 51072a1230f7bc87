"""Quotas: limits per project and resource (Neutron's defaults unless an admin set one),
usage counted from the resources' own tables, and the check every quota-counted create
makes (``Collection.quota`` names the resource).

The check is "lock the project's row, count, refuse when over": two API replicas creating
in the same project queue on that row, so a quota of N never becomes N+1. On MariaDB the
count is a locking read, so it sees rows committed while this transaction waited (a plain
read would use the snapshot taken at its first read).
"""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.context import RequestContext
from onestack.core.db import writes_serialized
from onestack.core.errors import BadRequest, Conflict
from onestack.network.models.quotas import Quota, QuotaLock
from onestack.network.resources.quotas import DEFAULTS, QUOTA
from onestack.network.service.engine import Collection

MAX_LIMIT = 2 ** 31 - 1


def over_quota(resources: list[str]) -> Conflict:
    return Conflict(f"Quota exceeded for resources: {resources}.", kind="OverQuota")


def lock_project(s: Session, project_id: str) -> None:
    """Hold the project's quota lock until the surrounding transaction ends."""
    if s.get(QuotaLock, project_id, with_for_update=True) is not None:
        return
    try:
        with s.begin_nested():  # a racing first create may insert it first: then wait on it
            s.add(QuotaLock(project_id=project_id))
    except sa.exc.IntegrityError:
        pass
    s.get(QuotaLock, project_id, with_for_update=True, populate_existing=True)


# Built once: a port create asks both on every request (a statement built per call costs
# more to construct than SQLite takes to run it).
ONE_LIMIT = sa.select(Quota.limit).where(Quota.project_id == sa.bindparam("project_id"),
                                         Quota.resource == sa.bindparam("resource"))
_COUNTS: dict[Any, Any] = {}


def _count_of(model: Any) -> Any:
    stmt = _COUNTS.get(model)
    if stmt is None:
        stmt = _COUNTS[model] = sa.select(sa.func.count()).select_from(model).where(
            model.project_id == sa.bindparam("project_id"))
    return stmt


def usage(s: Session, model: Any, project_id: str, *, locked: bool = False) -> int:
    """Rows of ``model`` owned by the project (``locked``: as of now, not the snapshot)."""
    if locked and s.get_bind().dialect.name in ("mysql", "mariadb"):
        return len(list(s.scalars(sa.select(model.id).where(
            model.project_id == project_id).with_for_update(read=True))))
    return int(s.scalar(_count_of(model), {"project_id": project_id}) or 0)


def check_limit(name: str, value: Any) -> int:
    if isinstance(value, bool):
        value = None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise BadRequest(f"Invalid input for {name}. Reason: '{value}' is not an integer.",
                         kind="HTTPBadRequest") from None
    if number < -1:
        raise BadRequest(f"Invalid input for {name}. Reason: '{number}' is too small - must "
                         "be at least '-1'.", kind="HTTPBadRequest")
    if number > MAX_LIMIT:
        raise BadRequest(f"Invalid input for {name}. Reason: '{number}' is too large - must "
                         f"be no larger than '{MAX_LIMIT}'.", kind="HTTPBadRequest")
    return number


class Quotas(Collection):
    """Registered as ``quotas``; the engine calls ``check`` on every counted create."""

    resource = QUOTA
    model = Quota

    # --- the engine's hook ---------------------------------------------------------------
    def check(self, s: Session, project_id: str, resource: str, model: Any) -> None:
        """409 OverQuota when one more ``resource`` would pass the project's limit."""
        limit = s.scalar(ONE_LIMIT, {"project_id": project_id, "resource": resource})
        if limit is None:
            limit = DEFAULTS.get(resource, -1)
        if limit < 0:
            return
        if not writes_serialized(s):  # SQLite's write transaction already excludes all
            lock_project(s, project_id)
        if usage(s, model, project_id, locked=True) + 1 > limit:
            raise over_quota([resource])

    # --- reading -------------------------------------------------------------------------
    def limits(self, s: Session, project_id: str) -> dict[str, int]:
        out = dict(DEFAULTS)
        for row in s.scalars(sa.select(Quota).where(Quota.project_id == project_id)):
            if row.resource in out:
                out[row.resource] = row.limit
        return out

    def used(self, s: Session, project_id: str) -> dict[str, int]:
        out = {name: 0 for name in DEFAULTS}
        for collection in self.deps.collections.values():
            name = getattr(collection, "quota", "")
            if name in out:
                out[name] += usage(s, collection.model, project_id)
        return out

    def _may_read(self, ctx: RequestContext, project_id: str) -> None:
        self.deps.policy.enforce("get_quota", ctx, {"project_id": project_id,
                                                    "tenant_id": project_id})

    def show_quota(self, ctx: RequestContext, project_id: str) -> dict[str, int]:
        self._may_read(ctx, project_id)
        return self.deps.db.read(lambda s: self.limits(s, project_id))

    def defaults(self, ctx: RequestContext, project_id: str) -> dict[str, int]:
        self._may_read(ctx, project_id)
        return dict(DEFAULTS)

    def details(self, ctx: RequestContext, project_id: str) -> dict[str, dict[str, int]]:
        self._may_read(ctx, project_id)

        def work(s: Session) -> dict[str, dict[str, int]]:
            limits, used = self.limits(s, project_id), self.used(s, project_id)
            return {name: {"limit": limits[name], "used": used[name], "reserved": 0}
                    for name in DEFAULTS}
        return self.deps.db.read(work)

    def list_quotas(self, ctx: RequestContext) -> list[dict[str, Any]]:
        """Every project with a limit of its own (admin only)."""
        self.deps.policy.enforce("get_quota", ctx, {"project_id": "", "tenant_id": ""})

        def work(s: Session) -> list[dict[str, Any]]:
            projects = sorted(set(s.scalars(sa.select(Quota.project_id).where(
                Quota.resource.in_(list(DEFAULTS))))))
            out = []
            for project in projects:
                item: dict[str, Any] = self.limits(s, project)
                item.update(project_id=project, tenant_id=project)
                out.append(item)
            return out
        return self.deps.db.read(work)

    # --- writing -------------------------------------------------------------------------
    def set_quota(self, ctx: RequestContext, project_id: str, body: Any) -> dict[str, int]:
        if not isinstance(body, dict):
            raise BadRequest("Invalid input for operation: quota must be an object.",
                             kind="InvalidInput")
        unknown = [k for k in body if k not in DEFAULTS]
        if unknown:
            raise BadRequest(f"Unrecognized attribute(s) '{', '.join(unknown)}'",
                             kind="HTTPBadRequest")
        wanted = {name: check_limit(name, value) for name, value in body.items()}
        self.deps.policy.enforce("update_quota", ctx, {"project_id": project_id,
                                                       "tenant_id": project_id})

        def work(s: Session) -> dict[str, int]:
            for name, limit in wanted.items():
                row = s.get(Quota, (project_id, name), with_for_update=True)
                if row is None:
                    s.add(Quota(project_id=project_id, resource=name, limit=limit))
                else:
                    row.limit = limit
            s.flush()
            return self.limits(s, project_id)
        return self.deps.db.write(work)

    def reset(self, ctx: RequestContext, project_id: str) -> None:
        self.deps.policy.enforce("delete_quota", ctx, {"project_id": project_id,
                                                       "tenant_id": project_id})
        self.deps.db.write(lambda s: s.execute(sa.delete(Quota).where(
            Quota.project_id == project_id)))

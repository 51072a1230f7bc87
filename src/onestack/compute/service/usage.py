"""``os-simple-tenant-usage`` use case: how many server-hours (and vCPU, RAM and disk hours)
each server used in a period, from the instance rows (deleted ones included while their
rows exist)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from onestack.compute import models as cm
from onestack.compute.service.deps import ResourceDeps
from onestack.core.context import RequestContext

RULE = "os_compute_api:os-simple-tenant-usage:"


@dataclass
class ServerUsage:
    inst: cm.Instance
    hours: float
    started: datetime
    ended: datetime | None

    def view(self, now: datetime) -> dict[str, Any]:
        f = self.inst.flavor or {}
        state = "terminated" if self.inst.deleted else self.inst.vm_state
        uptime = int(((self.ended or now) - self.started).total_seconds())
        return {"instance_id": self.inst.id, "name": self.inst.name, "hours": self.hours,
                "memory_mb": int(f.get("ram", 0)), "vcpus": int(f.get("vcpus", 0)),
                "local_gb": int(f.get("disk", 0)) + int(f.get("ephemeral", 0)),
                "tenant_id": self.inst.project_id, "flavor": str(f.get("name", "")),
                "started_at": self.started.isoformat(),
                "ended_at": self.ended.isoformat() if self.ended else None,
                "state": state, "uptime": uptime}


def server_usage(inst: cm.Instance, start: datetime, end: datetime) -> ServerUsage | None:
    """The server's part of the period, or None when its life misses the period."""
    started = inst.launched_at  # a server that never ran used nothing
    ended = inst.terminated_at or (inst.deleted_at if inst.deleted else None)
    if started is None or started > end or (ended is not None and ended < start):
        return None
    lo, hi = max(start, started), min(end, ended or end)
    hours = max((hi - lo).total_seconds(), 0) / 3600.0
    return ServerUsage(inst, hours, started, ended)


def server_usages(deps: ResourceDeps, ctx: RequestContext, project_id: str | None,
                  start: datetime, end: datetime) -> list[ServerUsage]:
    """Every server's use in the period (one project's for ``show``, all for ``list``), in
    creation order; servers whose life misses the period are left out."""
    if project_id is None:
        deps.enforce(ctx, RULE + "list")
    else:
        deps.enforce(ctx, RULE + "show", {"project_id": project_id})
    q = sa.select(cm.Instance).order_by(cm.Instance.created_at, cm.Instance.id)
    if project_id is not None:
        q = q.where(cm.Instance.project_id == project_id)
    rows = deps.read(lambda s: list(s.scalars(q)))
    return [u for u in (server_usage(i, start, end) for i in rows) if u is not None]

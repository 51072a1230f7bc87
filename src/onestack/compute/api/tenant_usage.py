"""``os-simple-tenant-usage``: how many server-hours (and vCPU, RAM and disk hours) each
project used in a period, from the instance rows (deleted ones included while their rows
exist). Paging over servers from 2.40."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from onestack.compute import models as cm
from onestack.compute.api import params
from onestack.compute.api.common import Compute
from onestack.core.db import utcnow
from onestack.core.errors import BadRequest, NotFound
from onestack.core.http import Call, Reply, RouteTable

RULES = [
    ("os_compute_api:os-simple-tenant-usage:list", "role:admin"),
    ("os_compute_api:os-simple-tenant-usage:show",
     "role:admin or (role:reader and project_id:%(target.project_id)s)"),
]
FORMATS = ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S.%f", "%Y-%m-%d %H:%M:%S.%f",
           "%Y-%m-%d %H:%M:%S")


def parse_time(value: str | None, name: str) -> datetime:
    """A ``start`` / ``end`` query value (naive UTC); absent means now."""
    if value is None:
        return utcnow()
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1]
    for fmt in FORMATS:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    raise BadRequest(f"Invalid {name} time {value}: use ISO 8601 (YYYY-MM-DDThh:mm:ss).")


def period(call: Call) -> tuple[datetime, datetime]:
    start = parse_time(call.q("start"), "start")
    end = parse_time(call.q("end"), "end")
    if start > end:
        raise BadRequest("Invalid start time. The start time cannot occur after the end time.")
    return start, end


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


def summary(project_id: str, usages: list[ServerUsage], start: datetime, end: datetime,
            detailed: bool, now: datetime) -> dict[str, Any]:
    out: dict[str, Any] = {"tenant_id": project_id, "start": start.isoformat(),
                           "stop": end.isoformat(), "total_hours": 0.0,
                           "total_vcpus_usage": 0.0, "total_memory_mb_usage": 0.0,
                           "total_local_gb_usage": 0.0}
    views = [u.view(now) for u in usages]
    for v in views:
        out["total_hours"] += v["hours"]
        out["total_vcpus_usage"] += v["vcpus"] * v["hours"]
        out["total_memory_mb_usage"] += v["memory_mb"] * v["hours"]
        out["total_local_gb_usage"] += v["local_gb"] * v["hours"]
    if detailed:
        out["server_usages"] = views
    return out


def routes(compute: Compute) -> RouteTable:
    r = RouteTable()

    def usages(call: Call, start: datetime, end: datetime,
               project_id: str | None) -> list[ServerUsage]:
        v = compute.version(call)
        q = sa.select(cm.Instance).order_by(cm.Instance.created_at, cm.Instance.id)
        if project_id is not None:
            q = q.where(cm.Instance.project_id == project_id)
        found = [u for u in (server_usage(i, start, end)
                             for i in compute.read(lambda s: list(s.scalars(q))))
                 if u is not None]
        if v >= (2, 40):
            limit, marker = params.limit_marker(call)
            found = params.page([{"id": u.inst.id, "u": u} for u in found], "id", limit,
                                marker)
            found = [x["u"] for x in found]
        return found

    def links(call: Call, found: list[ServerUsage]) -> list[dict[str, str]]:
        if compute.version(call) < (2, 40):
            return []
        limit, _ = params.limit_marker(call)
        return params.next_link(call, [{"id": u.inst.id} for u in found], limit)

    @r.get("/v2.1/os-simple-tenant-usage")
    def index(call: Call) -> Reply:
        compute.enforce(call, "os_compute_api:os-simple-tenant-usage:list")
        start, end = period(call)
        detailed = call.q("detailed") == "1"
        found = usages(call, start, end, None)
        by_project: dict[str, list[ServerUsage]] = {}
        for u in found:
            by_project.setdefault(u.inst.project_id, []).append(u)
        now = utcnow()
        body: dict[str, Any] = {"tenant_usages": [
            summary(p, us, start, end, detailed, now) for p, us in by_project.items()]}
        nxt = links(call, found)
        if nxt:
            body["tenant_usages_links"] = nxt
        return compute.reply(call, 200, body)

    @r.get("/v2.1/os-simple-tenant-usage/")
    def no_project(call: Call) -> Reply:
        raise NotFound("The resource could not be found.")

    @r.get("/v2.1/os-simple-tenant-usage/{project_id}")
    def show(call: Call) -> Reply:
        project_id = call.params["project_id"]
        compute.enforce(call, "os_compute_api:os-simple-tenant-usage:show",
                        {"project_id": project_id})
        start, end = period(call)
        found = usages(call, start, end, project_id)
        body: dict[str, Any] = {
            "tenant_usage": summary(project_id, found, start, end, True, utcnow())}
        nxt = links(call, found)
        if nxt:
            body["tenant_usage_links"] = nxt
        return compute.reply(call, 200, body)

    return r

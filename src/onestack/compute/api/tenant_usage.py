"""``os-simple-tenant-usage``: how many server-hours (and vCPU, RAM and disk hours) each
project used in a period, from the instance rows (deleted ones included while their rows
exist). Paging over servers from 2.40."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from onestack.compute.api import params
from onestack.compute.api.common import Compute
from onestack.compute.service import usage as service
from onestack.compute.service.usage import ServerUsage
from onestack.core.db import utcnow
from onestack.core.errors import BadRequest, NotFound
from onestack.core.http import Call, Reply, RouteTable
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
    raise BadRequest(f"Invalid {name} time {value[:64]}: use ISO 8601 (YYYY-MM-DDThh:mm:ss).")


def period(call: Call) -> tuple[datetime, datetime]:
    start = parse_time(call.q("start"), "start")
    end = parse_time(call.q("end"), "end")
    if start > end:
        raise BadRequest("Invalid start time. The start time cannot occur after the end time.")
    return start, end


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
    deps = compute.deps

    def usages(call: Call, start: datetime, end: datetime,
               project_id: str | None) -> list[ServerUsage]:
        found = service.server_usages(deps, call.ctx, project_id, start, end)
        if compute.version(call) >= (2, 40):
            limit, marker = params.limit_marker(call)
            paged = params.page([{"id": u.inst.id, "u": u} for u in found], "id", limit,
                                marker)
            found = [x["u"] for x in paged]
        return found

    def links(call: Call, found: list[ServerUsage]) -> list[dict[str, str]]:
        if compute.version(call) < (2, 40):
            return []
        limit, _ = params.limit_marker(call)
        return params.next_link(call, [{"id": u.inst.id} for u in found], limit)

    @r.get("/v2.1/os-simple-tenant-usage")
    def index(call: Call) -> Reply:
        deps.enforce(call.ctx, service.RULE + "list")
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
        deps.enforce(call.ctx, service.RULE + "show", {"project_id": project_id})
        start, end = period(call)
        found = usages(call, start, end, project_id)
        body: dict[str, Any] = {
            "tenant_usage": summary(project_id, found, start, end, True, utcnow())}
        nxt = links(call, found)
        if nxt:
            body["tenant_usage_links"] = nxt
        return compute.reply(call, 200, body)

    return r

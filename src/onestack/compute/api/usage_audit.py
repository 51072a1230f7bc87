"""``os-instance_usage_audit_log``: the state of the monthly instance usage audit per compute
host. onestack emits no usage notifications, so no host ever ran the audit: every host is
reported as not run for the audit period (the calendar month) ending before the given time."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from onestack.compute.api.common import Compute
from onestack.compute.service import hosts as service
from onestack.core.db import utcnow
from onestack.core.errors import BadRequest
from onestack.core.http import Call, Reply, RouteTable

RULE = "os_compute_api:os-instance-usage-audit-log:"
FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%dT%H:%M:%S",
           "%Y-%m-%dT%H:%M:%S.%f")
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def parse_before(value: str) -> datetime:
    for fmt in FORMATS:
        try:
            return datetime.strptime(value, fmt)
        except ValueError:
            continue
    raise BadRequest(f"Invalid timestamp for date {value[:64]}")


def audit_period(before: datetime) -> tuple[datetime, datetime]:
    """The last whole calendar month that ended at or before ``before``."""
    end = before.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    begin = end.replace(year=end.year - 1, month=12) if end.month == 1 else \
        end.replace(month=end.month - 1)
    return begin, end


def audit_log(hosts: list[str], before: datetime) -> dict[str, Any]:
    begin, end = audit_period(before)
    return {"hosts_not_run": hosts, "log": {}, "num_hosts": len(hosts), "num_hosts_done": 0,
            "num_hosts_not_run": len(hosts), "num_hosts_running": 0,
            "overall_status": f"0 of {len(hosts)} hosts done. 0 errors.",
            "period_beginning": begin.strftime(TIME_FORMAT),
            "period_ending": end.strftime(TIME_FORMAT), "total_errors": 0,
            "total_instances": 0}


def routes(compute: Compute) -> RouteTable:
    r = RouteTable()
    deps = compute.deps

    @r.get("/v2.1/os-instance_usage_audit_log")
    def index(call: Call) -> Reply:
        body = audit_log(service.host_names(deps, call.ctx, RULE + "list"), utcnow())
        return compute.reply(call, 200, {"instance_usage_audit_logs": body})

    @r.get("/v2.1/os-instance_usage_audit_log/{before}")
    def show(call: Call) -> Reply:
        deps.enforce(call.ctx, RULE + "show")
        before = parse_before(call.params["before"])
        body = audit_log(service.host_names(deps, call.ctx, RULE + "show"), before)
        return compute.reply(call, 200, {"instance_usage_audit_log": body})

    return r

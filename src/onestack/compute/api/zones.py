"""Availability zones (``os-availability-zone``) and the deprecated ``os-hosts`` API (gone
from 2.43). A zone exists while an enabled service is in it; a compute host's zone is its
agent's unless an aggregate with ``availability_zone`` metadata holds it."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.compute import models as cm
from onestack.compute import schemas
from onestack.compute.api import hostinfo
from onestack.compute.api.common import Compute, iso_micro
from onestack.compute.api.hostinfo import Service
from onestack.core.db import utcnow
from onestack.core.errors import NotFound, NotImplementedFault
from onestack.core.http import Call, Reply, RouteTable

ADMIN = "role:admin"
RULES = [
    ("os_compute_api:os-availability-zone:list", "role:reader or role:admin"),
    ("os_compute_api:os-availability-zone:detail", ADMIN),
    ("os_compute_api:os-hosts:list", ADMIN),
    ("os_compute_api:os-hosts:show", ADMIN),
    ("os_compute_api:os-hosts:update", ADMIN),
    ("os_compute_api:os-hosts:start", ADMIN),
    ("os_compute_api:os-hosts:shutdown", ADMIN),
    ("os_compute_api:os-hosts:reboot", ADMIN),
]
_ENABLE = {"type": "string", "enum": ["enable", "disable", "Enable", "Disable", "ENABLE",
                                      "DISABLE"]}
HOST_UPDATE = {"type": "object", "properties": {"status": _ENABLE, "maintenance_mode": _ENABLE},
               "anyOf": [{"required": ["status"]}, {"required": ["maintenance_mode"]}],
               "additionalProperties": False}


def zone_info(found: list[Service], detail: bool) -> list[dict[str, Any]]:
    """Nova's ``availabilityZoneInfo``: zones with an enabled service are available (with
    their hosts' services when ``detail``); zones whose services are all disabled are listed
    as not available. The ``internal`` zone of the control services shows in detail only."""
    available: dict[str, dict[str, dict[str, Any]]] = {}
    for svc in found:
        if svc.disabled or (svc.zone == hostinfo.INTERNAL_ZONE and not detail):
            continue
        hosts = available.setdefault(svc.zone, {})
        hosts.setdefault(svc.host, {})[svc.binary] = {
            "available": svc.up, "active": not svc.disabled,
            "updated_at": iso_micro(svc.updated_at)}
    unavailable = sorted({svc.zone for svc in found if svc.disabled} - set(available))
    out = [{"zoneName": zone, "zoneState": {"available": True},
            "hosts": hosts if detail else None} for zone, hosts in sorted(available.items())]
    out += [{"zoneName": zone, "zoneState": {"available": False}, "hosts": None}
            for zone in unavailable]
    return out


def topic(binary: str) -> str:
    return binary[len("nova-"):] if binary.startswith("nova-") else binary


def host_resources(h: cm.ComputeHost, usage: hostinfo.Usage,
                   instances: list[cm.Instance]) -> list[dict[str, Any]]:
    """The ``os-hosts/{host}`` rows: totals, use now, use by instances, then per project."""
    def row(project: str, cpu: int, mem: int, disk: int) -> dict[str, Any]:
        return {"resource": {"host": h.host, "project": project, "cpu": cpu,
                             "memory_mb": mem, "disk_gb": disk}}
    per_project: dict[str, list[int]] = {}
    for inst in instances:
        f = inst.flavor or {}
        sums = per_project.setdefault(inst.project_id, [0, 0, 0])
        sums[0] += int(f.get("vcpus", 0))
        sums[1] += int(f.get("ram", 0))
        sums[2] += int(f.get("disk", 0)) + int(f.get("ephemeral", 0))
    used_max = [sum(v[i] for v in per_project.values()) for i in range(3)]
    return ([row("(total)", usage.vcpus, usage.memory_mb, usage.local_gb),
             row("(used_now)", usage.vcpus_used, usage.memory_mb_used, usage.local_gb_used),
             row("(used_max)", *used_max)] +
            [row(project, *sums) for project, sums in sorted(per_project.items())])


def routes(compute: Compute) -> RouteTable:
    r = RouteTable()

    @r.get("/v2.1/os-availability-zone")
    def zones(call: Call) -> Reply:
        compute.enforce(call, "os_compute_api:os-availability-zone:list")
        info = zone_info(compute.read(hostinfo.services), False)
        return compute.reply(call, 200, {"availabilityZoneInfo": info})

    @r.get("/v2.1/os-availability-zone/detail")
    def zones_detail(call: Call) -> Reply:
        compute.enforce(call, "os_compute_api:os-availability-zone:detail")
        info = zone_info(compute.read(hostinfo.services), True)
        return compute.reply(call, 200, {"availabilityZoneInfo": info})

    def hosts_api(call: Call, rule: str) -> None:
        if compute.version(call) >= (2, 43):
            raise NotFound("The resource could not be found.")
        compute.enforce(call, rule)

    def compute_host(s: Session, name: str) -> cm.ComputeHost:
        for h in hostinfo.compute_hosts(s):
            if h.host == name:
                return h
        raise NotFound(f"Compute host {name} could not be found.")

    @r.get("/v2.1/os-hosts")
    def hosts(call: Call) -> Reply:
        hosts_api(call, "os_compute_api:os-hosts:list")
        zone = call.q("zone")
        found = [svc for svc in compute.read(hostinfo.services) if not svc.disabled
                 and (not zone or svc.zone == zone)]
        return compute.reply(call, 200, {"hosts": [
            {"host_name": svc.host, "service": topic(svc.binary), "zone": svc.zone}
            for svc in found]})

    @r.get("/v2.1/os-hosts/{host}")
    def show(call: Call) -> Reply:
        hosts_api(call, "os_compute_api:os-hosts:show")

        def work(s: Session) -> list[dict[str, Any]]:
            h = compute_host(s, call.params["host"])
            usage = hostinfo.usages(s, [h])[h.host]
            instances = list(s.scalars(sa.select(cm.Instance).where(
                cm.Instance.host == h.host, cm.Instance.deleted.is_(False))))
            return host_resources(h, usage, instances)
        return compute.reply(call, 200, {"host": compute.read(work)})

    @r.put("/v2.1/os-hosts/{host}")
    def update(call: Call) -> Reply:
        hosts_api(call, "os_compute_api:os-hosts:update")
        body = schemas.validate(HOST_UPDATE, call.body())
        status = body.get("status")

        def work(s: Session) -> dict[str, Any]:
            h = compute_host(s, call.params["host"])
            if body.get("maintenance_mode") is not None:
                raise NotImplementedFault("Virt driver does not implement host maintenance "
                                          "mode.")
            out: dict[str, Any] = {"host": h.host}
            if status is not None:
                h.disabled = status.lower() == "disable"
                h.disabled_reason = None
                h.updated_at = utcnow()
                out["status"] = "disabled" if h.disabled else "enabled"
            return out
        return compute.reply(call, 200, compute.write(work))

    def power(action: str, rule: str) -> None:
        @r.get("/v2.1/os-hosts/{host}/" + action)
        def handler(call: Call) -> Reply:
            hosts_api(call, rule)
            compute.read(lambda s: compute_host(s, call.params["host"]))
            raise NotImplementedFault("Virt driver does not implement host power "
                                      "management.")

    power("startup", "os_compute_api:os-hosts:start")
    power("shutdown", "os_compute_api:os-hosts:shutdown")
    power("reboot", "os_compute_api:os-hosts:reboot")
    return r

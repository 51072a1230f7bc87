"""Availability zones (``os-availability-zone``) and the deprecated ``os-hosts`` API (gone
from 2.43). A zone exists while an enabled service is in it; a compute host's zone is its
agent's unless an aggregate with ``availability_zone`` metadata holds it."""
from __future__ import annotations

from typing import Any

from onestack.compute import models as cm
from onestack.compute import schemas
from onestack.compute.api.common import Compute, iso_micro
from onestack.compute.service import hosts as service
from onestack.compute.service.hosts import Service
from onestack.core.errors import NotFound
from onestack.core.http import Call, Reply, RouteTable

ZONES = "os_compute_api:os-availability-zone:"
HOSTS = "os_compute_api:os-hosts:"
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
        if svc.disabled or (svc.zone == service.INTERNAL_ZONE and not detail):
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


def host_resources(h: cm.ComputeHost, usage: service.Usage,
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
    deps = compute.deps

    @r.get("/v2.1/os-availability-zone")
    def zones(call: Call) -> Reply:
        info = zone_info(service.services_for(deps, call.ctx, ZONES + "list"), False)
        return compute.reply(call, 200, {"availabilityZoneInfo": info})

    @r.get("/v2.1/os-availability-zone/detail")
    def zones_detail(call: Call) -> Reply:
        info = zone_info(service.services_for(deps, call.ctx, ZONES + "detail"), True)
        return compute.reply(call, 200, {"availabilityZoneInfo": info})

    def hosts_api(call: Call) -> None:
        if compute.version(call) >= (2, 43):
            raise NotFound("The resource could not be found.")

    @r.get("/v2.1/os-hosts")
    def hosts(call: Call) -> Reply:
        hosts_api(call)
        zone = call.q("zone")
        found = [svc for svc in service.services_for(deps, call.ctx, HOSTS + "list")
                 if not svc.disabled and (not zone or svc.zone == zone)]
        return compute.reply(call, 200, {"hosts": [
            {"host_name": svc.host, "service": topic(svc.binary), "zone": svc.zone}
            for svc in found]})

    @r.get("/v2.1/os-hosts/{host}")
    def show(call: Call) -> Reply:
        hosts_api(call)
        found = service.host_report(deps, call.ctx, HOSTS + "show", call.params["host"])
        rows = host_resources(found.host, found.usage, found.instances)
        return compute.reply(call, 200, {"host": rows})

    @r.put("/v2.1/os-hosts/{host}")
    def update(call: Call) -> Reply:
        hosts_api(call)
        deps.enforce(call.ctx, HOSTS + "update")
        body = schemas.validate(HOST_UPDATE, call.body())
        status = body.get("status")
        disable = None if status is None else status.lower() == "disable"
        h = service.set_host_status(deps, call.ctx, HOSTS + "update", call.params["host"],
                                    disable, body.get("maintenance_mode"))
        out: dict[str, Any] = {"host": h.host}
        if disable is not None:
            out["status"] = "disabled" if h.disabled else "enabled"
        return compute.reply(call, 200, out)

    def power(action: str, rule: str) -> None:
        @r.get("/v2.1/os-hosts/{host}/" + action)
        def handler(call: Call) -> Reply:
            hosts_api(call)
            service.host_power(deps, call.ctx, HOSTS + rule, call.params["host"])

    power("startup", "start")
    power("shutdown", "shutdown")
    power("reboot", "reboot")
    return r

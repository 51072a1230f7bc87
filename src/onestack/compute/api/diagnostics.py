"""Server diagnostics (admin) and external events (the hook other services use to tell
compute that a port or volume changed)."""
from __future__ import annotations

from typing import Any

from onestack.compute import models as cm
from onestack.compute.api.common import Compute
from onestack.compute.drivers.base import PAUSED, RUNNING, SHUTDOWN, SUSPENDED
from onestack.compute.service import diagnostics as service
from onestack.core.errors import BadRequest, NotFound
from onestack.core.http import Call, Reply, RouteTable

EVENT_NAMES = {"network-changed", "network-vif-plugged", "network-vif-unplugged",
               "network-vif-deleted", "volume-extended", "power-update",
               "accelerator-request-bound", "volume-reimaged"}
POWER_NAMES = {RUNNING: "running", PAUSED: "paused", SHUTDOWN: "shutdown",
               SUSPENDED: "suspended"}


def diagnostics_view(inst: cm.Instance, version: tuple[int, int]) -> dict[str, Any]:
    """The fake hypervisor's numbers in the 2.1 shape, or the 2.48 standard one."""
    f = inst.flavor
    if version < (2, 48):
        return {"cpu0_time": 17300000000, "memory": f["ram"] * 1024, "vda_read": 262144,
                "vda_write": 5778432, "vda_read_req": 112, "vda_write_req": 488,
                "vda_errors": -1}
    # "driver" is an enum of Nova's real drivers; like Nova's own fake driver, the fake
    # hypervisor reports the one it imitates.
    return {"state": POWER_NAMES.get(inst.power_state, "pending"), "driver": "libvirt",
            "hypervisor": "fake", "hypervisor_os": "fake-os", "uptime": 46664,
            "config_drive": bool(inst.config_drive), "num_cpus": f["vcpus"],
            "num_nics": 0, "num_disks": 1,
            "cpu_details": [{"id": i, "time": 17300000000, "utilisation": 15}
                            for i in range(f["vcpus"])],
            "nic_details": [],
            "disk_details": [{"read_bytes": 262144, "read_requests": 112,
                              "write_bytes": 5778432, "write_requests": 488,
                              "errors_count": 1}],
            "memory_details": {"maximum": f["ram"], "used": 0}}


def parse_events(body: dict[str, Any]) -> list[dict[str, Any]]:
    events = body.get("events")
    if not isinstance(events, list) or not events:
        raise BadRequest("'events' must be a non-empty list")
    for e in events:
        if not isinstance(e, dict) or e.get("name") not in EVENT_NAMES or \
                not isinstance(e.get("server_uuid"), str):
            raise BadRequest("Each event needs a known 'name' and a 'server_uuid'.")
        if e.get("status", "completed") not in ("completed", "failed", "in-progress"):
            raise BadRequest("Invalid event status")
    return events


def routes(compute: Compute) -> RouteTable:
    r = RouteTable()
    deps = compute.deps

    @r.get("/v2.1/servers/{server_id}/diagnostics")
    def diagnostics(call: Call) -> Reply:
        version = compute.version(call)
        inst = service.diagnosable_server(deps, call.ctx, call.params["server_id"])
        return compute.reply(call, 200, diagnostics_view(inst, version))

    @r.post("/v2.1/os-server-external-events")
    def external_events(call: Call) -> Reply:
        compute.version(call)
        service.authorize_events(deps, call.ctx)
        results = service.deliver_events(deps, call.ctx, parse_events(call.body()))
        if all(e["code"] == 404 for e in results):
            raise NotFound("No instances found for any event")
        status = 200 if all(e["code"] == 200 for e in results) else 207
        return compute.reply(call, status, {"events": results})

    return r

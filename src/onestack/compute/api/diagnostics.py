"""Server diagnostics (admin) and external events (the hook other services use to tell
compute that a port or volume changed)."""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from onestack.compute import models as cm
from onestack.compute import states as st
from onestack.compute.api.common import Compute
from onestack.compute.api.servers import get_instance
from onestack.compute.drivers.base import PAUSED, RUNNING, SHUTDOWN, SUSPENDED
from onestack.core.errors import BadRequest, Conflict, NotFound
from onestack.core.http import Call, Reply, RouteTable

EVENT_NAMES = {"network-changed", "network-vif-plugged", "network-vif-unplugged",
               "network-vif-deleted", "volume-extended", "power-update",
               "accelerator-request-bound", "volume-reimaged"}
POWER_NAMES = {RUNNING: "running", PAUSED: "paused", SHUTDOWN: "shutdown",
               SUSPENDED: "suspended"}


def routes(compute: Compute) -> RouteTable:
    r = RouteTable()

    @r.get("/v2.1/servers/{server_id}/diagnostics")
    def diagnostics(call: Call) -> Reply:
        version = compute.version(call)
        compute.enforce(call, "os_compute_api:os-server-diagnostics")

        def work(s: Session) -> cm.Instance:
            inst = get_instance(s, call, compute, call.params["server_id"])
            if inst.vm_state == st.BUILDING or not inst.host:
                raise Conflict(f"Cannot 'get_diagnostics' instance {inst.id} while it is in "
                               f"vm_state {inst.vm_state}")
            return inst
        inst = compute.read(work)
        f = inst.flavor
        if version < (2, 48):
            body: dict[str, Any] = {"cpu0_time": 17300000000, "memory": f["ram"] * 1024,
                                    "vda_read": 262144, "vda_write": 5778432,
                                    "vda_read_req": 112, "vda_write_req": 488,
                                    "vda_errors": -1}
        else:
            # "driver" is an enum of Nova's real drivers; like Nova's own fake driver, the
            # fake hypervisor reports the one it imitates.
            body = {"state": POWER_NAMES.get(inst.power_state, "pending"), "driver": "libvirt",
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
        return compute.reply(call, 200, body)

    @r.post("/v2.1/os-server-external-events")
    def external_events(call: Call) -> Reply:
        compute.version(call)
        compute.enforce(call, "os_compute_api:os-server-external-events:create")
        events = call.body().get("events")
        if not isinstance(events, list) or not events:
            raise BadRequest("'events' must be a non-empty list")
        for e in events:
            if not isinstance(e, dict) or e.get("name") not in EVENT_NAMES or \
                    not isinstance(e.get("server_uuid"), str):
                raise BadRequest("Each event needs a known 'name' and a 'server_uuid'.")
            if e.get("status", "completed") not in ("completed", "failed", "in-progress"):
                raise BadRequest("Invalid event status")

        def work(s: Session) -> list[dict]:
            out = []
            for e in events:
                inst = s.get(cm.Instance, e["server_uuid"])
                result = dict(e)
                result.setdefault("status", "completed")
                if inst is None or inst.deleted:
                    result["code"] = 404
                elif not inst.host:
                    result["code"] = 422
                    result["status"] = "failed"
                else:
                    result["code"] = 200
                out.append(result)
            return out
        results = compute.read(work)
        if all(e["code"] == 404 for e in results):
            raise NotFound("No instances found for any event")
        status = 200 if all(e["code"] == 200 for e in results) else 207
        return compute.reply(call, status, {"events": results})

    return r

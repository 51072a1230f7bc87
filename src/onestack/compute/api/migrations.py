"""``os-migrations`` (admin) and a server's in-progress live migrations."""
from __future__ import annotations

from typing import Any

from onestack.compute import models as cm
from onestack.compute.api.common import Compute, iso_micro, root
from onestack.compute.service import migrations as service
from onestack.core.http import Call, Reply, RouteTable

PROGRESS = {"memory_total_bytes": 0, "memory_processed_bytes": 0, "memory_remaining_bytes": 0,
            "disk_total_bytes": 0, "disk_processed_bytes": 0, "disk_remaining_bytes": 0}


def _flavor_int(flavor_id: str | None) -> int | None:
    return int(flavor_id) if flavor_id and flavor_id.isdigit() else None


def view(call: Call, mig: cm.Migration, version: tuple[int, int]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": mig.id, "status": mig.status, "instance_uuid": mig.instance_uuid,
        "source_node": mig.source_compute, "source_compute": mig.source_compute,
        "dest_node": mig.dest_compute, "dest_compute": mig.dest_compute,
        "dest_host": "127.0.0.1" if mig.dest_compute else None,
        "old_instance_type_id": _flavor_int(mig.old_flavor_id),
        "new_instance_type_id": _flavor_int(mig.new_flavor_id),
        "created_at": iso_micro(mig.created_at), "updated_at": iso_micro(mig.updated_at),
    }
    if version >= (2, 23):
        body["migration_type"] = mig.migration_type
        if mig.migration_type == "live-migration":
            body["links"] = [{"rel": "self", "href": f"{root(call)}/servers/"
                              f"{mig.instance_uuid}/migrations/{mig.id}"}]
    if version >= (2, 59):
        body["uuid"] = mig.uuid
    if version >= (2, 80):
        body["user_id"], body["project_id"] = mig.user_id, mig.project_id
    return body


def routes(compute: Compute) -> RouteTable:
    r = RouteTable()
    deps = compute.deps

    @r.get("/v2.1/os-migrations")
    def index(call: Call) -> Reply:
        version = compute.version(call)
        filters = {name: call.q(name) or "" for name in service.FILTERS if call.q(name)}
        found = service.list_migrations(deps, call.ctx, filters, call.q("host"))
        return compute.reply(call, 200, {"migrations": [view(call, m, version)
                                                        for m in found]})

    @r.get("/v2.1/servers/{server_id}/migrations")
    def server_migrations(call: Call) -> Reply:
        version = compute.version(call)
        found = service.live_migrations(deps, call.ctx, call.params["server_id"])
        return compute.reply(call, 200, {"migrations": [
            {**view(call, m, version), "server_uuid": m.instance_uuid, **PROGRESS}
            for m in found]})

    return r

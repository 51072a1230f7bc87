"""``os-assisted-volume-snapshots`` (admin or service): the volume service asks compute
to snapshot (or delete a snapshot of) an attached volume whose file chain the hypervisor
owns. Nova's bodies and checks: the volume must be mapped to a server (404)."""
from __future__ import annotations

import json
from functools import partial
from typing import Any

from onestack.compute.api.common import Compute
from onestack.compute.policies import servers as server_rules
from onestack.compute.service import volumes as service
from onestack.core.errors import BadRequest
from onestack.core.http import Call, Reply, RouteTable

BASE = "/v2.1/os-assisted-volume-snapshots"
RULE = "os_compute_api:os-assisted-volume-snapshots:"
RULES = [(RULE + "create", server_rules.ADMIN), (RULE + "delete", server_rules.ADMIN)]


def _deps(compute: Compute) -> Any:
    from onestack.compute.api.servers import deps

    return deps(compute)


def create(compute: Compute, call: Call) -> Reply:
    compute.version(call)
    body = call.body()
    spec = body.get("snapshot") if isinstance(body, dict) else None
    if not isinstance(spec, dict) or not isinstance(spec.get("volume_id"), str) or \
            not isinstance(spec.get("create_info"), dict):
        raise BadRequest("Invalid input for field/attribute snapshot. 'volume_id' and "
                         "'create_info' are required properties")
    info = spec["create_info"]
    if not isinstance(info.get("snapshot_id"), str) or info.get("type") != "qcow2" or \
            not isinstance(info.get("new_file"), str):
        raise BadRequest("Invalid input for field/attribute create_info.")
    service.require_mapped(_deps(compute), call.ctx, spec["volume_id"], RULE + "create")
    return compute.reply(call, 200, {"snapshot": {"id": info["snapshot_id"],
                                                  "volumeId": spec["volume_id"]}})


def delete(compute: Compute, call: Call) -> Reply:
    compute.version(call)
    raw = call.q("delete_info")
    try:
        info = json.loads(raw) if raw else None
    except ValueError:
        info = None
    if not isinstance(info, dict) or not isinstance(info.get("volume_id"), str):
        raise BadRequest("Missing delete_info: a JSON object with volume_id")
    service.require_mapped(_deps(compute), call.ctx, info["volume_id"], RULE + "delete")
    return compute.reply(call, 204)


def routes(compute: Compute) -> RouteTable:
    from onestack.compute.policies import register

    register(compute.platform.policy, RULES)
    table = RouteTable()
    table.add("POST", BASE, partial(create, compute))
    table.add("DELETE", BASE + "/{snapshot_id}", partial(delete, compute))
    return table

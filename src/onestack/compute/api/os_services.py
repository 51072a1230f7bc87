"""``os-services``: list (host / binary filters), the 2.1 enable / disable /
disable-log-reason / force-down (2.11) actions named by host and binary, the 2.53 update by
service UUID, and delete. Only ``nova-compute`` services can be changed: the control services
are the API process itself."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.compute import models as cm
from onestack.compute import schemas
from onestack.compute.api import hostinfo, params
from onestack.compute.api.common import Compute, iso_micro
from onestack.compute.api.hostinfo import Service
from onestack.core.db import utcnow
from onestack.core.errors import BadRequest, Conflict, NotFound
from onestack.core.http import Call, Reply, RouteTable
from onestack.placement import models as pm

ADMIN = "role:admin"
RULES = [
    ("os_compute_api:os-services:list", ADMIN),
    ("os_compute_api:os-services:update", ADMIN),
    ("os_compute_api:os-services:delete", ADMIN),
]
_STR = {"type": "string", "minLength": 1, "maxLength": 255}
_HOST_BINARY = {"host": _STR, "binary": _STR}


def _body(extra: dict[str, Any]) -> dict[str, Any]:
    props = {**_HOST_BINARY, **extra}
    return {"type": "object", "properties": props, "required": list(props),
            "additionalProperties": False}


ACTIONS = {
    "enable": _body({}),
    "disable": _body({}),
    "disable-log-reason": _body({"disabled_reason": _STR}),
    "force-down": _body({"forced_down": {"type": "boolean"}}),
}
UPDATE_253 = {"type": "object", "properties": {
    "status": {"type": "string", "enum": ["enabled", "disabled"]},
    "disabled_reason": _STR, "forced_down": {"type": "boolean"}},
    "additionalProperties": False}


def service_view(svc: Service, version: tuple[int, int]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": svc.uuid if version >= (2, 53) else svc.id, "binary": svc.binary,
        "host": svc.host, "zone": svc.zone, "status": svc.status, "state": svc.state,
        "updated_at": iso_micro(svc.updated_at), "disabled_reason": svc.disabled_reason}
    if version >= (2, 11):
        out["forced_down"] = svc.forced_down
    return out


def filter_services(found: list[Service], host: str | None,
                    binary: str | None) -> list[Service]:
    return [svc for svc in found if (host is None or svc.host == host)
            and (binary is None or svc.binary == binary)]


def find(found: list[Service], service_id: str, version: tuple[int, int]) -> Service:
    """The service named by its integer id (before 2.53) or UUID (from 2.53)."""
    if version >= (2, 53):
        if not params.is_uuid(service_id):
            raise BadRequest(f"Invalid uuid {service_id}")
        match = [svc for svc in found if svc.uuid == service_id]
    else:
        match = [svc for svc in found if str(svc.id) == service_id]
    if not match:
        raise NotFound(f"Service {service_id} could not be found.")
    return match[0]


def only_compute(svc: Service) -> cm.ComputeHost:
    if svc.compute is None:
        raise BadRequest(f"Updating a {svc.binary} service is not supported. Only "
                         "nova-compute services can be updated.")
    return svc.compute


def routes(compute: Compute) -> RouteTable:
    r = RouteTable()

    @r.get("/v2.1/os-services")
    def index(call: Call) -> Reply:
        v = compute.version(call)
        compute.enforce(call, "os_compute_api:os-services:list")
        if v >= (2, 75):
            unknown = set(call.query.keys()) - {"host", "binary"}
            if unknown:
                raise BadRequest("Additional properties are not allowed "
                                 f"({', '.join(sorted(unknown))} was unexpected)")
        found = filter_services(compute.read(hostinfo.services), call.q("host"),
                                call.q("binary"))
        return compute.reply(call, 200, {"services": [service_view(x, v) for x in found]})

    @r.put("/v2.1/os-services/{ident}")
    def update(call: Call) -> Reply:
        v = compute.version(call)
        compute.enforce(call, "os_compute_api:os-services:update")
        if v >= (2, 53):
            return update_253(call, v)
        action = call.params["ident"]
        if action not in ACTIONS or (action == "force-down" and v < (2, 11)):
            raise NotFound("Unknown action")
        body = schemas.validate(ACTIONS[action], call.body())

        def work(s: Session) -> dict[str, Any]:
            match = [x for x in hostinfo.services(s)
                     if x.host == body["host"] and x.binary == body["binary"]]
            if not match:
                raise NotFound(f"Compute host {body['host']} with binary {body['binary']} "
                               "could not be found.")
            h = only_compute(match[0])
            out = {"host": h.host, "binary": body["binary"]}
            if action == "force-down":
                h.forced_down = body["forced_down"]
                out["forced_down"] = h.forced_down
            else:
                h.disabled = action != "enable"
                h.disabled_reason = body.get("disabled_reason") if h.disabled else None
                out["status"] = "disabled" if h.disabled else "enabled"
                if action == "disable-log-reason":
                    out["disabled_reason"] = h.disabled_reason
            h.updated_at = utcnow()
            return out
        return compute.reply(call, 200, {"service": compute.write(work)})

    def update_253(call: Call, v: tuple[int, int]) -> Reply:
        body = schemas.validate(UPDATE_253, call.body())
        if "disabled_reason" in body and body.get("status") != "disabled":
            raise BadRequest("Specifying a disabled reason is only supported when the "
                             "status is disabled.")
        if not body:
            raise BadRequest("At least one of status or forced_down must be specified.")

        def work(s: Session) -> dict[str, Any]:
            svc = find(hostinfo.services(s), call.params["ident"], v)
            h = only_compute(svc)
            if "status" in body:
                h.disabled = body["status"] == "disabled"
                h.disabled_reason = body.get("disabled_reason") if h.disabled else None
            if "forced_down" in body:
                h.forced_down = body["forced_down"]
            h.updated_at = utcnow()
            s.flush()
            fresh = hostinfo.compute_service(h, svc.zone, utcnow())
            view = service_view(fresh, v)
            view["updated_at"] = iso_micro(fresh.updated_at or utcnow())
            return view
        return compute.reply(call, 200, {"service": compute.write(work)})

    @r.delete("/v2.1/os-services/{ident}")
    def delete(call: Call) -> Reply:
        v = compute.version(call)
        compute.enforce(call, "os_compute_api:os-services:delete")

        def work(s: Session) -> None:
            svc = find(hostinfo.services(s), call.params["ident"], v)
            if svc.compute is None:
                raise BadRequest(f"Deleting a {svc.binary} service is not supported.")
            remove_host(s, svc.compute)
        compute.write(work)
        return compute.reply(call, 204)

    return r


def remove_host(s: Session, h: cm.ComputeHost) -> None:
    """Forget a compute host: its row, aggregate memberships and placement provider. A host
    that still hosts instances (or holds allocations) is refused with 409."""
    busy = s.scalar(sa.select(sa.func.count()).select_from(cm.Instance).where(
        cm.Instance.host == h.host, cm.Instance.deleted.is_(False))) or 0
    allocated = s.scalar(sa.select(sa.func.count()).select_from(pm.Allocation).where(
        pm.Allocation.provider_uuid == h.uuid)) or 0
    if busy or allocated:
        raise Conflict("Unable to delete compute service that is hosting instances. "
                       "Migrate or delete the instances first.")
    for agg in s.scalars(sa.select(cm.Aggregate)):
        if h.host in (agg.hosts or []):
            agg.hosts = [x for x in agg.hosts if x != h.host]
    for model in (pm.Inventory, pm.ProviderTrait, pm.ProviderAggregate):
        s.execute(sa.delete(model).where(model.provider_uuid == h.uuid))
    s.execute(sa.delete(pm.ResourceProvider).where(pm.ResourceProvider.uuid == h.uuid))
    s.delete(h)

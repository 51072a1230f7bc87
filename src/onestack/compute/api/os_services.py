"""``os-services``: list (host / binary filters), the 2.1 enable / disable /
disable-log-reason / force-down (2.11) actions named by host and binary, the 2.53 update by
service UUID, and delete. Only ``nova-compute`` services can be changed: the control services
are the API process itself."""
from __future__ import annotations

from typing import Any

from onestack.compute import schemas
from onestack.compute.api.common import Compute, iso_micro
from onestack.compute.service import services as service
from onestack.compute.service.hosts import Service
from onestack.core.db import utcnow
from onestack.core.errors import BadRequest, NotFound
from onestack.core.http import Call, Reply, RouteTable
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


def routes(compute: Compute) -> RouteTable:
    r = RouteTable()
    deps = compute.deps

    @r.get("/v2.1/os-services")
    def index(call: Call) -> Reply:
        v = compute.version(call)
        found = service.list_services(deps, call.ctx)
        if v >= (2, 75):
            unknown = set(call.query.keys()) - {"host", "binary"}
            if unknown:
                raise BadRequest("Additional properties are not allowed "
                                 f"({', '.join(sorted(unknown))} was unexpected)")
        found = filter_services(found, call.q("host"), call.q("binary"))
        return compute.reply(call, 200, {"services": [service_view(x, v) for x in found]})

    @r.put("/v2.1/os-services/{ident}")
    def update(call: Call) -> Reply:
        v = compute.version(call)
        deps.enforce(call.ctx, service.RULE + "update")
        if v >= (2, 53):
            return update_253(call, v)
        action = call.params["ident"]
        if action not in ACTIONS or (action == "force-down" and v < (2, 11)):
            raise NotFound("Unknown action")
        body = schemas.validate(ACTIONS[action], call.body())
        out = service.run_legacy_action(deps, call.ctx, action, body)
        return compute.reply(call, 200, {"service": out})

    def update_253(call: Call, v: tuple[int, int]) -> Reply:
        body = schemas.validate(UPDATE_253, call.body())
        if "disabled_reason" in body and body.get("status") != "disabled":
            raise BadRequest("Specifying a disabled reason is only supported when the "
                             "status is disabled.")
        if not body:
            raise BadRequest("At least one of status or forced_down must be specified.")
        fresh = service.update_service(deps, call.ctx, call.params["ident"], v, body)
        view = service_view(fresh, v)
        view["updated_at"] = iso_micro(fresh.updated_at or utcnow())
        return compute.reply(call, 200, {"service": view})

    @r.delete("/v2.1/os-services/{ident}")
    def delete(call: Call) -> Reply:
        v = compute.version(call)
        service.delete_service(deps, call.ctx, call.params["ident"], v)
        return compute.reply(call, 204)

    return r

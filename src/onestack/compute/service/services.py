"""``os-services`` use cases: list, the 2.1 enable / disable / disable-log-reason /
force-down actions named by host and binary, the 2.53 update by service UUID, and delete.
Only ``nova-compute`` services change: the control services are the API process itself."""
from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.compute import models as cm
from onestack.compute.service import hosts
from onestack.compute.service.deps import ResourceDeps
from onestack.compute.service.hosts import Service
from onestack.core.context import RequestContext
from onestack.core.db import utcnow
from onestack.core.errors import BadRequest, Conflict, NotFound
from onestack.placement import seam as placement

RULE = "os_compute_api:os-services:"


def is_uuid(value: str) -> bool:
    """Whether ``value`` names a UUID (the 2.53 ids of services and hypervisors)."""
    try:
        uuid.UUID(value)
    except (ValueError, AttributeError, TypeError):
        return False
    return True


def find(found: list[Service], service_id: str, version: tuple[int, int]) -> Service:
    """The service named by its integer id (before 2.53) or UUID (from 2.53)."""
    if version >= (2, 53):
        if not is_uuid(service_id):
            raise BadRequest(f"Invalid uuid {service_id[:64]}")
        match = [svc for svc in found if svc.uuid == service_id]
    else:
        match = [svc for svc in found if str(svc.id) == service_id]
    if not match:
        raise NotFound(f"Service {service_id[:64]} could not be found.")
    return match[0]


def only_compute(svc: Service) -> cm.ComputeHost:
    if svc.compute is None:
        raise BadRequest(f"Updating a {svc.binary} service is not supported. Only "
                         "nova-compute services can be updated.")
    return svc.compute


def list_services(deps: ResourceDeps, ctx: RequestContext) -> list[Service]:
    return hosts.services_for(deps, ctx, RULE + "list")


def run_legacy_action(deps: ResourceDeps, ctx: RequestContext, action: str,
                      body: dict[str, Any]) -> dict[str, Any]:
    """A 2.1 action on the service named by ``host`` and ``binary``; the answer's body."""
    deps.enforce(ctx, RULE + "update")

    def work(s: Session) -> dict[str, Any]:
        match = [x for x in hosts.services(s)
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
    return deps.write(work)


def update_service(deps: ResourceDeps, ctx: RequestContext, ident: str,
                   version: tuple[int, int], body: dict[str, Any]) -> Service:
    """The 2.53 update (``status``, ``disabled_reason``, ``forced_down``); the service as
    it is now."""
    deps.enforce(ctx, RULE + "update")

    def work(s: Session) -> Service:
        svc = find(hosts.services(s), ident, version)
        h = only_compute(svc)
        if "status" in body:
            h.disabled = body["status"] == "disabled"
            h.disabled_reason = body.get("disabled_reason") if h.disabled else None
        if "forced_down" in body:
            h.forced_down = body["forced_down"]
        h.updated_at = utcnow()
        s.flush()
        return hosts.compute_service(h, svc.zone, utcnow())
    return deps.write(work)


def delete_service(deps: ResourceDeps, ctx: RequestContext, ident: str,
                   version: tuple[int, int]) -> None:
    deps.enforce(ctx, RULE + "delete")

    def work(s: Session) -> None:
        svc = find(hosts.services(s), ident, version)
        if svc.compute is None:
            raise BadRequest(f"Deleting a {svc.binary} service is not supported.")
        remove_host(s, svc.compute)
    deps.write(work)


def remove_host(s: Session, h: cm.ComputeHost) -> None:
    """Forget a compute host: its row, aggregate memberships and placement provider. A host
    that still hosts instances (or holds allocations) is refused with 409."""
    busy = s.scalar(sa.select(sa.func.count()).select_from(cm.Instance).where(
        cm.Instance.host == h.host, cm.Instance.deleted.is_(False))) or 0
    if busy or placement.provider_in_use(s, h.uuid):
        raise Conflict("Unable to delete compute service that is hosting instances. "
                       "Migrate or delete the instances first.")
    for agg in s.scalars(sa.select(cm.Aggregate)):
        if h.host in (agg.hosts or []):
            agg.hosts = [x for x in agg.hosts if x != h.host]
    placement.remove_provider(s, h.uuid)
    s.delete(h)

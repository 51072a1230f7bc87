"""Server diagnostics (admin) and external events (the hook other services use to tell
compute that a port or volume changed)."""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from onestack.compute import models as cm
from onestack.compute import states as st
from onestack.compute.service.deps import ResourceDeps
from onestack.compute.service.servers import ADMIN_RULE, find_instance
from onestack.core.context import RequestContext
from onestack.core.errors import Conflict

DIAGNOSTICS = "os_compute_api:os-server-diagnostics"
EVENTS = "os_compute_api:os-server-external-events:create"


def diagnosable_server(deps: ResourceDeps, ctx: RequestContext, server_id: str) -> cm.Instance:
    """The server, once it has a host (409 while it is still being built)."""
    deps.enforce(ctx, DIAGNOSTICS)
    admin = deps.allowed(ctx, ADMIN_RULE)

    def work(s: Session) -> cm.Instance:
        inst = find_instance(s, ctx, admin, server_id)
        if inst.vm_state == st.BUILDING or not inst.host:
            raise Conflict(f"Cannot 'get_diagnostics' instance {inst.id} while it is in "
                           f"vm_state {inst.vm_state}")
        return inst
    return deps.read(work)


def authorize_events(deps: ResourceDeps, ctx: RequestContext) -> None:
    deps.enforce(ctx, EVENTS)


def deliver_events(deps: ResourceDeps, ctx: RequestContext,
                   events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each event with its outcome: ``code`` 200 (delivered), 404 (no such server) or 422
    (the server has no host yet, ``status`` failed)."""
    authorize_events(deps, ctx)

    def work(s: Session) -> list[dict[str, Any]]:
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
    return deps.read(work)

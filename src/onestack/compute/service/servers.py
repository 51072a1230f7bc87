"""What every server use case needs: its dependencies, the project-scope and visibility
rules, the policy check against the server, and the one-server reads (show, update, delete,
addresses, password, interfaces, instance actions)."""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any, Callable, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.compute import models as cm
from onestack.compute import records
from onestack.compute import states as st
from onestack.compute.service import networking
from onestack.core.bus import Bus
from onestack.core.context import RequestContext
from onestack.core.db import Database, utcnow
from onestack.core.errors import Conflict, Forbidden, NotFound
from onestack.core.policy import Policy

T = TypeVar("T")
ADMIN_RULE = "os_compute_api:admin"


@dataclass
class Deps:
    """The database, policy and bus the use cases run on (the API hands them over)."""

    db: Database
    policy: Policy
    bus: Bus
    network: Any = None  # onestack.network.seam.NetworkSeam; None: no network service
    volume: Any = None  # onestack.volume.seam.VolumeSeam; None: no volume service

    def is_admin(self, ctx: RequestContext) -> bool:
        return self.policy.allowed(ADMIN_RULE, ctx)

    def enforce(self, rule: str, ctx: RequestContext, inst: cm.Instance | None = None) -> None:
        """``rule`` against the server (or, with none yet, the caller's own project)."""
        project = inst.project_id if inst is not None else ctx.project_id
        user = inst.user_id if inst is not None else ctx.user_id
        self.policy.enforce(rule, ctx, {"project_id": project, "user_id": user})

    def wake(self, host: str | None, server_id: str) -> None:
        """Tell the host agent (if any) and the scheduler to look at the server again."""
        if host:
            self.bus.notify("compute." + host, server_id)
        self.bus.notify("schedule", server_id)


@dataclass
class ServerView:
    """A server with what its answer needs, loaded inside the transaction."""

    instance: cm.Instance
    fault: cm.InstanceFault | None = None
    groups: list[str] | None = None
    # its NICs' addresses and security groups (``show`` reads them in its transaction)
    addresses: dict[str, list[dict[str, Any]]] | None = None
    security_groups: list[str] | None = None


def require_project_scope(ctx: RequestContext, rule: str) -> None:
    """Servers belong to projects: a domain- or system-scoped token acts on none (F4)."""
    if not ctx.project_id:
        raise Forbidden(f"Policy doesn't allow {rule} to be performed: a project-scoped "
                        "token is required.")


def server_not_found(ident: str) -> NotFound:
    return NotFound(f"Instance {ident} could not be found.")


def find_instance(s: Session, ctx: RequestContext, admin: bool, ident: str,
                  lock: bool = False) -> cm.Instance:
    """The caller's live instance; another project's or a deleted one is a 404."""
    inst = s.get(cm.Instance, ident, with_for_update=lock or None)
    if inst is None or inst.deleted or (inst.project_id != ctx.project_id and not admin):
        raise server_not_found(ident)
    return inst


def visible_instance(deps: Deps, s: Session, ctx: RequestContext, ident: str,
                     rule: str, lock: bool = False) -> cm.Instance:
    """Project scope, then visibility (404), then ``rule`` against the server (403).
    ``lock`` holds the row until commit, so two concurrent changes of one server (two
    actions, two metadata merges) run one after the other instead of losing one."""
    require_project_scope(ctx, rule)
    inst = find_instance(s, ctx, deps.is_admin(ctx), ident, lock)
    deps.enforce(rule, ctx, inst)
    return inst


def read_server(deps: Deps, ctx: RequestContext, ident: str, rule: str,
                fn: Callable[[Session, cm.Instance], T]) -> T:
    """``fn`` on the visible server, in a read transaction."""
    return deps.db.read(lambda s: fn(s, visible_instance(deps, s, ctx, ident, rule)))


def server_groups_of(s: Session, instance_id: str) -> list[str]:
    return [g.id for g in s.scalars(sa.select(cm.ServerGroup))
            if instance_id in (g.members or [])]


def show(deps: Deps, ctx: RequestContext, ident: str) -> ServerView:
    """The server with its fault, server groups, addresses and security groups, all read
    in one transaction."""
    seam = getattr(deps, "network", None)

    def work(s: Session, inst: cm.Instance) -> ServerView:
        view = ServerView(inst, records.latest_fault(s, inst.id), server_groups_of(s, inst.id))
        if seam is not None:
            view.addresses = seam.addresses(s, [inst.id]).get(inst.id)
            view.security_groups = networking.groups_in(s, seam, inst.id)
        return view
    return read_server(deps, ctx, ident, "os_compute_api:servers:show", work)


def normalise_ip(value: str | None) -> str | None:
    if not value:
        return value
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return value


def update(deps: Deps, ctx: RequestContext, ident: str, changes: dict[str, Any]) -> ServerView:
    """Rename, re-describe or re-address a server (validated ``changes``)."""
    rule = "os_compute_api:servers:update"

    def work(s: Session) -> ServerView:
        inst = visible_instance(deps, s, ctx, ident, rule, lock=True)
        if "name" in changes:
            inst.name = changes["name"]
        if "accessIPv4" in changes:
            inst.access_ip_v4 = normalise_ip(changes["accessIPv4"])
        if "accessIPv6" in changes:
            inst.access_ip_v6 = normalise_ip(changes["accessIPv6"])
        if "OS-DCF:diskConfig" in changes:
            inst.disk_config = changes["OS-DCF:diskConfig"]
        if "description" in changes:
            inst.description = changes["description"]
        inst.updated_at = utcnow()
        return ServerView(inst, None, server_groups_of(s, inst.id))
    return deps.db.write(work)


def check_lock(deps: Deps, ctx: RequestContext, inst: cm.Instance) -> None:
    """A locked server refuses every change but from an admin (409, as Nova)."""
    if inst.locked and not deps.is_admin(ctx):
        raise Conflict(f"Instance {inst.id} is locked")


def request_delete(deps: Deps, ctx: RequestContext, ident: str, action: str,
                   rule: str) -> None:
    """Ask for deletion; a server that runs nowhere is deleted at once, else its host
    agent is woken to destroy it."""

    def work(s: Session) -> str | None:
        inst = visible_instance(deps, s, ctx, ident, rule, lock=True)
        check_lock(deps, ctx, inst)
        records.start_action(s, inst, action, ctx.request_id, ctx.user_id, ctx.project_id)
        if not inst.host:
            networking.release(s, deps.network, inst)
            records.mark_deleted(s, inst)  # nothing runs anywhere: no agent to wait for
            return None
        inst.task_state = st.DELETING
        inst.updated_at = utcnow()
        return inst.host
    host = deps.db.write(work)
    if host:
        deps.bus.notify("compute." + host, ident)
    else:
        from onestack.compute.service import volumes

        volumes.release_all(deps, ident)


def check_readable(deps: Deps, ctx: RequestContext, ident: str, rule: str) -> cm.Instance:
    """The server, when ``rule`` lets the caller read it (addresses, password, ports)."""
    return read_server(deps, ctx, ident, rule, lambda s, inst: inst)


def server_password(inst: cm.Instance) -> str:
    """What the guest posted to the metadata service's password document ("" before)."""
    from onestack.compute.metadata.facts import PASSWORD_KEY

    return str((inst.system_metadata or {}).get(PASSWORD_KEY) or "")


def clear_server_password(deps: Deps, ident: str) -> None:
    """Forget the guest's posted password, so it may post a new one (Nova's clear)."""
    from onestack.compute.metadata.facts import PASSWORD_KEY

    def work(s: Session) -> None:
        inst = s.get(cm.Instance, ident, with_for_update=True)
        if inst is not None and (inst.system_metadata or {}).get(PASSWORD_KEY):
            inst.system_metadata = {k: v for k, v in inst.system_metadata.items()
                                    if k != PASSWORD_KEY}
    deps.db.write(work)


def instance_actions(deps: Deps, ctx: RequestContext, ident: str) -> list[cm.InstanceAction]:
    """The server's actions, newest first (a deleted server's too, as Nova lists them)."""
    rule = "os_compute_api:os-instance-actions:list"

    def work(s: Session) -> list[cm.InstanceAction]:
        _visible_even_deleted(deps, s, ctx, ident, rule)
        return list(s.scalars(sa.select(cm.InstanceAction).where(
            cm.InstanceAction.instance_id == ident).order_by(cm.InstanceAction.id.desc())))
    return deps.db.read(work)


def instance_action(deps: Deps, ctx: RequestContext, ident: str,
                    request_id: str) -> tuple[cm.InstanceAction, bool]:
    """One action, and whether the caller may see its events' details."""
    rule = "os_compute_api:os-instance-actions:show"

    def work(s: Session) -> tuple[cm.InstanceAction, bool]:
        inst = _visible_even_deleted(deps, s, ctx, ident, rule)
        found = s.scalar(sa.select(cm.InstanceAction).where(
            cm.InstanceAction.instance_id == ident,
            cm.InstanceAction.request_id == request_id))
        if found is None:
            raise NotFound(f"Action for request_id {request_id} on instance {ident} "
                           "not found")
        target = {"project_id": inst.project_id, "user_id": inst.user_id}
        details = deps.policy.allowed("os_compute_api:os-instance-actions:events", ctx, target)
        return found, details
    return deps.db.read(work)


def _visible_even_deleted(deps: Deps, s: Session, ctx: RequestContext, ident: str,
                          rule: str) -> cm.Instance:
    require_project_scope(ctx, rule)
    inst = s.get(cm.Instance, ident)
    if inst is None or (inst.project_id != ctx.project_id and not deps.is_admin(ctx)):
        raise server_not_found(ident)
    deps.enforce(rule, ctx, inst)
    return inst

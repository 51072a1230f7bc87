"""``os-interface``: a server's ports as Nova shows them, and attach/detach. An attach
makes (or claims) the port, records the NIC and binds the port to the server's host in
one transaction; the host's network agent wires it (``port_state`` goes ACTIVE). A
detach deletes a port compute made and gives back a port the user passed."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from onestack.compute import models as cm
from onestack.compute import records
from onestack.compute import states as st
from onestack.compute.network_models import RequestedNetwork
from onestack.compute.service import networking
from onestack.compute.service.servers import Deps, check_lock, visible_instance
from onestack.core.context import RequestContext
from onestack.core.db import utcnow
from onestack.core.errors import BadRequest, Conflict, NotFound
from onestack.network.seam import PortInfo, service_context

RULE = "os_compute_api:os-attach-interfaces:"
# vm states an interface may be attached in or detached from (as Nova's API allows)
CHANGEABLE = {st.ACTIVE, st.PAUSED, st.STOPPED, st.SUSPENDED}


@dataclass
class Attachment:
    port_id: str
    net_id: str
    mac_addr: str
    port_state: str
    fixed_ips: list[dict[str, str]]
    tag: str | None = None


def _attachment(port: PortInfo, tag: str | None = None) -> Attachment:
    return Attachment(port.id, port.network_id, port.mac_address, port.status,
                      [{"subnet_id": f["subnet_id"], "ip_address": f["ip_address"]}
                       for f in port.fixed_ips], tag)


def _tags(s: Session, instance_id: str) -> dict[str, str | None]:
    return {r.port_id: r.tag for r in networking.rows_of(s, instance_id) if r.port_id}


def list_attachments(deps: Deps, ctx: RequestContext, ident: str) -> list[Attachment]:
    def work(s: Session) -> list[Attachment]:
        inst = visible_instance(deps, s, ctx, ident, RULE + "list")
        tags = _tags(s, inst.id)
        return [_attachment(p, tags.get(p.id))
                for p in networking.ports(s, deps.network, inst.id)]
    return deps.db.read(work)


def show_attachment(deps: Deps, ctx: RequestContext, ident: str, port_id: str
                    ) -> Attachment:
    def work(s: Session) -> Attachment:
        inst = visible_instance(deps, s, ctx, ident, RULE + "show")
        port = deps.network.port(s, port_id) if deps.network is not None else None
        if port is None:
            raise NotFound(f"Port {port_id} could not be found.")
        if port.device_id != inst.id:
            raise NotFound(f"Instance {inst.id} does not have a port with id {port_id}")
        return _attachment(port, _tags(s, inst.id).get(port.id))
    return deps.db.read(work)


def _changeable(inst: cm.Instance, action: str) -> None:
    """Nova's 409 for a server busy with a task or in a state NICs cannot change in."""
    if inst.task_state is not None:
        raise Conflict(f"Cannot '{action}' instance {inst.id} while it is in task_state "
                       f"{inst.task_state}")
    if inst.vm_state not in CHANGEABLE:
        raise Conflict(f"Cannot '{action}' instance {inst.id} while it is in vm_state "
                       f"{inst.vm_state}")


def attach(deps: Deps, ctx: RequestContext, ident: str, *, net_id: str | None,
           port_id: str | None, fixed_ip: str | None, tag: str | None) -> Attachment:
    seam = deps.network
    if seam is None:
        raise BadRequest("Network service is not available.")

    def work(s: Session) -> Attachment:
        inst = visible_instance(deps, s, ctx, ident, RULE + "create", lock=True)
        check_lock(deps, ctx, inst)
        _changeable(inst, "attach_interface")
        nctx = service_context(inst.project_id, inst.user_id)
        if port_id:
            port = seam.port(s, port_id, lock=True)
            if port is None or (port.project_id != ctx.project_id and
                                not deps.is_admin(ctx)):
                raise NotFound(f"Port {port_id} could not be found.")
            if port.device_id:
                raise Conflict(f"Port {port_id} is still in use.")
            seam.claim_port(s, port_id, inst.id, networking.owner(inst.availability_zone))
            pid, user_port = port_id, True
        else:
            network = _network(s, deps, ctx, net_id)
            groups = seam.security_group_ids(s, nctx, networking.group_names(inst))
            try:
                port = seam.create_port(s, nctx, network_id=network, device_id=inst.id,
                                        device_owner=networking.owner(
                                            inst.availability_zone),
                                        fixed_ip=fixed_ip, security_groups=groups)
            except Conflict as exc:
                if fixed_ip and "already" in str(exc).lower():
                    raise Conflict(f"Fixed IP address {fixed_ip} is already in use on "
                                   "instance.") from exc
                raise BadRequest(str(exc)) from exc
            pid, user_port = port.id, False
        position = 1 + max([r.position for r in networking.rows_of(s, inst.id)] or [-1])
        row = RequestedNetwork(instance_id=inst.id, position=position,
                               network_id=port.network_id, port_id=pid,
                               user_port=user_port, fixed_ip=fixed_ip, tag=tag)
        if inst.host:
            seam.bind(s, pid, inst.host)
            row.bound_host, row.bound_at = inst.host, utcnow()
        s.add(row)
        records.start_action(s, inst, "attach_interface", ctx.request_id, ctx.user_id,
                             ctx.project_id)
        inst.updated_at = utcnow()
        s.flush()
        return _attachment(seam.port(s, pid), tag)
    return deps.db.write(work)


def _network(s: Session, deps: Deps, ctx: RequestContext, net_id: str | None) -> str:
    seam = deps.network
    if net_id:
        net = seam.network(s, ctx, net_id)
        if net is None:
            raise NotFound(f"Network {net_id} could not be found.")
        return net.id
    usable = seam.usable_networks(s, ctx)
    if len(usable) > 1:
        raise Conflict(networking.AMBIGUOUS)
    if not usable:
        raise BadRequest("No network available to attach the interface to.")
    return usable[0].id


def detach(deps: Deps, ctx: RequestContext, ident: str, port_id: str) -> None:
    """The port leaves the server now; its host is woken to unplug it from the guest and
    record the action's ``compute_detach_interface`` event."""
    seam = deps.network

    def work(s: Session) -> tuple[str | None, str]:
        inst = visible_instance(deps, s, ctx, ident, RULE + "delete", lock=True)
        check_lock(deps, ctx, inst)
        _changeable(inst, "detach_interface")
        port = seam.port(s, port_id) if seam is not None else None
        if port is None or port.device_id != inst.id:
            raise NotFound(f"Port {port_id} is not attached")
        rows = [r for r in networking.rows_of(s, inst.id) if r.port_id == port_id]
        user_port = rows[0].user_port if rows else True
        if user_port:
            seam.release_port(s, port_id)
        else:
            seam.delete_port(s, service_context(inst.project_id, inst.user_id), port_id)
        for row in rows:
            s.delete(row)
        records.start_action(s, inst, "detach_interface", ctx.request_id, ctx.user_id,
                             ctx.project_id)
        if not inst.host:  # no guest anywhere: nothing to unplug
            records.finish_actions(s, inst.id, "detach_interface",
                                   "compute_detach_interface", "")
        inst.updated_at = utcnow()
        return inst.host, inst.id
    host, instance_id = deps.db.write(work)
    if host:
        deps.bus.notify("compute." + host, instance_id)


def fixed_ip_change(deps: Deps, s: Session, ctx: RequestContext, inst: cm.Instance,
                    network_id: str | None = None, address: str | None = None) -> None:
    """``addFixedIp``: a new port on the network; ``removeFixedIp``: the port holding the
    address goes (Nova's deprecated multinic actions, before 2.44)."""
    seam = deps.network
    if seam is None:
        raise BadRequest("Network service is not available.")
    if network_id is not None:
        net = seam.network(s, ctx, network_id)
        if net is None:
            raise BadRequest(f"Network {network_id} could not be found.")
        nctx = service_context(inst.project_id, inst.user_id)
        port = seam.create_port(s, nctx, network_id=net.id, device_id=inst.id,
                                device_owner=networking.owner(inst.availability_zone),
                                security_groups=seam.security_group_ids(
                                    s, nctx, networking.group_names(inst)))
        position = 1 + max([r.position for r in networking.rows_of(s, inst.id)] or [-1])
        row = RequestedNetwork(instance_id=inst.id, position=position, network_id=net.id,
                               port_id=port.id, user_port=False)
        if inst.host:
            seam.bind(s, port.id, inst.host)
            row.bound_host, row.bound_at = inst.host, utcnow()
        s.add(row)
        return
    for port in networking.ports(s, seam, inst.id):
        if any(f["ip_address"] == address for f in port.fixed_ips):
            rows = [r for r in networking.rows_of(s, inst.id) if r.port_id == port.id]
            if rows and rows[0].user_port:
                seam.release_port(s, port.id)
            else:
                seam.delete_port(s, service_context(inst.project_id), port.id)
            for row in rows:
                s.delete(row)
            return
    raise BadRequest(f"Unable to find address {address}")



def add_fixed_ip(deps: Deps, ctx: RequestContext, ident: str, network_id: str) -> None:
    def work(s: Session) -> None:
        inst = visible_instance(deps, s, ctx, ident, "os_compute_api:os-multinic:add",
                                lock=True)
        check_lock(deps, ctx, inst)
        fixed_ip_change(deps, s, ctx, inst, network_id=network_id)
    deps.db.write(work)


def remove_fixed_ip(deps: Deps, ctx: RequestContext, ident: str, address: str) -> None:
    def work(s: Session) -> None:
        inst = visible_instance(deps, s, ctx, ident, "os_compute_api:os-multinic:remove",
                                lock=True)
        check_lock(deps, ctx, inst)
        fixed_ip_change(deps, s, ctx, inst, address=address)
    deps.db.write(work)

"""A server's NICs: what a boot asked for (validated in the boot's transaction and kept
as ``RequestedNetwork`` rows), the host agent's idempotent step that makes and binds the
ports, and the releases that undo it (delete, shelve-offload). Everything reaches the
network service through ``onestack.network.seam``, inside compute's transaction.

Nova's rules: with no ``networks`` a server gets a port on the project's one usable
network (several: 409, none: no NIC); ``auto`` is that network or the project's
auto-allocated one; ``none`` is no NIC. A port the user passed is only unbound when the
server goes; a port compute made is deleted with it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.compute import models as cm
from onestack.compute.network_models import RequestedNetwork
from onestack.core.context import RequestContext
from onestack.core.db import utcnow
from onestack.core.errors import BadRequest, Conflict, NotFound
from onestack.network.seam import NetworkSeam, PortInfo, service_context

AUTO, NONE = "auto", "none"
AMBIGUOUS = "Multiple possible networks found, use a Network ID to be more specific."


@dataclass
class Nic:
    """One entry of a boot's ``networks`` (parsed by the API)."""

    network_id: str | None = None
    port_id: str | None = None
    fixed_ip: str | None = None
    tag: str | None = None


def owner(zone: str | None) -> str:
    return f"compute:{zone or 'nova'}"


def group_names(inst: cm.Instance) -> list[str]:
    return list((inst.system_metadata or {}).get("security_groups") or ["default"])


# --- boot: the API's transaction ---------------------------------------------------------
def plan(s: Session, seam: NetworkSeam | None, ctx: RequestContext,
         networks: str | list[Nic] | None, count: int,
         security_groups: list[str] | None = None) -> list[Nic]:
    """The NICs each of ``count`` new servers gets, validated as Nova validates them
    (400 unknown network or port, 409 port in use or ambiguous networks)."""
    if seam is None:  # no network service in this cloud: nothing to plug into
        if isinstance(networks, list) and networks:
            first = networks[0]
            raise BadRequest(f"Network {first.network_id or first.port_id} could not be "
                             "found.")
        return []
    if networks == NONE:
        return []
    if security_groups:
        seam.security_group_ids(s, ctx, security_groups)  # 400 for an unknown group
    if networks is None or networks == AUTO:
        usable = seam.usable_networks(s, ctx)
        if len(usable) > 1:
            raise Conflict(AMBIGUOUS)
        if usable:
            return [Nic(network_id=usable[0].id)]
        if networks is None:
            return []
        found = seam.auto_allocate(s, ctx)
        if not found:
            raise BadRequest("Unable to automatically allocate a network for project "
                             f"{ctx.project_id}")
        return [Nic(network_id=found)]
    out = []
    for nic in networks:
        if nic.port_id:
            port = seam.port(s, nic.port_id, lock=True)
            if port is None or (port.project_id != ctx.project_id and
                                not seam.deps.is_admin(ctx)):
                raise BadRequest(f"Port id {nic.port_id} could not be found.")
            if port.device_id or port.device_owner.startswith("compute:"):
                raise Conflict(f"Port {nic.port_id} is still in use.")
            if count > 1:
                raise BadRequest("Unable to launch multiple instances with a single "
                                 "configured port ID. Please launch your instance one by "
                                 "one with different ports.")
            out.append(Nic(port.network_id, port.id, None, nic.tag))
            continue
        net = seam.network(s, ctx, nic.network_id or "")
        if net is None:
            raise BadRequest(f"Network {nic.network_id} could not be found.")
        if nic.fixed_ip and count > 1:
            raise BadRequest("max_count cannot be greater than 1 if an fixed_ip is "
                             "specified.")
        out.append(Nic(net.id, None, nic.fixed_ip, nic.tag))
    return out


def record(s: Session, seam: NetworkSeam | None, inst: cm.Instance, nics: list[Nic]) -> None:
    """The new server's NIC rows; a port the user passed is claimed at once (so two boots
    cannot both take it)."""
    for position, nic in enumerate(nics):
        if nic.port_id and seam is not None:
            seam.claim_port(s, nic.port_id, inst.id, owner(inst.availability_zone))
        s.add(RequestedNetwork(instance_id=inst.id, position=position,
                               network_id=nic.network_id, port_id=nic.port_id,
                               user_port=bool(nic.port_id), fixed_ip=nic.fixed_ip,
                               tag=nic.tag))


def rows_of(s: Session, instance_id: str) -> list[RequestedNetwork]:
    return list(s.scalars(sa.select(RequestedNetwork).where(
        RequestedNetwork.instance_id == instance_id).order_by(
        RequestedNetwork.position, RequestedNetwork.id)))


# --- the host agent's step -----------------------------------------------------------------
@dataclass
class Plugged:
    wired: bool
    since: datetime | None  # when the last bind happened (the wait counts from there)
    port_ids: list[str]


def plug(s: Session, seam: NetworkSeam, inst: cm.Instance, host: str) -> Plugged:
    """Make the ports still missing (found by the row first, so a retry makes none
    twice), bind every port to ``host``, and say whether the network agent has wired
    them all. Raises the network service's 4xx when a port cannot be made."""
    ctx = service_context(inst.project_id, inst.user_id)
    rows = rows_of(s, inst.id)
    groups: list[str] | None = None
    looked_up = False
    since: datetime | None = None
    for row in rows:
        if row.port_id is None:
            if not looked_up:
                groups, looked_up = port_groups(s, seam, ctx, inst), True
            port = seam.create_port(s, ctx, network_id=row.network_id or "",
                                    device_id=inst.id,
                                    device_owner=owner(inst.availability_zone),
                                    fixed_ip=row.fixed_ip, security_groups=groups)
            row.port_id = port.id
        if row.bound_host != host:
            seam.bind(s, row.port_id, host)
            row.bound_host, row.bound_at = host, utcnow()
        if row.bound_at is not None and (since is None or row.bound_at > since):
            since = row.bound_at
    s.flush()
    ids = [r.port_id for r in rows if r.port_id]
    return Plugged(seam.ports_wired(s, ids, host), since, ids)


def port_groups(s: Session, seam: NetworkSeam, ctx: RequestContext, inst: cm.Instance
                ) -> list[str] | None:
    """The group ids a new port of the server asks for. Only ``default`` (asked for or
    implied) asks for none, as Nova does: the network service then gives its default
    group, or no group on a network without port security, where naming one is a 409."""
    names = group_names(inst)
    return None if names == ["default"] else seam.security_group_ids(s, ctx, names)


def unplug(s: Session, seam: NetworkSeam | None, instance_id: str) -> None:
    """Shelve-offload: the ports stay the server's, bound nowhere."""
    if seam is None:
        return
    for row in rows_of(s, instance_id):
        if row.port_id:
            seam.unbind(s, row.port_id)
        row.bound_host, row.bound_at = None, None


def release(s: Session, seam: NetworkSeam | None, inst: cm.Instance) -> None:
    """The server is gone: ports compute made are deleted, ports the user passed are
    unbound and given back; the rows go."""
    rows = rows_of(s, inst.id)
    if seam is not None:
        ctx = service_context(inst.project_id, inst.user_id)
        for row in rows:
            if not row.port_id:
                continue
            if row.user_port:
                seam.release_port(s, row.port_id)
            else:
                seam.delete_port(s, ctx, row.port_id)
    for row in rows:
        s.delete(row)


# --- reads ---------------------------------------------------------------------------------
def addresses(s: Session, seam: NetworkSeam | None, instance_ids: list[str]
              ) -> dict[str, dict[str, list[dict[str, Any]]]]:
    if seam is None or not instance_ids:
        return {}
    return seam.addresses(s, instance_ids)


def ports(s: Session, seam: NetworkSeam | None, instance_id: str) -> list[PortInfo]:
    if seam is None:
        return []
    return seam.ports_of(s, [instance_id]).get(instance_id, [])


def addresses_of(deps: Any, instance_ids: list[str]
                 ) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """The addresses of a page of servers, in one read (nothing without a network)."""
    seam = getattr(deps, "network", None)
    if seam is None or not instance_ids:
        return {}
    return deps.db.read(lambda s: seam.addresses(s, instance_ids))


def groups_of(deps: Any, instance_id: str) -> list[str] | None:
    """The names of the security groups on the server's ports (None: no ports, or no
    network service)."""
    seam = getattr(deps, "network", None)
    if seam is None:
        return None
    return deps.db.read(lambda s: groups_in(s, seam, instance_id))


def groups_in(s: Session, seam: NetworkSeam | None, instance_id: str) -> list[str] | None:
    """``groups_of`` inside the caller's transaction."""
    if seam is None:
        return None
    port_ids = [p.id for p in seam.ports_of(s, [instance_id]).get(instance_id, [])]
    if not port_ids:
        return None
    names = seam.group_names(s, port_ids)
    return list(dict.fromkeys(n for p in port_ids for n in names[p]))


def rebind(s: Session, seam: NetworkSeam | None, instance_id: str, host: str) -> None:
    """A move landed on ``host``: every port of the server is bound there (no wait: the
    guest already runs)."""
    if seam is None:
        return
    for row in rows_of(s, instance_id):
        if row.port_id and row.bound_host != host:
            seam.bind(s, row.port_id, host)
            row.bound_host, row.bound_at = host, utcnow()


def change_group(s: Session, seam: NetworkSeam | None, inst: cm.Instance, name: str,
                 add: bool) -> bool:
    """add/removeSecurityGroup on the server's ports (False: it has none, so only the
    names it keeps change). Nova's answers: an unknown group 404, adding one already
    there or removing one that is not 400."""
    if seam is None:
        return False
    ports = seam.ports_of(s, [inst.id]).get(inst.id, [])
    if not ports:
        return False
    ctx = service_context(inst.project_id, inst.user_id)
    try:
        [gid] = seam.security_group_ids(s, ctx, [name])
    except BadRequest as exc:
        raise NotFound(f"Security group {name} not found for project "
                       f"{inst.project_id}.") from exc
    if add:
        if all(gid in p.security_groups for p in ports):
            raise BadRequest(f"Security group {name} is already associated with the "
                             "instance")
        for p in ports:
            if gid not in p.security_groups:
                seam.set_port_groups(s, p.id, [*p.security_groups, gid])
    else:
        if not any(gid in p.security_groups for p in ports):
            raise BadRequest(f"Security group {name} not associated with the instance")
        for p in ports:
            seam.set_port_groups(s, p.id, [g for g in p.security_groups if g != gid])
    return True


def _pattern(value: str) -> re.Pattern[str]:
    try:
        return re.compile(value)
    except re.error:
        return re.compile(re.escape(value))


def with_ip(s: Session, seam: NetworkSeam | None, rows: list[cm.Instance],
            ip: str | None, ip6: str | None) -> list[cm.Instance]:
    """The servers with a fixed address matching ``ip`` (IPv4) and ``ip6`` (IPv6), each
    a regular expression searched in the address, as Nova filters (none without a
    network service)."""
    wanted = [(version, _pattern(p)) for version, p in ((4, ip), (6, ip6)) if p]
    if not wanted:
        return rows
    if seam is None or not rows:
        return []
    found = seam.addresses(s, [r.id for r in rows])
    keep = []
    for row in rows:
        fixed = [(a["version"], a["addr"]) for entries in found.get(row.id, {}).values()
                 for a in entries if a["OS-EXT-IPS:type"] == "fixed"]
        if all(any(v == version and p.search(addr) for v, addr in fixed)
               for version, p in wanted):
            keep.append(row)
    return keep

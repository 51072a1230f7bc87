"""A port's addresses: what it asks for (or nothing: one IPv4 and one stateful IPv6
address from the first subnets with room), its SLAAC addresses, changes of its fixed IPs
(kept, freed, added), and the ``fixed_ips`` list filter. Each address is taken through
``service.ipam`` (a savepoint per try; the database's keys settle races)."""
from __future__ import annotations

import ipaddress
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.errors import BadRequest
from onestack.network.models.ports import IPAllocation, Port
from onestack.network.models.subnets import Subnet
from onestack.network.service import ipam
from onestack.network.service.query import ids_clause

ROUTER_INTERFACE_OWNERS = ("network:router_interface", "network:router_interface_distributed",
                           "network:ha_router_replicated_interface",
                           "network:router_centralized_snat")
MAX_FIXED_IPS = 5


def is_router_port(owner: str) -> bool:
    return owner in ROUTER_INTERFACE_OWNERS


def too_many() -> BadRequest:
    return BadRequest("Exceeded maximum amount of fixed ips per port.", kind="InvalidInput")


SUBNETS_ON = sa.select(Subnet).where(Subnet.network_id == sa.bindparam("network_id")) \
    .order_by(Subnet.created_at, Subnet.id)  # built once: every port create runs it


def subnets_on(s: Session, network_id: str) -> list[Subnet]:
    return list(s.scalars(SUBNETS_ON, {"network_id": network_id}))


def allocate(s: Session, row: Port, requests: list[dict[str, str]] | None,
             *, held: list[tuple[str, str]] = ()) -> list[tuple[str, str]]:
    """Give the port the addresses asked for (None: one IPv4 and one stateful IPv6
    address from the first subnets with room), plus its SLAAC address on every
    auto-address subnet (router ports excepted). ``held``: (subnet, ip) it keeps.
    Returns the (subnet, ip) pairs taken now."""
    taken: list[tuple[str, str]] = []
    subnets = subnets_on(s, row.network_id)
    by_id = {sn.id: sn for sn in subnets}
    router = is_router_port(row.device_owner)
    covered = {sid for sid, _ in held}
    if requests is None:
        for group in ([sn for sn in subnets if sn.ip_version == 4],
                      [sn for sn in subnets if sn.ip_version == 6
                       and not ipam.is_auto_address(sn)]):
            if not group:
                continue
            for sn in group:
                ip = ipam.allocate_any(s, sn, row.id)
                if ip is not None:
                    taken.append((sn.id, ip))
                    covered.add(sn.id)
                    break
            else:
                raise ipam.generation_failure(row.network_id)
    else:
        for req in requests:
            sn = subnet_for(row, req, by_id, subnets)
            covered.add(sn.id)
            auto = ipam.is_auto_address(sn) and not router
            if "ip_address" in req:
                if auto:
                    raise BadRequest(
                        f"Invalid input for operation: IPv6 address {req['ip_address']} "
                        f"cannot be directly assigned to a port on subnet {sn.id} as the "
                        "subnet is configured for automatic addresses.",
                        kind="InvalidInput")
                taken.append((sn.id, ipam.allocate_specific(
                    s, sn, req["ip_address"], row.id, row.device_owner)))
            elif auto:
                taken.append((sn.id, ipam.allocate_auto(s, sn, row.mac_address, row.id)))
            else:
                ip = ipam.allocate_any(s, sn, row.id)
                if ip is None:
                    raise ipam.generation_failure(row.network_id)
                taken.append((sn.id, ip))
    if not router:
        for sn in subnets:
            if ipam.is_auto_address(sn) and sn.id not in covered:
                taken.append((sn.id, ipam.allocate_auto(s, sn, row.mac_address, row.id)))
    return taken


def subnet_for(row: Port, req: dict[str, str], by_id: dict[str, Any],
               subnets: list[Any]) -> Any:
    if "subnet_id" in req:
        sn = by_id.get(req["subnet_id"])
        if sn is None:
            raise BadRequest(f"Invalid input for operation: Failed to create port on "
                             f"network {row.network_id}, because fixed_ips included "
                             f"invalid subnet {req['subnet_id']}.", kind="InvalidInput")
        if "ip_address" in req and not ipam.valid_host(sn, req["ip_address"],
                                                      row.device_owner):
            raise ipam.invalid_for_subnet(req["ip_address"])
        return sn
    ip = ipaddress.ip_address(req["ip_address"])
    for sn in subnets:
        if ip in ipaddress.ip_network(sn.cidr):
            return sn
    raise BadRequest(f"IP address {ip} is not a valid IP for any of the subnets on the "
                     "specified network.", kind="InvalidIpForNetwork")


def change_fixed_ips(s: Session, row: Port, requests: list[dict[str, str]]) -> None:
    """Replace the port's addresses: the ones still asked for stay, the rest go back
    to their pools, new ones are taken (SLAAC addresses stay)."""
    if len(requests) > MAX_FIXED_IPS:
        raise too_many()
    current = [(a.subnet_id, a.ip_address) for a in s.scalars(
        sa.select(IPAllocation).where(IPAllocation.port_id == row.id))]
    remaining, keep, wanted = list(current), [], []
    for req in requests:
        match = next((c for c in remaining
                      if ("ip_address" not in req or c[1] == req["ip_address"])
                      and ("subnet_id" not in req or c[0] == req["subnet_id"])), None)
        if match is None:
            wanted.append(req)
        else:
            remaining.remove(match)
            keep.append(match)
    if remaining and not is_router_port(row.device_owner):
        auto = {sn.id for sn in subnets_on(s, row.network_id)
                if ipam.is_auto_address(sn)}
        asked = {r.get("subnet_id") for r in requests}
        kept_auto = [c for c in remaining if c[0] in auto and c[0] not in asked]
        keep += kept_auto
        remaining = [c for c in remaining if c not in kept_auto]
    for subnet_id, ip in remaining:
        s.execute(sa.delete(IPAllocation).where(IPAllocation.subnet_id == subnet_id,
                                                IPAllocation.ip_address == ip,
                                                IPAllocation.port_id == row.id))
    s.flush()
    allocate(s, row, wanted, held=keep)


def renumber_slaac(s: Session, row: Port) -> None:
    """A new MAC moves the port's SLAAC addresses to its new EUI-64 ones."""
    s.flush()
    if is_router_port(row.device_owner):
        return
    auto = {sn.id: sn for sn in subnets_on(s, row.network_id)
            if ipam.is_auto_address(sn)}
    held = [a for a in s.scalars(sa.select(IPAllocation).where(
        IPAllocation.port_id == row.id)) if a.subnet_id in auto]
    for a in held:
        s.delete(a)
    s.flush()
    for a in held:
        ipam.allocate_auto(s, auto[a.subnet_id], row.mac_address, row.id)


def fixed_ips_of(s: Session, port_ids: list[str]
                 ) -> dict[str, list[dict[str, str]]]:
    """Each port's addresses, IPv4 first, in address order."""
    found: dict[str, list[tuple[str, str]]] = {}
    for start in range(0, len(port_ids), 500):
        for port_id, subnet_id, ip in s.execute(sa.select(
                IPAllocation.port_id, IPAllocation.subnet_id, IPAllocation.ip_address)
                .where(ids_clause(s, IPAllocation.port_id, port_ids[start:start + 500]))):
            found.setdefault(port_id, []).append((subnet_id, ip))
    return {pid: fixed_ips_view(pairs) for pid, pairs in found.items()}


def fixed_ips_view(pairs: list[tuple[str, str]]) -> list[dict[str, str]]:
    """(subnet, ip) pairs as the API shows ``fixed_ips``: IPv4 first, in address order."""
    return [{"subnet_id": sid, "ip_address": ip} for _, _, sid, ip in sorted(
        (6 if ":" in ip else 4, ipam.ip_int(ip), sid, ip) for sid, ip in pairs)]


def fixed_ips_clause(values: list[str]) -> Any:
    """``fixed_ips=ip_address=X``, ``subnet_id=Y``, ``ip_address_substr=Z``: one
    address of the port matches them all."""
    ips, subnets, parts = [], [], []
    for value in values:
        key, sep, wanted = value.partition("=")
        if not sep or key not in ("ip_address", "subnet_id", "ip_address_substr"):
            raise BadRequest(f"Invalid input for fixed_ips filter: '{value}'",
                             kind="HTTPBadRequest")
        if key == "ip_address":
            try:
                ips.append(str(ipaddress.ip_address(wanted)))
            except ValueError:
                ips.append(wanted)
        elif key == "subnet_id":
            subnets.append(wanted)
        else:
            parts.append(wanted)
    clauses = [IPAllocation.port_id == Port.id]
    if ips:
        clauses.append(IPAllocation.ip_address.in_(ips))
    if subnets:
        clauses.append(IPAllocation.subnet_id.in_(subnets))
    for part in parts:
        escaped = part.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        clauses.append(IPAllocation.ip_address.like(f"%{escaped}%", escape="\\"))
    return sa.exists().where(*clauses)

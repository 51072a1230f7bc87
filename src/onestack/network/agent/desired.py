"""The desired wiring of one host, read from the database and resolved into the driver's
value objects: the ports bound to the host with their security rules (remote groups and
address groups turned into CIDRs), the networks they and the hosted routers and DHCP
servers need, each hosted router with its legs, routes and NAT, and each DHCP server with
its subnets and host entries.

Reads only, in the caller's session, a bounded number of queries per call whatever the
number of ports (the full comparison of a host reads everything at once).
"""
from __future__ import annotations

import ipaddress
from collections import defaultdict
from typing import Any, Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.network.drivers.base import (AddressPair, DhcpHost, DhcpSpec, DhcpSubnet,
                                           FixedIp, FloatingIp, NetworkSpec, PortForwarding,
                                           PortSpec, Route, RouterGateway, RouterInterface,
                                           RouterSpec, SecurityRule, Segment)
from onestack.network.models.agents import L3Binding
from onestack.network.models.floatingips import FloatingIP
from onestack.network.models.floatingips import PortForwarding as PortForwardingRow
from onestack.network.models.l2 import Network
from onestack.network.models.ports import (AllowedAddressPair, IPAllocation, Port,
                                           PortSecurityGroup)
from onestack.network.models.routers import Router, RouterPort, RouterRoute
from onestack.network.models.security import (AddressGroupAddress, SecurityGroup,
                                              SecurityGroupRule)
from onestack.network.models.subnets import AllocationPool, DNSNameServer, HostRoute, Subnet

DHCP_OWNER = "network:dhcp"
GATEWAY_OWNER = "network:router_gateway"
ANY = {"IPv4": "0.0.0.0/0", "IPv6": "::/0"}


def is_infrastructure(device_owner: str | None) -> bool:
    """Ports the agent wires as part of a router or DHCP server, not as a plain port."""
    return bool(device_owner) and str(device_owner).startswith("network:")


def chunks(ids: list[str], size: int = 500) -> Iterable[list[str]]:
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


def _version(address: str) -> int:
    return ipaddress.ip_network(address, strict=False).version


# --- networks ----------------------------------------------------------------------------

def network_specs(s: Session, ids: Iterable[str]) -> dict[str, NetworkSpec]:
    wanted = sorted(set(ids))
    out: dict[str, NetworkSpec] = {}
    for part in chunks(wanted):
        for row in s.scalars(sa.select(Network).where(Network.id.in_(part))):
            out[row.id] = NetworkSpec(row.id, Segment(
                row.provider_network_type or "local", row.provider_physical_network,
                row.provider_segmentation_id), int(row.mtu or 1500), bool(row.admin_state_up))
    return out


# --- ports -------------------------------------------------------------------------------

def bound_port_ids(s: Session, host: str) -> list[str]:
    """The plain ports bound to ``host`` (routers' and DHCP ports come with those)."""
    return list(s.scalars(sa.select(Port.id).where(
        Port.binding_host_id == host,
        sa.or_(Port.device_owner.is_(None), Port.device_owner.not_like("network:%")))))


def port_specs(s: Session, ids: Iterable[str]) -> dict[str, PortSpec]:
    """Each port's spec, rules resolved (ports that are gone are absent)."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows: list[Port] = []
    for part in chunks(wanted):
        rows += s.scalars(sa.select(Port).where(Port.id.in_(part)))
    ips = fixed_ips(s, [r.id for r in rows])
    mtus = {n.id: n.mtu for n in network_specs(s, {r.network_id for r in rows}).values()}
    pairs: dict[str, list[AddressPair]] = defaultdict(list)
    groups: dict[str, list[str]] = defaultdict(list)
    for part in chunks([r.id for r in rows]):
        for pair in s.scalars(sa.select(AllowedAddressPair).where(
                AllowedAddressPair.port_id.in_(part)).order_by(AllowedAddressPair.position)):
            pairs[pair.port_id].append(AddressPair(pair.ip_address, pair.mac_address))
        for port_id, group_id in s.execute(sa.select(
                PortSecurityGroup.port_id, PortSecurityGroup.security_group_id).where(
                PortSecurityGroup.port_id.in_(part))):
            groups[port_id].append(group_id)
    rules, stateful = group_rules(s, {g for gs in groups.values() for g in gs})
    out = {}
    for row in rows:
        mine = sorted(set(groups.get(row.id, [])))
        secured = bool(row.port_security_enabled)
        out[row.id] = PortSpec(
            row.id, row.network_id, row.mac_address, tuple(ips.get(row.id, ())),
            mtu=mtus.get(row.network_id, 1500), admin_state_up=bool(row.admin_state_up),
            device_owner=row.device_owner or "", device_id=row.device_id or "",
            port_security=secured,
            stateful=all(stateful.get(g, True) for g in mine),
            security_rules=tuple(sorted({r for g in mine for r in rules.get(g, ())},
                                        key=_rule_key)) if secured else (),
            allowed_address_pairs=tuple(pairs.get(row.id, ())))
    return out


def fixed_ips(s: Session, port_ids: list[str]) -> dict[str, list[FixedIp]]:
    """Each port's addresses with their subnets' CIDRs, in address order."""
    out: dict[str, list[FixedIp]] = defaultdict(list)
    for part in chunks(port_ids):
        for port_id, subnet_id, ip, cidr in s.execute(sa.select(
                IPAllocation.port_id, IPAllocation.subnet_id, IPAllocation.ip_address,
                Subnet.cidr).join(Subnet, Subnet.id == IPAllocation.subnet_id).where(
                IPAllocation.port_id.in_(part))):
            out[port_id].append(FixedIp(subnet_id, ip, cidr))
    for entries in out.values():
        entries.sort(key=lambda f: (_version(f.ip_address),
                                    int(ipaddress.ip_address(f.ip_address))))
    return out


def _rule_key(rule: SecurityRule) -> tuple[Any, ...]:
    return (rule.direction, rule.ethertype, rule.protocol or "", rule.port_range_min or 0,
            rule.port_range_max or 0, rule.remote_cidrs)


def group_rules(s: Session, group_ids: set[str]
                ) -> tuple[dict[str, list[SecurityRule]], dict[str, bool]]:
    """Each group's rules with their remotes resolved to CIDRs, and whether it is
    stateful: a remote group means the addresses of the ports in it now, an address
    group its addresses, no remote at all anyone."""
    ids = sorted(group_ids)
    if not ids:
        return {}, {}
    stateful = {g.id: bool(g.stateful) for part in chunks(ids)
                for g in s.scalars(sa.select(SecurityGroup).where(SecurityGroup.id.in_(part)))}
    rows = [r for part in chunks(ids) for r in s.scalars(sa.select(SecurityGroupRule).where(
        SecurityGroupRule.security_group_id.in_(part)))]
    members = _group_members(s, {r.remote_group_id for r in rows if r.remote_group_id})
    address_groups = _address_groups(s, {r.remote_address_group_id for r in rows
                                         if r.remote_address_group_id})
    out: dict[str, list[SecurityRule]] = defaultdict(list)
    for r in rows:
        ethertype = r.ethertype or "IPv4"
        version = 6 if ethertype == "IPv6" else 4
        if r.remote_group_id:
            remotes = members.get(r.remote_group_id, [])
        elif r.remote_address_group_id:
            remotes = address_groups.get(r.remote_address_group_id, [])
        elif r.remote_ip_prefix:
            remotes = [r.remote_ip_prefix]
        else:
            remotes = [ANY[ethertype]]
        cidrs = tuple(sorted({str(ipaddress.ip_network(c, strict=False)) for c in remotes
                              if _version(c) == version}))
        out[r.security_group_id].append(SecurityRule(
            r.direction, ethertype, r.protocol, r.port_range_min, r.port_range_max, cidrs))
    return out, stateful


def _group_members(s: Session, group_ids: set[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    for part in chunks(sorted(group_ids)):
        for group_id, ip in s.execute(sa.select(
                PortSecurityGroup.security_group_id, IPAllocation.ip_address).join(
                IPAllocation, IPAllocation.port_id == PortSecurityGroup.port_id).where(
                PortSecurityGroup.security_group_id.in_(part))):
            out[group_id].append(ip)
    return out


def _address_groups(s: Session, group_ids: set[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    for part in chunks(sorted(group_ids)):
        for group_id, address in s.execute(sa.select(
                AddressGroupAddress.address_group_id, AddressGroupAddress.address).where(
                AddressGroupAddress.address_group_id.in_(part))):
            out[group_id].append(address)
    return out


# --- routers -----------------------------------------------------------------------------

def router_specs(s: Session, ids: Iterable[str]) -> dict[str, RouterSpec]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    routers = [r for part in chunks(wanted)
               for r in s.scalars(sa.select(Router).where(Router.id.in_(part)))]
    legs = [leg for part in chunks(wanted) for leg in s.scalars(
        sa.select(RouterPort).where(RouterPort.router_id.in_(part)))]
    ports = {p.id: p for part in chunks([leg.port_id for leg in legs])
             for p in s.scalars(sa.select(Port).where(Port.id.in_(part)))}
    ips = fixed_ips(s, list(ports))
    mtus = {n.id: n.mtu for n in network_specs(s, {p.network_id for p in ports.values()})
            .values()}
    gateways = _subnet_gateways(s, {f.subnet_id for fs in ips.values() for f in fs})
    routes: dict[str, list[Route]] = defaultdict(list)
    nat: dict[str, list[FloatingIp]] = defaultdict(list)
    forwards: dict[str, list[PortForwarding]] = defaultdict(list)
    for part in chunks(wanted):
        for row in s.scalars(sa.select(RouterRoute).where(RouterRoute.router_id.in_(part))):
            routes[row.router_id].append(Route(row.destination, row.nexthop))
        for fip in s.scalars(sa.select(FloatingIP).where(
                FloatingIP.router_id.in_(part), FloatingIP.fixed_ip_address.is_not(None))):
            nat[fip.router_id].append(FloatingIp(fip.floating_ip_address,
                                                 fip.fixed_ip_address))
        for fip_router, address, pf in s.execute(sa.select(
                FloatingIP.router_id, FloatingIP.floating_ip_address, PortForwardingRow)
                .join(PortForwardingRow, PortForwardingRow.floatingip_id == FloatingIP.id)
                .where(FloatingIP.router_id.in_(part))):
            forwards[fip_router].append(PortForwarding(
                address, pf.protocol, pf.external_port_start, pf.internal_ip_address,
                pf.internal_port_start,
                None if pf.external_port_end == pf.external_port_start
                else pf.external_port_end,
                None if pf.internal_port_end == pf.internal_port_start
                else pf.internal_port_end))
    by_router: dict[str, list[RouterPort]] = defaultdict(list)
    for leg in legs:
        by_router[leg.router_id].append(leg)
    out = {}
    for r in routers:
        gateway, interfaces = None, []
        for leg in sorted(by_router.get(r.id, []), key=lambda x: x.port_id):
            port = ports.get(leg.port_id)
            if port is None:
                continue
            mine = ips.get(port.id, [])
            cidrs = tuple(f"{f.ip_address}/{f.cidr.split('/')[1]}" for f in mine)
            mtu = mtus.get(port.network_id, 1500)
            if port.device_owner == GATEWAY_OWNER or leg.port_id == r.gw_port_id:
                hops = tuple(sorted({gateways[f.subnet_id] for f in mine
                                     if gateways.get(f.subnet_id)}))
                gateway = RouterGateway(port.id, port.network_id, port.mac_address, cidrs,
                                        hops, bool(r.enable_snat), mtu)
            else:
                interfaces.append(RouterInterface(port.id, port.network_id,
                                                  port.mac_address, cidrs, mtu))
        out[r.id] = RouterSpec(
            r.id, bool(r.admin_state_up), gateway, tuple(interfaces),
            tuple(sorted(routes.get(r.id, []), key=lambda x: (x.destination, x.nexthop))),
            tuple(sorted(nat.get(r.id, []), key=lambda x: x.floating_ip)),
            tuple(sorted(forwards.get(r.id, []), key=lambda x: (
                x.floating_ip, x.protocol, x.external_port))))
    return out


def router_port_ids(s: Session, router_ids: Iterable[str]) -> dict[str, list[str]]:
    """Router id → its ports (gateway and interfaces)."""
    out: dict[str, list[str]] = defaultdict(list)
    for part in chunks(sorted(set(router_ids))):
        for router_id, port_id in s.execute(sa.select(RouterPort.router_id, RouterPort.port_id)
                                            .where(RouterPort.router_id.in_(part))):
            out[router_id].append(port_id)
    return out


def router_floating_ips(s: Session, router_ids: Iterable[str]) -> dict[str, str]:
    """floating IP id → its status, for every floating IP routed by these routers."""
    out: dict[str, str] = {}
    for part in chunks(sorted(set(router_ids))):
        out.update(s.execute(sa.select(FloatingIP.id, FloatingIP.status).where(
            FloatingIP.router_id.in_(part))).all())
    return out


def routers_with_inactive_fips(s: Session, router_ids: Iterable[str]) -> set[str]:
    """Routers (of these) with an associated floating IP not yet ACTIVE."""
    out: set[str] = set()
    for part in chunks(sorted(set(router_ids))):
        out.update(s.scalars(sa.select(FloatingIP.router_id).where(
            FloatingIP.router_id.in_(part), FloatingIP.fixed_ip_address.is_not(None),
            FloatingIP.status != "ACTIVE")))
    return out


def unhosted_router_ids(s: Session) -> list[str]:
    """Routers no L3 agent hosts."""
    return list(s.scalars(sa.select(Router.id).where(
        Router.id.not_in(sa.select(L3Binding.router_id))).order_by(Router.id)))


def unhosted_routers_shown_active(s: Session) -> set[str]:
    """Unhosted routers with a port or a floating IP still ``ACTIVE`` (hosted nowhere,
    they route nothing)."""
    hosted = sa.select(L3Binding.router_id)
    out = set(s.scalars(sa.select(FloatingIP.router_id).where(
        FloatingIP.router_id.is_not(None), FloatingIP.router_id.not_in(hosted),
        FloatingIP.status == "ACTIVE").distinct()))
    out.update(s.scalars(sa.select(RouterPort.router_id).join(
        Port, Port.id == RouterPort.port_id).where(
        RouterPort.router_id.not_in(hosted), Port.status == "ACTIVE").distinct()))
    return out


def _subnet_gateways(s: Session, subnet_ids: set[str]) -> dict[str, str | None]:
    return {sid: gw for part in chunks(sorted(subnet_ids))
            for sid, gw in s.execute(sa.select(Subnet.id, Subnet.gateway_ip).where(
                Subnet.id.in_(part)))}


# --- DHCP --------------------------------------------------------------------------------

def dhcp_subnets(s: Session, network_ids: Iterable[str]) -> dict[str, list[DhcpSubnet]]:
    """network id → its subnets with DHCP enabled (networks without one are absent)."""
    subnets = [sub for part in chunks(sorted(set(network_ids))) for sub in s.scalars(
        sa.select(Subnet).where(Subnet.network_id.in_(part), Subnet.enable_dhcp.is_(True)))]
    ids = [sub.id for sub in subnets]
    pools: dict[str, list[tuple[str, str]]] = defaultdict(list)
    dns: dict[str, list[tuple[int, str]]] = defaultdict(list)
    routes: dict[str, list[tuple[int, str, str]]] = defaultdict(list)
    for part in chunks(ids):
        for pool in s.scalars(sa.select(AllocationPool).where(
                AllocationPool.subnet_id.in_(part))):
            pools[pool.subnet_id].append((pool.first_ip, pool.last_ip))
        for server in s.scalars(sa.select(DNSNameServer).where(
                DNSNameServer.subnet_id.in_(part))):
            dns[server.subnet_id].append((server.position or 0, server.address))
        for route in s.scalars(sa.select(HostRoute).where(HostRoute.subnet_id.in_(part))):
            routes[route.subnet_id].append((route.position or 0, route.destination,
                                            route.nexthop))
    out: dict[str, list[DhcpSubnet]] = defaultdict(list)
    for sub in sorted(subnets, key=lambda x: x.id):
        out[sub.network_id].append(DhcpSubnet(
            sub.id, sub.cidr, int(sub.ip_version), tuple(sorted(pools.get(sub.id, []))),
            sub.gateway_ip, tuple(a for _, a in sorted(dns.get(sub.id, []))),
            tuple((d, n) for _, d, n in sorted(routes.get(sub.id, []))),
            sub.ipv6_address_mode))
    return out


def dhcp_port_id(s: Session, network_id: str, device_id: str) -> str | None:
    return s.scalar(sa.select(Port.id).where(Port.network_id == network_id,
                                             Port.device_owner == DHCP_OWNER,
                                             Port.device_id == device_id))


def dhcp_spec(s: Session, network_id: str, subnets: list[DhcpSubnet],
              port_id: str | None) -> DhcpSpec:
    """The server of one network: its subnets and a host entry per address of every
    port of the network in them."""
    served = {sub.subnet_id for sub in subnets}
    hosts = []
    for mac, ip, subnet_id in s.execute(sa.select(
            Port.mac_address, IPAllocation.ip_address, IPAllocation.subnet_id).join(
            IPAllocation, IPAllocation.port_id == Port.id).where(
            Port.network_id == network_id)):
        if subnet_id in served:
            hosts.append(DhcpHost(mac, ip, "host-" + ip.replace(".", "-").replace(":", "-")))
    network = s.get(Network, network_id)
    port = port_specs(s, [port_id]).get(port_id) if port_id else None
    return DhcpSpec(network_id, port, tuple(subnets),
                    tuple(sorted(hosts, key=lambda h: (h.ip_address, h.mac))),
                    (network.dns_domain or "") if network else "",
                    int(network.mtu or 1500) if network else 1500)


def networks_wanting_dhcp(s: Session, host: str) -> list[str]:
    """Networks with a DHCP-enabled subnet and a port bound to ``host``."""
    return list(s.scalars(sa.select(Port.network_id).distinct().join(
        Subnet, Subnet.network_id == Port.network_id).where(
        Port.binding_host_id == host, Subnet.enable_dhcp.is_(True),
        sa.or_(Port.device_owner.is_(None), Port.device_owner.not_like("network:%")))))


def unserved_dhcp_networks(s: Session, served: Iterable[str]) -> list[str]:
    """Networks with a DHCP-enabled subnet that no DHCP agent serves (``served``: every
    network some agent serves): Neutron schedules a network once such a subnet exists."""
    have = set(served)
    ids = s.scalars(sa.select(Subnet.network_id).distinct().where(Subnet.enable_dhcp.is_(True)))
    return [i for i in ids if i not in have]


def port_rows(s: Session, ids: Iterable[str]) -> dict[str, Any]:
    """(status, admin_state_up, binding host, device_id, device_owner) per port id."""
    out: dict[str, Any] = {}
    for part in chunks(sorted(set(ids))):
        for row in s.execute(sa.select(Port.id, Port.status, Port.admin_state_up,
                                       Port.binding_host_id, Port.device_id,
                                       Port.device_owner).where(Port.id.in_(part))):
            out[row.id] = row
    return out

"""Subnets: their CIDR (given, or carved out of a subnet pool), gateway, allocation
pools, DNS nameservers, host routes, IPv6 modes and service types, checked as Neutron
checks them; who sees them (their own, and those of every network the caller sees); and
what deleting one (or its network) takes with it.

What other collections call, inside their own transaction (``s``):
``ids_by_network(s, network_ids)``, ``subnets_of(s, network_id)``,
``delete_for_network(s, ctx, network)``. What this one calls on ``ports``, when that
collection is there: ``subnet_in_use(s, subnet)``, ``release_subnet(s, ctx, subnet)``,
``used_ips(s, subnet_id)``, and, optional, ``ip_holder(s, subnet_id, ip) -> port id |
None`` and ``add_auto_addresses(s, ctx, subnet)`` (a new SLAAC subnet's addresses for
the network's ports).
"""
from __future__ import annotations

import ipaddress
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, object_session

from onestack.core.context import RequestContext
from onestack.core.errors import BadRequest, Conflict
from onestack.network.models.l2 import Network
from onestack.network.models.subnets import (AllocationPool, DNSNameServer, HostRoute,
                                             Subnet, SubnetPool, SubnetServiceType)
from onestack.network.resources.subnets import SUBNET
from onestack.network.service import subnet_math as m
from onestack.network.service.engine import Collection

MAX_DNS_NAMESERVERS = 5
MAX_HOST_ROUTES = 20
AUTO_ADDRESS_MODES = ("slaac", "dhcpv6-stateless")
# What Neutron accepts as a service type: a device owner prefix, or (its validator adds
# "compute:" to the list letter by letter) anything starting with one of those letters,
# such as the "test:type_1" neutron-tempest-plugin uses.
SERVICE_TYPE_PREFIXES = ("network:", "neutron:", *"compute:")


def ip_key(address: str) -> tuple[int, int]:
    """Sorts addresses numerically (IPv4 before IPv6)."""
    ip = ipaddress.ip_address(address)
    return ip.version, int(ip)


def is_auto_address(ra_mode: str | None, address_mode: str | None) -> bool:
    """IPv6 addresses made from the MAC (SLAAC or DHCPv6-stateless), as Neutron decides."""
    return address_mode in AUTO_ADDRESS_MODES or (
        address_mode is None and ra_mode in AUTO_ADDRESS_MODES)


class Subnets(Collection):
    resource = SUBNET
    model = Subnet
    quota = "subnet"

    def optional(self, collection: str, method: str) -> Any | None:
        other = self.deps.collections.get(collection)
        return getattr(other, method, None) if other is not None else None

    # --- visibility and policy -------------------------------------------------------------
    def visible(self, s: Session | None, ctx: RequestContext) -> Any:
        seen = self.deps.get("networks").visible(s, ctx)
        nets = sa.select(Network.id)
        if seen is not None:
            nets = nets.where(seen)
        return sa.or_(Subnet.project_id == ctx.project_id, Subnet.network_id.in_(nets))

    def target(self, row: Any) -> dict[str, Any]:
        """Neutron's subnet rules look at the network's owner."""
        s = object_session(row)
        owner = s.scalar(sa.select(Network.project_id).where(
            Network.id == row.network_id)) if s is not None else None
        owner = owner if owner is not None else row.project_id
        return {"project_id": owner, "tenant_id": owner}

    def check_create(self, ctx: RequestContext, item: Any) -> dict[str, Any]:
        doc = super().check_create(ctx, item)

        def owner(s: Session) -> str:
            return self.deps.get("networks").find(s, ctx, doc["network_id"]).project_id
        network_owner = self.deps.db.read(owner)
        self.deps.policy.enforce("create_subnet", ctx, {"project_id": network_owner,
                                                       "tenant_id": network_owner})
        return doc

    # --- create ----------------------------------------------------------------------------
    def prepare_create(self, s: Session, ctx: RequestContext, doc: dict[str, Any]) -> None:
        net = self.deps.get("networks").find(s, ctx, doc["network_id"], lock=True)
        given = doc.get("_given", set())
        version = doc["ip_version"]
        cidr, prefixlen = doc.get("cidr"), doc.get("prefixlen")
        if cidr and prefixlen is not None:
            raise m.bad_subnets("cidr and prefixlen must not be supplied together")
        if cidr:
            m.check_version(version, cidr, "cidr")
        pool_id = self.pool_id_for(s, ctx, doc, version)
        if not pool_id and not cidr:
            raise m.bad_subnets("a subnetpool must be specified in the absence of a cidr")
        if pool_id:
            if doc.get("allocation_pools") is not None and not cidr:
                raise m.bad_subnets("allocation_pools allowed only for specific subnet "
                                    "requests")
            cidr = self.deps.get("subnetpools").allocate(  # type: ignore[attr-defined]
                s, ctx, pool_id, version, doc["project_id"], cidr, prefixlen)
            doc["cidr"], doc["subnetpool_id"] = cidr, pool_id
        gateway = doc.get("gateway_ip") if "gateway_ip" in given else m.first_host(cidr)
        doc["gateway_ip"] = gateway
        self.check_cidr(net, cidr, version, doc["enable_dhcp"])
        self.check_gateway(cidr, version, gateway)
        self.check_lists(version, doc["dns_nameservers"], doc["host_routes"])
        self.check_ipv6_modes(version, cidr, doc.get("ipv6_ra_mode"),
                              doc.get("ipv6_address_mode"), doc["enable_dhcp"])
        self.check_service_types(doc.get("service_types") or [])
        self.check_network(s, net, cidr, version, pool_id)
        if doc.get("allocation_pools") is not None:
            ranges = m.check_pools(doc["allocation_pools"], cidr)
            m.check_gateway_out_of_pools(gateway, ranges)
        else:
            ranges = m.default_pools(cidr, gateway)
        doc["_ranges"] = ranges
        self.check_segment(s, ctx, net, doc.get("segment_id"))

    def pool_id_for(self, s: Session, ctx: RequestContext, doc: dict[str, Any],
                    version: int) -> str | None:
        pool_id, use_default = doc.get("subnetpool_id"), doc.get("use_default_subnetpool")
        if pool_id and use_default:
            raise m.bad_subnets("subnetpool_id and use_default_subnetpool cannot both be "
                                "specified")
        if pool_id or not use_default:
            return pool_id
        default = self.deps.get("subnetpools").default_pool(s, version)  # type: ignore
        if default is None:
            raise m.bad_subnets(f"No default subnetpool found for IPv{version}")
        return default.id

    @staticmethod
    def check_cidr(net: Network, cidr: str, version: int, dhcp: bool,
                   dhcp_was: bool = False) -> None:
        block = m.network(cidr)
        if version == 6 and block.network_address == ipaddress.IPv6Address("::"):
            raise m.invalid_input("IPv6 subnet '::' is not supported")
        if block.prefixlen == 0:
            raise m.invalid_input("0 is not allowed as CIDR prefix length")
        if dhcp and not dhcp_was:
            if block.prefixlen > (30 if version == 4 else 126):
                raise m.invalid_input("Subnet has a prefix length that is incompatible "
                                      "with DHCP service enabled")
            if block.is_multicast:
                raise m.invalid_input("Multicast IP subnet is not supported if "
                                      "enable_dhcp is True")
            if block.is_loopback:
                raise m.invalid_input("Loopback IP subnet is not supported if enable_dhcp "
                                      "is True")
            if version == 4 and int(block.network_address) == 0:
                raise m.invalid_input("First IP '0.0.0.0' of network is not supported if "
                                      "enable_dhcp is True.")
        if net is not None and net.mtu:
            minimum = 1280 if version == 6 else 68
            if net.mtu < minimum:
                raise Conflict(f"MTU of {net.id} is not valid, subnet requires a minimum of "
                               f"{minimum}", kind="NetworkMTUSubnetConflict")

    @staticmethod
    def check_gateway(cidr: str, version: int, gateway: str | None) -> None:
        if gateway is None:
            return
        m.check_version(version, gateway, "gateway_ip")
        if m.gateway_invalid(cidr, gateway):
            raise m.invalid_input("Gateway is not valid on subnet")

    @staticmethod
    def check_lists(version: int, dns: list[str] | None, routes: list[dict] | None,
                    subnet_id: str = "new subnet") -> None:
        if dns is not None:
            if len(dns) > MAX_DNS_NAMESERVERS:
                raise BadRequest(f"Unable to complete operation for {subnet_id}. The number "
                                 "of DNS nameservers exceeds the limit "
                                 f"{MAX_DNS_NAMESERVERS}.", kind="DNSNameServersExhausted")
            for server in dns:
                m.check_version(version, server, "dns_nameserver")
        if routes is not None:
            if len(routes) > MAX_HOST_ROUTES:
                raise BadRequest(f"Unable to complete operation for {subnet_id}. The number "
                                 f"of host routes exceeds the limit {MAX_HOST_ROUTES}.",
                                 kind="HostRoutesExhausted")
            for route in routes:
                m.check_version(version, route["nexthop"], "nexthop")
                m.check_version(version, route["destination"], "destination")

    @staticmethod
    def check_ipv6_modes(version: int, cidr: str, ra_mode: str | None,
                         address_mode: str | None, dhcp: bool) -> None:
        if version == 4:
            if ra_mode is not None:
                raise m.invalid_input("ipv6_ra_mode is not valid when ip_version is 4")
            if address_mode is not None:
                raise m.invalid_input("ipv6_address_mode is not valid when ip_version is 4")
            return
        if (ra_mode or address_mode) and not dhcp:
            raise m.invalid_input("ipv6_ra_mode or ipv6_address_mode cannot be set when "
                                  "enable_dhcp is set to False")
        if ra_mode and address_mode and ra_mode != address_mode:
            raise m.invalid_input(
                f"ipv6_ra_mode set to '{ra_mode}' with ipv6_address_mode set to "
                f"'{address_mode}' is not valid. If both attributes are set, they must be "
                "the same value")
        if is_auto_address(ra_mode, address_mode) and m.network(cidr).prefixlen != 64:
            raise m.invalid_input(f"Invalid CIDR {cidr} for IPv6 address mode. OpenStack "
                                  "uses the EUI-64 address format, which requires the "
                                  "prefix to be /64")

    @staticmethod
    def check_service_types(types: list[str]) -> None:
        for kind in types:
            if not kind.startswith(SERVICE_TYPE_PREFIXES):
                raise BadRequest(f"Invalid input for operation: Subnet service type {kind} "
                                 "does not correspond to a valid device owner.",
                                 kind="InvalidSubnetServiceType")

    def check_network(self, s: Session, net: Network, cidr: str, version: int,
                      pool_id: str | None) -> None:
        """No overlap with the network's other subnets; a network's subnets of one family
        come from one subnet pool, or from pools of one address scope."""
        others = self.subnets_of(s, net.id)
        for other in others:
            if m.overlaps(other.cidr, cidr):
                raise m.invalid_input(f"Requested subnet with cidr: {cidr} for network: "
                                      f"{net.id} overlaps with another subnet")
        same = [o for o in others if o.ip_version == version]
        pools = {o.subnetpool_id for o in same if o.subnetpool_id} | (
            {pool_id} if pool_id else set())
        scope_of = dict(s.execute(sa.select(SubnetPool.id, SubnetPool.address_scope_id)
                                  .where(SubnetPool.id.in_(pools))).all()) if pools else {}
        network_scope = next((scope_of.get(o.subnetpool_id) for o in same
                              if scope_of.get(o.subnetpool_id)), None)
        if network_scope and pool_id and scope_of.get(pool_id) != network_scope:
            raise BadRequest("Subnets of the same address family hosted on the same network "
                             "must all participate in the same address scope.",
                             kind="NetworkAddressScopeAffinityError")
        for other in same:
            if (other.subnetpool_id != pool_id and not network_scope) if pool_id \
                    else other.subnetpool_id:
                raise BadRequest("Subnets hosted on the same network must be allocated "
                                 "from the same subnet pool.",
                                 kind="NetworkSubnetPoolAffinityError")

    def check_segment(self, s: Session, ctx: RequestContext, net: Network,
                      segment_id: str | None, subnet: Subnet | None = None) -> None:
        """Routed networks, as Neutron checks them: a network's subnets are all on
        segments or none is; a subnet joins a segment only on a network with one segment
        and never moves to another; the segment must be the network's."""
        segments = self.deps.collections.get("segments")
        others = [o.segment_id for o in self.subnets_of(s, net.id)
                  if subnet is None or o.id != subnet.id]
        if subnet is None:
            associated = set(others) | {segment_id}
            if None in associated and len(associated) > 1:
                raise self.not_all_on_segments(net.id)
        elif segment_id != subnet.segment_id:
            if others:
                raise self.not_all_on_segments(net.id)
            if subnet.segment_id is not None:
                raise BadRequest("A subnet that is already associated with a segment cannot "
                                 "have its segment association changed.",
                                 kind="SubnetSegmentAssociationChangeNotAllowed")
            model = getattr(segments, "model", None)
            if model is not None and (s.scalar(sa.select(sa.func.count()).where(
                    model.network_id == net.id)) or 0) > 1:
                raise BadRequest(f"The network '{net.id}' has multiple segments, it is only "
                                 "possible to associate an existing subnet with a segment on "
                                 "networks with a single segment.",
                                 kind="NoUpdateSubnetWhenMultipleSegmentsOnNetwork")
        if segment_id and segments is not None:
            segment = segments.find(s, ctx, segment_id)
            if getattr(segment, "network_id", net.id) != net.id:
                raise BadRequest(f"The subnet's network id, '{net.id}', doesn't match the "
                                 f"network_id of segment '{segment_id}'",
                                 kind="NetworkIdsDontMatch")

    @staticmethod
    def not_all_on_segments(network_id: str) -> BadRequest:
        return BadRequest(f"All of the subnets on network '{network_id}' must either all be "
                          "associated with segments or all not associated with any segment.",
                          kind="SubnetsNotAllAssociatedWithSegments")

    def after_create(self, s: Session, ctx: RequestContext, row: Subnet,
                     doc: dict[str, Any]) -> None:
        self.write_pools(s, row.id, doc["_ranges"])
        self.write_dns(s, row.id, doc["dns_nameservers"])
        self.write_routes(s, row.id, doc["host_routes"])
        self.write_service_types(s, row.id, doc.get("service_types") or [])
        self.bump_network(s, row.network_id)
        if row.ip_version == 6 and is_auto_address(row.ipv6_ra_mode, row.ipv6_address_mode):
            # Neutron gives the network's existing ports an address on a new SLAAC subnet
            s.flush()
            auto = self.optional("ports", "add_auto_addresses")
            if auto is not None:
                auto(s, ctx, row)

    def bump_network(self, s: Session, network_id: str) -> None:
        net = s.get(Network, network_id)
        if net is not None:
            self.bump(net)

    # --- the rows hanging off a subnet -----------------------------------------------------
    @staticmethod
    def write_pools(s: Session, subnet_id: str, ranges: list[m.Range]) -> None:
        s.execute(sa.delete(AllocationPool).where(AllocationPool.subnet_id == subnet_id))
        for first, last in ranges:
            s.add(AllocationPool(subnet_id=subnet_id, first_ip=str(first), last_ip=str(last)))

    @staticmethod
    def write_dns(s: Session, subnet_id: str, servers: list[str]) -> None:
        s.execute(sa.delete(DNSNameServer).where(DNSNameServer.subnet_id == subnet_id))
        for position, address in enumerate(servers):
            s.add(DNSNameServer(subnet_id=subnet_id, address=address, position=position))

    @staticmethod
    def write_routes(s: Session, subnet_id: str, routes: list[dict[str, str]]) -> None:
        s.execute(sa.delete(HostRoute).where(HostRoute.subnet_id == subnet_id))
        for position, route in enumerate(routes):
            s.add(HostRoute(subnet_id=subnet_id, destination=route["destination"],
                            nexthop=route["nexthop"], position=position))

    @staticmethod
    def write_service_types(s: Session, subnet_id: str, types: list[str]) -> None:
        s.execute(sa.delete(SubnetServiceType).where(
            SubnetServiceType.subnet_id == subnet_id))
        for kind in types:
            s.add(SubnetServiceType(subnet_id=subnet_id, service_type=kind))

    def pools_of(self, s: Session, subnet_id: str) -> list[m.Range]:
        rows = s.execute(sa.select(AllocationPool.first_ip, AllocationPool.last_ip).where(
            AllocationPool.subnet_id == subnet_id)).all()
        return sorted((ipaddress.ip_address(a), ipaddress.ip_address(b)) for a, b in rows)

    # --- update ----------------------------------------------------------------------------
    def prepare_update(self, s: Session, ctx: RequestContext, row: Subnet,
                       changes: dict[str, Any]) -> None:
        version = row.ip_version
        if "enable_dhcp" in changes:
            if not changes["enable_dhcp"] and (row.ipv6_ra_mode or row.ipv6_address_mode):
                raise m.invalid_input("Cannot disable enable_dhcp with ipv6 attributes set")
            self.check_cidr(None, row.cidr, version, changes["enable_dhcp"],  # type: ignore
                            dhcp_was=row.enable_dhcp)
        self.check_lists(version, changes.get("dns_nameservers"), changes.get("host_routes"),
                         row.id)
        if "service_types" in changes:
            self.check_service_types(changes["service_types"])
        gateway = changes.get("gateway_ip", row.gateway_ip)
        gateway_changed = "gateway_ip" in changes and gateway != row.gateway_ip
        if "gateway_ip" in changes:
            self.check_gateway(row.cidr, version, gateway)
        if gateway_changed and row.gateway_ip:
            self.check_gateway_free(s, row)
        ranges = None
        if changes.get("allocation_pools") is not None:
            ranges = m.check_pools(changes["allocation_pools"], row.cidr)
        if gateway_changed or ranges is not None:
            m.check_gateway_out_of_pools(
                gateway, ranges if ranges is not None else self.pools_of(s, row.id))
        s.info[("subnet_pools", row.id)] = ranges  # for after_update (not an attribute)
        if "segment_id" in changes:
            self.check_segment(s, ctx, s.get(Network, row.network_id),  # type: ignore
                               changes["segment_id"], subnet=row)

    def check_gateway_free(self, s: Session, row: Subnet) -> None:
        """The current gateway may not move while a (router) port holds it."""
        holder = self.optional("ports", "ip_holder")
        if holder is not None:
            port_id = holder(s, row.id, row.gateway_ip)
        else:
            used = self.optional("ports", "used_ips")
            port_id = "" if used is not None and row.gateway_ip in used(s, row.id) else None
        if port_id is not None:
            by = f"by port {port_id}" if port_id else "by a port"
            raise Conflict(f"Current gateway ip {row.gateway_ip} already in use {by}. "
                           "Unable to update.", kind="GatewayIpInUse")

    def after_update(self, s: Session, ctx: RequestContext, row: Subnet,
                     changes: dict[str, Any]) -> None:
        ranges = s.info.pop(("subnet_pools", row.id), None)
        if ranges is not None:
            self.write_pools(s, row.id, ranges)
        if "dns_nameservers" in changes:
            self.write_dns(s, row.id, changes["dns_nameservers"])
        if "host_routes" in changes:
            self.write_routes(s, row.id, changes["host_routes"])
        if "service_types" in changes:
            self.write_service_types(s, row.id, changes["service_types"])

    # --- delete ----------------------------------------------------------------------------
    def before_delete(self, s: Session, ctx: RequestContext, row: Subnet) -> None:
        in_use = self.optional("ports", "subnet_in_use")
        if in_use is not None and in_use(s, row):
            raise Conflict(f"Unable to complete operation on subnet {row.id}: One or more "
                           "ports have an IP allocation from this subnet.",
                           kind="SubnetInUse")
        self.release(s, ctx, row)
        self.bump_network(s, row.network_id)

    def release(self, s: Session, ctx: RequestContext, row: Subnet) -> None:
        """Free what the subnet's ports still hold of it and drop its own rows."""
        release = self.optional("ports", "release_subnet")
        if release is not None:
            release(s, ctx, row)
        for table in (AllocationPool, DNSNameServer, HostRoute, SubnetServiceType):
            s.execute(sa.delete(table).where(table.subnet_id == row.id))

    def delete_for_network(self, s: Session, ctx: RequestContext, network: Any) -> None:
        for row in self.subnets_of(s, network.id):
            self.release(s, ctx, row)
            self.delete_row(s, row)

    # --- what other collections read -------------------------------------------------------
    def ids_by_network(self, s: Session, network_ids: list[str]) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for start in range(0, len(network_ids), 500):
            for net_id, sub_id in s.execute(
                    sa.select(Subnet.network_id, Subnet.id).where(
                        Subnet.network_id.in_(network_ids[start:start + 500])).order_by(
                        Subnet.created_at, Subnet.id)):
                out.setdefault(net_id, []).append(sub_id)
        return out

    def subnets_of(self, s: Session, network_id: str) -> list[Subnet]:
        return list(s.scalars(sa.select(Subnet).where(Subnet.network_id == network_id)
                              .order_by(Subnet.created_at, Subnet.id)))

    # --- rendering and filters -------------------------------------------------------------
    def extras(self, s: Session, ctx: RequestContext, rows: list[Subnet]
               ) -> dict[str, dict[str, Any]]:
        ids = [r.id for r in rows]
        out: dict[str, dict[str, Any]] = {
            r.id: {"allocation_pools": [], "dns_nameservers": [], "host_routes": [],
                   "service_types": []} for r in rows}
        external = dict(s.execute(sa.select(Network.id, Network.router_external).where(
            Network.id.in_({r.network_id for r in rows}))).all())
        for r in rows:
            out[r.id]["router:external"] = bool(external.get(r.network_id, False))
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            pools = s.execute(sa.select(AllocationPool.subnet_id, AllocationPool.first_ip,
                                        AllocationPool.last_ip).where(
                AllocationPool.subnet_id.in_(chunk))).all()
            for sid, first, last in sorted(pools, key=lambda p: (p[0], ip_key(p[1]))):
                out[sid]["allocation_pools"].append({"start": first, "end": last})
            for sid, address in s.execute(sa.select(
                    DNSNameServer.subnet_id, DNSNameServer.address).where(
                    DNSNameServer.subnet_id.in_(chunk)).order_by(DNSNameServer.position)):
                out[sid]["dns_nameservers"].append(address)
            for sid, dest, hop in s.execute(sa.select(
                    HostRoute.subnet_id, HostRoute.destination, HostRoute.nexthop).where(
                    HostRoute.subnet_id.in_(chunk)).order_by(HostRoute.position)):
                out[sid]["host_routes"].append({"destination": dest, "nexthop": hop})
            for sid, kind in s.execute(sa.select(
                    SubnetServiceType.subnet_id, SubnetServiceType.service_type).where(
                    SubnetServiceType.subnet_id.in_(chunk)).order_by(
                    SubnetServiceType.service_type)):
                out[sid]["service_types"].append(kind)
        return out

    def computed_filter(self, name: str, values: list[str]) -> Any | None:
        if name == "router:external":
            from onestack.network.attributes import to_bool
            wanted = [to_bool(v) for v in values]
            return Subnet.network_id.in_(sa.select(Network.id).where(
                Network.router_external.in_(wanted)))
        if name == "shared":
            from onestack.network.attributes import to_bool
            wanted = [to_bool(v) for v in values]
            return Subnet.network_id.in_(sa.select(Network.id).where(
                Network.shared.in_(wanted)))
        if name == "service_types":
            return Subnet.id.in_(sa.select(SubnetServiceType.subnet_id).where(
                SubnetServiceType.service_type.in_(values)))
        if name == "dns_nameservers":
            return Subnet.id.in_(sa.select(DNSNameServer.subnet_id).where(
                DNSNameServer.address.in_(values)))
        return None

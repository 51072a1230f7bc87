"""The network-driver seam: what a host's dataplane must do for the network agent.

The agent computes, from the database, the *desired wiring* of its host as typed value
objects (``NetworkSpec``, ``PortSpec``, ``RouterSpec``, ``DhcpSpec``) and hands each one
to the driver; the driver makes the host look like that and reports what it has wired.
Everything the dataplane needs is resolved before the call (security rules carry concrete
remote CIDRs, a router carries its floating IP pairs), so a driver never reads the
database and never asks the API anything.

The Linux driver to come maps the kinds one to one: a network is a bridge with its VLAN
or VXLAN uplink (``Segment``); a port is a tap/veth on that bridge with its nftables rules
(anti-spoofing from fixed IPs and allowed address pairs, the security rules) unless port
security is off; a router is a network namespace with a leg per interface, its gateway,
SNAT and DNAT for floating IPs and port forwardings; DHCP for a network is a namespace
with dnsmasq serving its subnets' ranges and host entries.

Contract, for every driver (checked by ``tests/contract/test_network_driver.py``):
- ``ensure_*`` makes the host match the spec: with the same spec twice the second call
  changes nothing; with a changed spec it converges to the new one (no remove needed).
- ``remove_*`` succeeds when the thing is already gone (or never existed).
- ``networks()``/``ports()``/``routers()``/``dhcp()`` report what is wired right now,
  whoever caused it: id → the spec it is wired with. Something that vanished behind the
  agent's back (a device deleted by hand) is absent, so the next resync wires it again.
- ``ensure_port`` and ``ensure_dhcp`` need their network ensured first
  (``NetworkMissing``); ``remove_network`` refuses while ports or DHCP of the network are
  wired (``NetworkBusy``): the agent orders its steps (networks first on the way up,
  last on the way down).
- a failing call raises ``NetworkDriverError`` and leaves the previous wiring of that
  object (or none), never a half-applied spec that ``ports()`` would report as done.
- every method is idempotent and safe to repeat after a crash.

Optional capabilities are separate small Protocols (``BandwidthLimiting``); the agent asks
``isinstance(driver, BandwidthLimiting)`` before using one.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable


class NetworkDriverError(Exception):
    """The dataplane refused or failed an operation."""


class NetworkMissing(NetworkDriverError):
    """A port or DHCP server was asked for on a network the driver has not wired."""


class NetworkBusy(NetworkDriverError):
    """A network still has ports or DHCP wired on this host."""


# --- what the agent asks for -------------------------------------------------------------

@dataclass(frozen=True)
class Segment:
    """How a network reaches the wire: ``flat``/``vlan`` on a physical network,
    ``vxlan``/``geneve`` with a VNI, or ``local`` (this host only)."""
    network_type: str = "local"
    physical_network: str | None = None
    segmentation_id: int | None = None


@dataclass(frozen=True)
class NetworkSpec:
    id: str
    segment: Segment = Segment()
    mtu: int = 1500
    admin_state_up: bool = True


@dataclass(frozen=True)
class FixedIp:
    """One address of a port, with its subnet's prefix (``10.0.0.5`` in ``10.0.0.0/26``)."""
    subnet_id: str
    ip_address: str
    cidr: str


@dataclass(frozen=True)
class AddressPair:
    """An extra (IP or CIDR, MAC) the port may send from (anti-spoofing allows it)."""
    ip_address: str
    mac_address: str


@dataclass(frozen=True)
class SecurityRule:
    """One allow rule, already resolved: ``remote_cidrs`` is the rule's remote IP prefix,
    or the addresses of every port in its remote group (empty tuple: nobody, when the
    group has no members; ``("0.0.0.0/0",)`` or ``("::/0",)``: anyone)."""
    direction: str  # ingress | egress
    ethertype: str  # IPv4 | IPv6
    protocol: str | None = None  # tcp, udp, icmp, a number, or None for any
    port_range_min: int | None = None
    port_range_max: int | None = None
    remote_cidrs: tuple[str, ...] = ()


@dataclass(frozen=True)
class PortSpec:
    """A port as the dataplane sees it. With ``port_security`` off the port gets no
    anti-spoofing and no filtering (``security_rules`` is then ignored); with it on,
    everything not allowed by a rule is dropped and ``stateful`` says whether replies to
    allowed traffic are let through by connection tracking."""
    id: str
    network_id: str
    mac: str
    fixed_ips: tuple[FixedIp, ...] = ()
    mtu: int = 1500
    admin_state_up: bool = True
    device_owner: str = ""
    device_id: str = ""
    port_security: bool = True
    stateful: bool = True
    security_rules: tuple[SecurityRule, ...] = ()
    allowed_address_pairs: tuple[AddressPair, ...] = ()


@dataclass(frozen=True)
class RouterInterface:
    """A router's leg on an internal network: its port and addresses (``10.0.0.1/26``)."""
    port_id: str
    network_id: str
    mac: str
    ip_cidrs: tuple[str, ...]
    mtu: int = 1500


@dataclass(frozen=True)
class RouterGateway:
    """The router's leg on an external network; ``snat``: traffic from the interfaces
    leaves with the gateway address; ``default_routes``: next hops (external subnets'
    gateways) for everything not routed otherwise."""
    port_id: str
    network_id: str
    mac: str
    ip_cidrs: tuple[str, ...]
    default_routes: tuple[str, ...] = ()
    snat: bool = True
    mtu: int = 1500


@dataclass(frozen=True)
class Route:
    destination: str
    nexthop: str


@dataclass(frozen=True)
class FloatingIp:
    """DNAT of ``floating_ip`` to ``fixed_ip`` (and SNAT back) on the router's gateway."""
    floating_ip: str
    fixed_ip: str


@dataclass(frozen=True)
class PortForwarding:
    """DNAT of (floating IP, protocol, external port range) to (internal IP, internal
    port range); a single port when the ``*_end`` is None."""
    floating_ip: str
    protocol: str  # tcp | udp
    external_port: int
    internal_ip: str
    internal_port: int
    external_port_end: int | None = None
    internal_port_end: int | None = None


@dataclass(frozen=True)
class RouterSpec:
    id: str
    admin_state_up: bool = True
    gateway: RouterGateway | None = None
    interfaces: tuple[RouterInterface, ...] = ()
    routes: tuple[Route, ...] = ()
    floating_ips: tuple[FloatingIp, ...] = ()
    port_forwardings: tuple[PortForwarding, ...] = ()


@dataclass(frozen=True)
class DhcpHost:
    """A fixed address the DHCP server hands to one MAC."""
    mac: str
    ip_address: str
    hostname: str = ""


@dataclass(frozen=True)
class DhcpSubnet:
    """One subnet the server answers for: its pools, the router and name servers it
    announces, its static routes ((destination, nexthop) pairs)."""
    subnet_id: str
    cidr: str
    ip_version: int = 4
    ranges: tuple[tuple[str, str], ...] = ()
    gateway_ip: str | None = None
    dns_nameservers: tuple[str, ...] = ()
    host_routes: tuple[tuple[str, str], ...] = ()
    ipv6_address_mode: str | None = None


@dataclass(frozen=True)
class DhcpSpec:
    """DHCP for a network's subnets (one server per network, as Neutron's agent runs one
    dnsmasq per network), reachable at the addresses of its own port."""
    network_id: str
    port: PortSpec | None = None
    subnets: tuple[DhcpSubnet, ...] = ()
    hosts: tuple[DhcpHost, ...] = ()
    dns_domain: str = ""
    mtu: int = 1500


# --- the seam --------------------------------------------------------------------------

@runtime_checkable
class NetworkDriver(Protocol):
    """The core every dataplane offers (see the module docstring for the contract)."""

    def configuration(self) -> dict[str, Any]:
        """What the agent shows of this host in ``/v2.0/agents`` ``configurations``
        (bridge mappings, tunnel types, …)."""

    def ensure_network(self, spec: NetworkSpec) -> None:
        """Wire the network on this host (bridge and uplink); converges on a changed
        spec."""

    def remove_network(self, network_id: str) -> None:
        """Unwire it; succeeds when gone; ``NetworkBusy`` while ports or DHCP remain."""

    def networks(self) -> dict[str, NetworkSpec]:
        """Network id → spec, for every network wired on this host now."""

    def ensure_port(self, spec: PortSpec) -> None:
        """Plug the port into its network with its filtering; ``NetworkMissing`` when the
        network is not wired."""

    def remove_port(self, port_id: str) -> None:
        """Unplug it and drop its rules; succeeds when gone."""

    def ports(self) -> dict[str, PortSpec]:
        """Port id → spec, for every port wired on this host now."""

    def ensure_router(self, spec: RouterSpec) -> None:
        """Make the router (its namespace, legs, routes, NAT) match the spec."""

    def remove_router(self, router_id: str) -> None:
        """Tear it down with all its legs and NAT; succeeds when gone."""

    def routers(self) -> dict[str, RouterSpec]:
        """Router id → spec, for every router wired on this host now."""

    def ensure_dhcp(self, spec: DhcpSpec) -> None:
        """Serve DHCP for the network's subnets as the spec says; ``NetworkMissing`` when
        the network is not wired."""

    def remove_dhcp(self, network_id: str) -> None:
        """Stop serving the network; succeeds when not served."""

    def dhcp(self) -> dict[str, DhcpSpec]:
        """Network id → spec, for every network this host serves DHCP for now."""


@runtime_checkable
class BandwidthLimiting(Protocol):
    """QoS bandwidth limits on a port's egress (the guest's upload)."""

    def set_bandwidth_limit(self, port_id: str, max_kbps: int | None,
                            max_burst_kbps: int | None = None) -> None:
        """Limit the port (None: no limit); succeeds when the port is not wired."""

    def bandwidth_limits(self) -> dict[str, tuple[int, int | None]]:
        """Port id → (max_kbps, burst) for every limited port."""

"""Networks: a bridge in the host namespace with its uplink (a VXLAN device, a VLAN
sub-interface or a mapped physical interface), and for a network on an external
physical network a veth into the external namespace holding its routers' next hops."""
from __future__ import annotations

from typing import TYPE_CHECKING

from onestack.network.drivers.base import NetworkSpec
from onestack.network.drivers.linux import links
from onestack.network.drivers.linux.links import Link, Links
from onestack.network.drivers.linux.names import ALIAS

if TYPE_CHECKING:
    from onestack.network.drivers.linux.driver import LinuxNetworkDriver


def uplink(driver: "LinuxNetworkDriver", spec: NetworkSpec) -> tuple[str, str] | None:
    """(device, how) carrying the network off this host: how is ``made`` for a device
    the driver creates, ``physical`` for an operator's interface."""
    seg = spec.segment
    if seg.network_type == "vxlan" and seg.segmentation_id is not None:
        return driver.names.vxlan(seg.segmentation_id), "made"
    physical = driver.config.physical_interfaces.get(seg.physical_network or "")
    if physical and seg.network_type == "vlan" and seg.segmentation_id is not None:
        return driver.names.vlan(physical, seg.segmentation_id), "made"
    if physical and seg.network_type == "flat":
        return physical, "physical"
    return None


def is_external(driver: "LinuxNetworkDriver", spec: NetworkSpec) -> bool:
    return spec.segment.network_type in ("flat", "vlan") and \
        spec.segment.physical_network in driver.config.external_physnets


def wire(driver: "LinuxNetworkDriver", spec: NetworkSpec, old: NetworkSpec | None) -> None:
    bridge = driver.names.bridge(spec.id)
    driver.links.ensure_bridge(bridge)
    wanted = uplink(driver, spec)
    previous = uplink(driver, old) if old else None
    if previous and previous != wanted:
        drop_uplink(driver, previous)
    if wanted:
        device, how = wanted
        if how == "made":
            _make_uplink(driver, spec, device)
        driver.links.configure(device, master=bridge, mtu=spec.mtu, up=True,
                               alias=f"{ALIAS} network {spec.id}" if how == "made" else None)
    if is_external(driver, spec):
        _wire_external_leg(driver, spec)
    elif old is not None and is_external(driver, old):
        drop_external_leg(driver, spec.id)
    _replug_legs(driver, spec.id, bridge)
    driver.links.configure(bridge, mtu=spec.mtu, up=spec.admin_state_up,
                           alias=f"{ALIAS} network {spec.id}")


def _make_uplink(driver: "LinuxNetworkDriver", spec: NetworkSpec, device: str) -> None:
    seg, config = spec.segment, driver.config
    if seg.network_type == "vxlan":
        driver.links.ensure_vxlan(device, int(seg.segmentation_id or 0), config.tunnel_local_ip,
                                  config.vxlan_group if config.tunnel_dev else None,
                                  config.tunnel_dev)
    else:
        physical = config.physical_interfaces[seg.physical_network or ""]
        driver.links.ensure_vlan(device, physical, int(seg.segmentation_id or 0))


def drop_uplink(driver: "LinuxNetworkDriver", found: tuple[str, str]) -> None:
    """Delete a device the driver made; an operator's interface only leaves the bridge."""
    device, how = found
    if how == "made":
        driver.links.delete(device)
    elif driver.links.get(device) is not None:
        driver.links.configure(device, nomaster=True)


def _wire_external_leg(driver: "LinuxNetworkDriver", spec: NetworkSpec) -> None:
    namespace = driver.names.external_ns()
    links.ensure_namespace(namespace)
    host_end = driver.names.external_leg(spec.id)
    inside = driver.names.external_interface(spec.id)
    driver.links.ensure_veth(host_end, inside, namespace)
    driver.links.configure(host_end, master=driver.names.bridge(spec.id), mtu=spec.mtu,
                           up=True, alias=f"{ALIAS} network {spec.id}")
    Links(namespace).configure(inside, mtu=spec.mtu, up=True)
    external_addresses(driver, spec.id)


def external_addresses(driver: "LinuxNetworkDriver", network_id: str) -> None:
    """The external namespace holds the gateway (next hop) of every router whose gateway
    is on this network, with the gateway subnet's prefix."""
    inside = Links(driver.names.external_ns())
    device = driver.names.external_interface(network_id)
    if driver.names.external_ns() not in links.namespaces() or inside.get(device) is None:
        return
    wanted: set[str] = set()
    for router in driver.router_specs().values():
        gw = router.gateway
        if gw is None or gw.network_id != network_id:
            continue
        for hop in gw.default_routes:
            for cidr in gw.ip_cidrs:
                if (":" in hop) == (":" in cidr):
                    wanted.add(f"{hop}/{cidr.split('/')[1]}")
    inside.set_addresses(device, wanted)


def drop_external_leg(driver: "LinuxNetworkDriver", network_id: str) -> None:
    """Remove the network's leg, and the external namespace with the last one."""
    driver.links.delete(driver.names.external_leg(network_id))
    namespace = driver.names.external_ns()
    if namespace in links.namespaces() and not any(
            link.name.startswith("ex-") for link in Links(namespace).all().values()):
        links.delete_namespace(namespace)


def _replug_legs(driver: "LinuxNetworkDriver", network_id: str, bridge: str) -> None:
    """Router and DHCP legs made while the network was not wired join its bridge."""
    from onestack.network.drivers.linux import routers

    devices = [leg.host_device for spec in driver.router_specs().values()
               for leg in routers.legs(spec, driver.names) if leg.network_id == network_id]
    if driver.store.get("dhcp", network_id) is not None:
        devices.append(driver.names.dhcp_leg(network_id))
    present = driver.links.all()
    for device in devices:
        if device in present:
            driver.links.configure(device, master=bridge, up=True)


def unwire(driver: "LinuxNetworkDriver", network_id: str, spec: NetworkSpec | None) -> None:
    if spec is not None:
        found = uplink(driver, spec)
        if found:
            drop_uplink(driver, found)
    drop_external_leg(driver, network_id)
    driver.links.delete(driver.names.bridge(network_id))


def is_wired(driver: "LinuxNetworkDriver", spec: NetworkSpec, present: dict[str, Link]) -> bool:
    """The bridge with the spec's MTU and admin state, its uplink on it."""
    bridge = present.get(driver.names.bridge(spec.id))
    if bridge is None or bridge.mtu != spec.mtu or bridge.up != spec.admin_state_up:
        return False
    found = uplink(driver, spec)
    if found:
        device = present.get(found[0])
        if device is None or device.master != bridge.index:
            return False
    return True

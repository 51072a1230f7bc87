"""Routers: a namespace per router with a veth leg into each network's bridge, the
routes, and NAT (SNAT of the internal subnets to the gateway address, DNAT and SNAT per
floating IP, DNAT per port forwarding) as one nftables table replaced whole."""
from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from onestack.network.drivers.base import RouterSpec
from onestack.network.drivers.linux import links
from onestack.network.drivers.linux.links import Link, Links, run
from onestack.network.drivers.linux.names import ALIAS, Names

if TYPE_CHECKING:
    from onestack.network.drivers.linux.driver import LinuxNetworkDriver

NAT_TABLE = "onestack_nat"


@dataclass(frozen=True)
class Leg:
    host_device: str  # on the network's bridge
    inside: str  # in the router namespace
    network_id: str
    mac: str
    cidrs: tuple[str, ...]
    mtu: int
    gateway: bool


def legs(spec: RouterSpec, names: Names) -> list[Leg]:
    out = [Leg(names.router_leg(i.port_id), names.router_interface(i.port_id), i.network_id,
               i.mac, i.ip_cidrs, i.mtu, False) for i in spec.interfaces]
    gw = spec.gateway
    if gw is not None:
        floating = tuple(f"{ip}/32" for ip in _floating_addresses(spec))
        out.append(Leg(names.router_leg(gw.port_id), names.router_gateway(gw.port_id),
                       gw.network_id, gw.mac, gw.ip_cidrs + floating, gw.mtu, True))
    return out


def _floating_addresses(spec: RouterSpec) -> list[str]:
    found = {f.floating_ip for f in spec.floating_ips} | \
        {p.floating_ip for p in spec.port_forwardings}
    gateway_ips = {c.split("/")[0] for c in spec.gateway.ip_cidrs} if spec.gateway else set()
    return sorted(a for a in found - gateway_ips if ipaddress.ip_address(a).version == 4)


def _routes(spec: RouterSpec) -> set[tuple[str, str]]:
    wanted = {(str(ipaddress.ip_network(r.destination, strict=False)), r.nexthop)
              for r in spec.routes}
    if spec.gateway is not None:
        for hop in spec.gateway.default_routes:
            wanted.add(("::/0" if ":" in hop else "0.0.0.0/0", hop))
    return wanted


def render_nat(spec: RouterSpec, names: Names) -> tuple[str, int]:
    """The script replacing the NAT table and how many rules it holds (no gateway: a
    script removing the table)."""
    lines = [f"add table ip {NAT_TABLE}", f"delete table ip {NAT_TABLE}"]
    gw = spec.gateway
    if gw is None:
        return "\n".join(lines) + "\n", 0
    out_dev = names.router_gateway(gw.port_id)
    v4 = [c for c in gw.ip_cidrs if ipaddress.ip_interface(c).version == 4]
    pre, post = [], []
    for fip in spec.floating_ips:
        if ipaddress.ip_address(fip.floating_ip).version != 4:
            continue
        pre.append(f"ip daddr {fip.floating_ip} dnat to {fip.fixed_ip}")
        post.append(f'ip saddr {fip.fixed_ip} oifname "{out_dev}" snat to {fip.floating_ip}')
    for pf in spec.port_forwardings:
        outside = str(pf.external_port) if pf.external_port_end is None else \
            f"{pf.external_port}-{pf.external_port_end}"
        inside = str(pf.internal_port) if pf.internal_port_end is None else \
            f"{pf.internal_port}-{pf.internal_port_end}"
        pre.append(f"ip daddr {pf.floating_ip} {pf.protocol} dport {outside} "
                   f"dnat to {pf.internal_ip}:{inside}")
    inner = sorted({str(ipaddress.ip_interface(c).network) for i in spec.interfaces
                    for c in i.ip_cidrs if ipaddress.ip_interface(c).version == 4})
    if gw.snat and v4 and inner:
        post.append(f'oifname "{out_dev}" ip saddr {{ {", ".join(inner)} }} '
                    f"snat to {ipaddress.ip_interface(v4[0]).ip}")
    if pre and inner:  # hairpin: a guest reaching another's floating IP gets answers back
        post.append(f'oifname != "{out_dev}" ct status dnat ip saddr {{ {", ".join(inner)} }} '
                    "masquerade")
    lines.append(f"table ip {NAT_TABLE} {{")
    lines += ["  chain prerouting {", "    type nat hook prerouting priority dstnat; "
              "policy accept;"] + [f"    {r}" for r in pre] + ["  }"]
    lines += ["  chain output {", "    type nat hook output priority -100; policy accept;"] + \
        [f"    {r}" for r in pre] + ["  }"]
    lines += ["  chain postrouting {", "    type nat hook postrouting priority srcnat; "
              "policy accept;"] + [f"    {r}" for r in post] + ["  }", "}"]
    return "\n".join(lines) + "\n", 2 * len(pre) + len(post)


def wire(driver: "LinuxNetworkDriver", spec: RouterSpec, old: RouterSpec | None) -> None:
    names = driver.names
    namespace = names.router_ns(spec.id)
    links.ensure_namespace(namespace)
    links.sysctl(namespace, "net.ipv4.ip_forward", "1")
    links.sysctl(namespace, "net.ipv6.conf.all.forwarding", "1")
    inside = Links(namespace)
    wanted = legs(spec, names)
    keep = {leg.host_device for leg in wanted}
    for leg in legs(old, names) if old else []:
        if leg.host_device not in keep:
            driver.links.delete(leg.host_device)
    present = driver.links.all()
    for leg in wanted:
        driver.links.ensure_veth(leg.host_device, leg.inside, namespace)
        bridge = names.bridge(leg.network_id)
        driver.links.configure(leg.host_device, master=bridge if bridge in present else None,
                               mtu=leg.mtu, up=True, alias=f"{ALIAS} router {spec.id}")
        inside.configure(leg.inside, mac=leg.mac, mtu=leg.mtu, up=spec.admin_state_up)
        inside.set_addresses(leg.inside, set(leg.cidrs))
    inside.set_gateway_routes(_routes(spec) if spec.admin_state_up else set())
    script, _ = render_nat(spec, names)
    run(namespace, ["nft", "-f", "-"], stdin=script)
    if old is not None:
        dropped = _translations(old) - _translations(spec)
        driver.forgetter.forget(namespace, 0, {address for pair in dropped for address in pair})


def _translations(spec: RouterSpec) -> set[tuple[str, str]]:
    """(outside, inside) address pairs the router translates."""
    pairs = {(f.floating_ip, f.fixed_ip) for f in spec.floating_ips}
    pairs |= {(p.floating_ip, p.internal_ip) for p in spec.port_forwardings}
    if spec.gateway is None:
        return set()
    return pairs


def unwire(driver: "LinuxNetworkDriver", spec: RouterSpec) -> None:
    for leg in legs(spec, driver.names):
        driver.links.delete(leg.host_device)
    links.delete_namespace(driver.names.router_ns(spec.id))


def is_wired(driver: "LinuxNetworkDriver", spec: RouterSpec, host: dict[str, Link]) -> bool:
    """Every leg present on both sides with its MAC, and the NAT table as rendered
    (``host``: the host namespace's links, read once for all routers)."""
    names = driver.names
    namespace = names.router_ns(spec.id)
    inside = Links(namespace).all()
    for leg in legs(spec, names):
        if leg.host_device not in host or leg.inside not in inside:
            return False
        if inside[leg.inside].mac != leg.mac.lower():
            return False
    _, expected = render_nat(spec, names)
    try:
        listing = json.loads(run(namespace, ["nft", "-j", "list", "table", "ip", NAT_TABLE]))
    except Exception:  # noqa: BLE001 - no table
        return expected == 0 and spec.gateway is None
    rules = sum(1 for item in listing.get("nftables", []) if "rule" in item)
    return rules == expected

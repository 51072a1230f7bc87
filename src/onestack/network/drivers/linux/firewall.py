"""Port security as nftables rules in the host namespace, rendered as text and applied
in one ``nft -f`` transaction (the tables are replaced whole, so a lost or edited rule
comes back with the next apply).

Two tables, because the kernel here has no bridge-family connection tracking:
- ``bridge onestack_l2``: anti-spoofing on the bridge, stateless (MAC, ARP and source IP
  per allowed (MAC, address) pair, no DHCP or router advertisements *from* a guest),
  and packet marks naming the port a frame came in on (low 16 bits) and goes out to
  (high 16 bits);
- ``inet onestack_ports``: the security groups, with connection tracking, seen by
  bridged IP traffic through br_netfilter; each port's chains are entered by its mark.
  Each network's traffic is tracked in a conntrack zone of its own (br_netfilter shows
  the bridge as the input device), so equal addresses on two networks never share a
  connection.
Ports with port security off get no rules at all.
"""
from __future__ import annotations

import ipaddress
import json
import re
from dataclasses import dataclass

from onestack.network.drivers.base import NetworkDriverError, PortSpec, SecurityRule
from onestack.network.drivers.linux.links import run

L2_TABLE = "onestack_l2"
PORTS_TABLE = "onestack_ports"
MAC = re.compile(r"[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}")
PROTOCOL = re.compile(r"[a-z][a-z0-9-]{0,15}|[0-9]{1,3}")
PORTED = ("tcp", "udp", "sctp", "udplite", "dccp")
PROTOCOL_NUMBERS = {"6": "tcp", "17": "udp", "132": "sctp", "136": "udplite", "33": "dccp",
                    "1": "icmp", "58": "icmpv6", "ipv6-icmp": "icmpv6"}
ND_OUT = "nd-neighbor-solicit, nd-neighbor-advert, nd-router-solicit, mld-listener-report"
ND_IN = ("nd-neighbor-solicit, nd-neighbor-advert, nd-router-advert, mld-listener-query, "
         "nd-redirect")


@dataclass(frozen=True)
class FilteredPort:
    index: int  # 1..65535, unique on the host: the port's mark
    device: str
    spec: PortSpec
    bridge: str = ""  # its network's bridge
    zone: int = 0  # its network's conntrack zone (0: the default zone)


def link_local(mac: str) -> str:
    """The EUI-64 link-local IPv6 address a guest derives from its MAC."""
    parts = [int(x, 16) for x in mac.split(":")]
    parts[0] ^= 0x02
    eui = parts[:3] + [0xff, 0xfe] + parts[3:]
    return str(ipaddress.IPv6Address(bytes([0xfe, 0x80] + [0] * 6 + eui)))


def _mac(value: str) -> str:
    """A MAC as nft reads it; anything else is refused (the script is text)."""
    if not MAC.fullmatch(value):
        raise NetworkDriverError(f"not a MAC address: {value!r}")
    return value.lower()


def _cidr(value: str) -> str:
    try:
        return str(ipaddress.ip_network(value, strict=False))
    except ValueError as exc:
        raise NetworkDriverError(f"not an address or prefix: {value!r}") from exc


def _allowed(spec: PortSpec) -> dict[str, list[str]]:
    """MAC → the addresses (CIDRs) it may send from."""
    out: dict[str, list[str]] = {_mac(spec.mac): [_cidr(f.ip_address)
                                                  for f in spec.fixed_ips]}
    for pair in spec.allowed_address_pairs:
        out.setdefault(_mac(pair.mac_address or spec.mac), []).append(_cidr(pair.ip_address))
    return out


def _set(items: list[str]) -> str:
    return "{ " + ", ".join(items) + " }"


def l2_chain(port: FilteredPort) -> list[str]:
    """Anti-spoofing of frames from the port (ends in drop)."""
    rules = [f"meta mark set 0x{port.index:x}",
             "ip protocol udp udp sport 67 drop",
             "ip6 nexthdr udp udp sport 547 drop",
             "ip6 nexthdr icmpv6 icmpv6 type nd-router-advert drop",
             f"ether saddr {_mac(port.spec.mac)} ip protocol udp udp sport 68 "
             "udp dport 67 return"]
    for mac, addresses in _allowed(port.spec).items():
        v4 = [a for a in addresses if ipaddress.ip_network(a, strict=False).version == 4]
        v6 = [a for a in addresses if ipaddress.ip_network(a, strict=False).version == 6]
        if v4:
            rules.append(f"ether saddr {mac} ip saddr {_set(v4)} return")
            rules.append(f"ether saddr {mac} arp saddr ether {mac} arp saddr ip {_set(v4)} "
                         "return")
        rules.append(f"ether saddr {mac} ip6 saddr {_set(v6 + [link_local(mac)])} return")
        rules.append(f"ether saddr {mac} ip6 saddr :: ip6 nexthdr icmpv6 return")
    rules.append("drop")
    return rules


def _match(rule: SecurityRule) -> list[str] | None:
    """The match of one security rule (one string per remote set), or None when it
    matches nobody."""
    family = "ip" if rule.ethertype == "IPv4" else "ip6"
    side = "daddr" if rule.direction == "egress" else "saddr"
    everyone = {"0.0.0.0/0", "::/0"}
    if not rule.remote_cidrs:
        return None
    parts = [f"meta nfproto {'ipv4' if family == 'ip' else 'ipv6'}"]
    cidrs = [_cidr(c) for c in rule.remote_cidrs if c not in everyone]
    if len(cidrs) == len(rule.remote_cidrs):
        parts.append(f"{family} {side} {_set(cidrs)}")
    proto = (rule.protocol or "").lower()
    proto = PROTOCOL_NUMBERS.get(proto, proto)
    if proto and not PROTOCOL.fullmatch(proto):
        raise NetworkDriverError(f"not a protocol: {rule.protocol!r}")
    if proto in ("", "any", "0"):
        pass
    elif proto in PORTED:
        parts.append(f"meta l4proto {proto}")
        if rule.port_range_min is not None:
            low = int(rule.port_range_min)
            high = int(rule.port_range_max or low)
            span = str(low) if high == low else f"{low}-{high}"
            parts.append(f"th dport {span}")
    elif proto in ("icmp", "icmpv6"):
        name = "icmp" if family == "ip" else "icmpv6"
        parts.append(f"meta l4proto {'icmp' if family == 'ip' else 'ipv6-icmp'}")
        if rule.port_range_min is not None:
            parts.append(f"{name} type {int(rule.port_range_min)}")
            if rule.port_range_max is not None:
                parts.append(f"{name} code {int(rule.port_range_max)}")
    else:
        parts.append(f"meta l4proto {proto}")
    return [" ".join(parts)]


def group_chain(port: FilteredPort, direction: str) -> list[str]:
    """The security groups of one direction (``egress``: from the guest)."""
    rules = []
    if port.spec.stateful:
        rules += ["ct state established,related return", "ct state invalid drop"]
    if direction == "egress":
        rules += ["meta nfproto ipv4 udp sport 68 udp dport 67 return",
                  "meta nfproto ipv6 udp sport 546 udp dport 547 return",
                  f"icmpv6 type {_set(ND_OUT.split(', '))} return"]
    else:
        rules += ["meta nfproto ipv4 udp sport 67 udp dport 68 return",
                  "meta nfproto ipv6 udp sport 547 udp dport 546 return",
                  f"icmpv6 type {_set(ND_IN.split(', '))} return"]
    for rule in port.spec.security_rules:
        if rule.direction != direction:
            continue
        for match in _match(rule) or ():
            rules.append(f"{match} return")
    rules.append("drop")
    return rules


def limit_rule(device: str, max_kbps: int, max_burst_kbps: int | None) -> str:
    """Drop what a port sends beyond its rate (kilobits per second, as the API gives
    them; the burst defaults to 80% of the rate, as Neutron's Linux bridge agent's)."""
    rate = int(max_kbps) * 125
    burst = int(max_burst_kbps) * 125 if max_burst_kbps else rate * 4 // 5
    return (f'iifname "{device}" limit rate over {rate} bytes/second burst {max(burst, 1)} '
            "bytes drop")


def render(ports: list[FilteredPort], limits: dict[str, tuple[int, int | None]] | None = None
           ) -> tuple[str, dict[str, int]]:
    """The nft script replacing both tables, and the rule count expected per chain (to
    notice a lost rule); ``limits``: device → (kbps, burst kbps) of bandwidth-limited
    ports. Nothing to filter or limit: a script deleting both tables."""
    lines = [f"add table bridge {L2_TABLE}", f"delete table bridge {L2_TABLE}",
             f"add table inet {PORTS_TABLE}", f"delete table inet {PORTS_TABLE}"]
    counts: dict[str, int] = {}
    if not ports and not limits:
        return "\n".join(lines) + "\n", counts
    chains: dict[str, list[str]] = {}
    pre = ["meta mark set 0x0"]
    pre += [limit_rule(device, *limit) for device, limit in sorted((limits or {}).items())]
    fwd = ["meta mark set meta mark & 0x0000ffff"]
    inet_fwd = []
    for port in sorted(ports, key=lambda p: p.index):
        pre.append(f'iifname "{port.device}" jump from_{port.index}')
        fwd.append(f'oifname "{port.device}" meta mark set meta mark | 0x{port.index << 16:x}')
        chains[f"from_{port.index}"] = l2_chain(port)
        inet_fwd.append(f"meta mark & 0x0000ffff == 0x{port.index:x} jump egress_{port.index}")
        inet_fwd.append(f"meta mark & 0xffff0000 == 0x{port.index << 16:x} "
                        f"jump ingress_{port.index}")
    lines.append(f"table bridge {L2_TABLE} {{")
    lines += _chain("prerouting", pre, "type filter hook prerouting priority -200; "
                                       "policy accept;")
    lines += _chain("forward", fwd, "type filter hook forward priority -200; policy accept;")
    for name, rules in chains.items():
        lines += _chain(name, rules)
    lines.append("}")
    counts.update({f"bridge/prerouting": len(pre), "bridge/forward": len(fwd)})
    counts.update({f"bridge/{n}": len(r) for n, r in chains.items()})
    lines.append(f"table inet {PORTS_TABLE} {{")
    zones = sorted({(p.bridge, p.zone) for p in ports if p.bridge and p.zone})
    raw = [f'iifname "{bridge}" ct zone set {zone}' for bridge, zone in zones]
    lines += _chain("zones", raw, "type filter hook prerouting priority raw; "
                                  "policy accept;")
    lines += _chain("forward", inet_fwd, "type filter hook forward priority 0; "
                                         "policy accept;")
    counts["inet/zones"] = len(raw)
    counts["inet/forward"] = len(inet_fwd)
    for port in sorted(ports, key=lambda p: p.index):
        for direction, name in (("egress", f"egress_{port.index}"),
                                ("ingress", f"ingress_{port.index}")):
            rules = group_chain(port, direction)
            lines += _chain(name, rules)
            counts[f"inet/{name}"] = len(rules)
    lines.append("}")
    return "\n".join(lines) + "\n", counts


def _chain(name: str, rules: list[str], hook: str = "") -> list[str]:
    return [f"  chain {name} {{"] + ([f"    {hook}"] if hook else []) + \
        [f"    {r}" for r in rules] + ["  }"]


def apply(namespace: str, script: str) -> None:
    """Run the script in one transaction (all or nothing)."""
    run(namespace, ["nft", "-f", "-"], stdin=script)


def rule_counts(namespace: str) -> dict[str, int]:
    """family/chain → rules, for the chains of both tables as the kernel has them now."""
    counts: dict[str, int] = {}
    ours = {("bridge", L2_TABLE), ("inet", PORTS_TABLE)}
    listing = run(namespace, ["nft", "-j", "list", "ruleset"])  # one call for both tables
    for item in json.loads(listing or "{}").get("nftables", []):
        entry = item.get("chain") or item.get("rule")
        if entry is None or (entry["family"], entry["table"]) not in ours:
            continue
        key = f"{entry['family']}/{entry.get('chain') or entry['name']}"
        counts[key] = counts.get(key, 0) + (1 if "rule" in item else 0)
    return counts


def host_settings(namespace: str) -> None:
    """Bridged IP traffic passes the inet hooks (br_netfilter), where conntrack works."""
    from onestack.network.drivers.linux.links import sysctl

    for key in ("net.bridge.bridge-nf-call-iptables", "net.bridge.bridge-nf-call-ip6tables"):
        sysctl(namespace, key, "1")

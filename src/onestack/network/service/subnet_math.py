"""Address arithmetic of subnets and subnet pools, as Neutron does it: the default gateway
and allocation pools of a CIDR, the checks on given pools, and carving a prefix out of a
pool's free space. Pure functions on strings and ``ipaddress`` values (no database), so
that each rule has a unit test of its own.

Ranges are ``(first, last)`` pairs of ``ipaddress`` addresses, both inclusive.
"""
from __future__ import annotations

import ipaddress
from typing import Iterable

from onestack.core.errors import BadRequest, Conflict

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Net = ipaddress.IPv4Network | ipaddress.IPv6Network
Range = tuple[Address, Address]


def invalid_input(message: str) -> BadRequest:
    return BadRequest(f"Invalid input for operation: {message}.", kind="InvalidInput")


def bad_subnets(message: str) -> BadRequest:
    return BadRequest(f"Bad subnets request: {message}.", kind="BadRequest")


def network(cidr: str) -> Net:
    return ipaddress.ip_network(cidr, strict=False)


def check_version(ip_version: int, value: str, name: str) -> None:
    """``<name> '<addr>' does not match the ip_version '<v>'`` (400) on a mismatch."""
    version = network(value).version if "/" in value else ipaddress.ip_address(value).version
    if version != ip_version:
        raise invalid_input(f"{name} '{value}' does not match the ip_version "
                            f"'{ip_version}'")


def first_host(cidr: str) -> str:
    """The default gateway: the address after the network address."""
    net = network(cidr)
    return str(net.network_address + 1)


def gateway_invalid(cidr: str, gateway: str) -> bool:
    """A gateway inside an IPv4 subnet may not be its network or broadcast address (one
    outside the subnet cannot be checked, and Neutron accepts it)."""
    net, ip = network(cidr), ipaddress.ip_address(gateway)
    return net.version == 4 and ip in net and ip in (net.network_address,
                                                     net.broadcast_address)


def usable_bounds(cidr: str) -> Range:
    """First and last address an allocation pool may hold: not the network address, and
    in IPv4 not the broadcast (except in /31 and /32, where every address is usable)."""
    net = network(cidr)
    if net.version == 4 and net.prefixlen > 30:
        return net.network_address, net.broadcast_address
    last = net.broadcast_address if net.version == 6 else net.broadcast_address - 1
    return net.network_address + 1, last


def default_pools(cidr: str, gateway: str | None) -> list[Range]:
    """The whole usable range of the CIDR, minus the gateway."""
    net = network(cidr)
    if net.num_addresses == 1:
        return [(net.network_address, net.network_address)]
    first, last = usable_bounds(cidr)
    if gateway is None:
        return [(first, last)]
    gw = ipaddress.ip_address(gateway)
    if gw.version != net.version or not first <= gw <= last:
        return [(first, last)]
    out: list[Range] = []
    if gw > first:
        out.append((first, gw - 1))
    if gw < last:
        out.append((gw + 1, last))
    return out


def fmt_range(pool: Range) -> str:
    return f"{pool[0]}-{pool[1]}"


def check_pools(pools: list[dict[str, str]], cidr: str) -> list[Range]:
    """Given pools as ranges, each ordered, of the subnet's version, inside its usable
    bounds (400) and not overlapping one another (409), as Neutron checks them."""
    net = network(cidr)
    first, last = usable_bounds(cidr)
    ranges: list[Range] = []
    for pool in pools:
        start, end = ipaddress.ip_address(pool["start"]), ipaddress.ip_address(pool["end"])
        text = f"{pool['start']}-{pool['end']}"
        if start.version != net.version or end.version != net.version or start > end:
            raise BadRequest(f"The allocation pool {text} is not valid.",
                             kind="InvalidAllocationPool")
        if start < first or end > last:
            raise BadRequest(f"The allocation pool {text} spans beyond the subnet cidr "
                             f"{cidr}.", kind="OutOfBoundsAllocationPool")
        ranges.append((start, end))
    for i, left in enumerate(ranges):
        for right in ranges[i + 1:]:
            if left[0] <= right[1] and right[0] <= left[1]:
                raise Conflict(f"Found overlapping allocation pools: {fmt_range(left)} "
                               f"{fmt_range(right)} for subnet {cidr}.",
                               kind="OverlappingAllocationPools")
    return ranges


def check_gateway_out_of_pools(gateway: str | None, ranges: Iterable[Range]) -> None:
    if not gateway:
        return
    gw = ipaddress.ip_address(gateway)
    for pool in ranges:
        if gw.version == pool[0].version and pool[0] <= gw <= pool[1]:
            raise Conflict(f"Gateway ip {gateway} conflicts with allocation pool "
                           f"{fmt_range(pool)}.", kind="GatewayConflictWithAllocationPools")


def in_ranges(ip: str, ranges: Iterable[Range]) -> bool:
    addr = ipaddress.ip_address(ip)
    return any(r[0].version == addr.version and r[0] <= addr <= r[1] for r in ranges)


def overlaps(a: str, b: str) -> bool:
    na, nb = network(a), network(b)
    return na.version == nb.version and na.overlaps(nb)


# --- subnet pools -------------------------------------------------------------------------

def compact(prefixes: Iterable[str]) -> list[str]:
    """Prefixes merged where they overlap or adjoin (Neutron stores a pool's prefixes so)."""
    nets = [network(p) for p in prefixes]
    out: list[str] = []
    for version in (4, 6):
        same = [n for n in nets if n.version == version]
        out += [str(n) for n in ipaddress.collapse_addresses(same)]  # type: ignore[arg-type]
    return out


def covers(outer: Iterable[str], inner: Iterable[str]) -> bool:
    """Whether every address of ``inner`` lies within ``outer``."""
    outs = [network(p) for p in outer]
    return all(any(n.version == o.version and n.subnet_of(o)  # type: ignore[arg-type]
                   for o in outs) for n in (network(p) for p in compact(inner)))


def subtract(prefixes: Iterable[str], used: Iterable[str]) -> list[Net]:
    """The free blocks of ``prefixes`` once ``used`` are taken out."""
    free = [network(p) for p in compact(prefixes)]
    for taken in (network(u) for u in used):
        nxt: list[Net] = []
        for block in free:
            if block.version != taken.version or not block.overlaps(taken):
                nxt.append(block)
            elif block.subnet_of(taken):  # type: ignore[arg-type]
                continue
            else:
                nxt.extend(block.address_exclude(taken))  # type: ignore[arg-type]
        free = nxt
    return free


def first_free(prefixes: Iterable[str], used: Iterable[str], prefixlen: int) -> str | None:
    """A free prefix of ``prefixlen`` bits: the first of the smallest free block that
    holds one (best fit, as Neutron allocates), or None."""
    free = sorted(subtract(prefixes, used), key=lambda n: (-n.prefixlen, n.network_address))
    for block in free:
        if prefixlen >= block.prefixlen and prefixlen <= block.max_prefixlen:
            return str(next(block.subnets(new_prefix=prefixlen)))
    return None


def is_free(prefixes: Iterable[str], used: Iterable[str], cidr: str) -> bool:
    """Whether ``cidr`` lies wholly inside one free block of the pool."""
    want = network(cidr)
    return any(b.version == want.version and want.subnet_of(b)  # type: ignore[arg-type]
               for b in subtract(prefixes, used))


def quota_units(cidr: str) -> int:
    """A prefix's size in a pool quota's units: /32 addresses (IPv4), /64 networks (IPv6)."""
    net = network(cidr)
    unit = 32 if net.version == 4 else 64
    return 2 ** max(unit - net.prefixlen, 0)

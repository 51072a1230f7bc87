"""IP address and MAC allocation that holds under concurrency.

No process lock: every replica of the API may allocate at once, and the database decides.
An address is taken by inserting its ``(subnet_id, ip_address)`` row, the primary key of
``network_ip_allocations``; two transactions that chose the same address cannot both
commit. A chosen address is inserted inside a SAVEPOINT, so that losing the race costs
only that savepoint: the allocator re-reads what is taken (under READ COMMITTED it sees
the winner's commit) and tries another candidate. Candidates are picked at random among
the first few free addresses of the pools, so that racing transactions seldom pick the
same one. Only when a fresh read finds no free address does it answer 409
``IpAddressGenerationFailure``.

MACs work the same way (``uq_network_ports_mac``): see ``service.ports``.
"""
from __future__ import annotations

import ipaddress
import random
import secrets
import socket
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from onestack.core.db import writes_serialized
from onestack.core.errors import BadRequest, Conflict
from onestack.network.models.ports import IPAllocation
from onestack.network.models.subnets import AllocationPool

BASE_MAC = "fa:16:3e"
CANDIDATES = 8  # racing allocators pick at random among this many free addresses
MAX_ATTEMPTS = 64  # lost races before giving up on one address
AUTO_ADDRESS_MODES = ("slaac", "dhcpv6-stateless")

IP = ipaddress.IPv4Address | ipaddress.IPv6Address


def random_mac(rng: random.Random | None = None) -> str:
    tail = (rng.getrandbits(24) if rng else secrets.randbits(24))
    return f"{BASE_MAC}:{tail >> 16:02x}:{(tail >> 8) & 0xff:02x}:{tail & 0xff:02x}"


def ip_int(ip: str) -> int:
    """A stored (canonical) address as an integer: ``inet_pton`` is several times
    cheaper than ``ipaddress.ip_address`` (an allocation reads every address taken)."""
    family = socket.AF_INET6 if ":" in ip else socket.AF_INET
    return int.from_bytes(socket.inet_pton(family, ip), "big")


def is_auto_address(subnet: Any) -> bool:
    """An IPv6 subnet whose hosts configure their address themselves (SLAAC)."""
    return subnet.ip_version == 6 and subnet.ipv6_address_mode in AUTO_ADDRESS_MODES


def eui64(cidr: str, mac: str) -> str:
    """The SLAAC address of ``mac`` in a /64 (modified EUI-64, RFC 4291)."""
    net = ipaddress.ip_network(cidr)
    octets = [int(b, 16) for b in mac.split(":")]
    octets[0] ^= 0x02
    iid = octets[:3] + [0xff, 0xfe] + octets[3:]
    return str(ipaddress.ip_address(int(net.network_address) | int.from_bytes(bytes(iid),
                                                                             "big")))


def already_allocated(ip: str, subnet_id: str) -> Conflict:
    return Conflict(f"IP address {ip} already allocated in subnet {subnet_id}",
                    kind="IpAddressAlreadyAllocated")


def generation_failure(network_id: str) -> Conflict:
    return Conflict(f"No more IP addresses available on network {network_id}.",
                    kind="IpAddressGenerationFailure")


def invalid_for_subnet(ip: str) -> BadRequest:
    return BadRequest(f"IP address {ip} is not a valid IP for the specified subnet.",
                      kind="InvalidIpForSubnet")


def valid_host(subnet: Any, ip: str, device_owner: str = "") -> bool:
    """In the subnet, and not its network (or IPv4 broadcast) address. A router port may
    take an IPv6 subnet's network address (Neutron allows it)."""
    net = ipaddress.ip_network(subnet.cidr)
    addr = ipaddress.ip_address(ip)
    if addr not in net:
        return False
    if net.version == 4 and net.prefixlen < 31:
        return addr not in (net.network_address, net.broadcast_address)
    if net.version == 6 and addr == net.network_address:
        return device_owner.startswith("network:router")
    return True


# Built once (an allocation runs them on every port create).
POOLS = sa.select(AllocationPool.first_ip, AllocationPool.last_ip).where(
    AllocationPool.subnet_id == sa.bindparam("subnet_id"))
USED = sa.select(IPAllocation.ip_address).where(
    IPAllocation.subnet_id == sa.bindparam("subnet_id"))
TAKE = sa.insert(IPAllocation)


def pools_of(s: Session, subnet: Any) -> list[tuple[int, int]]:
    """The subnet's allocation ranges as (first, last) integers, in address order; the
    whole range minus the gateway when the subnet lists none."""
    rows = s.execute(POOLS, {"subnet_id": subnet.id}).all()
    if rows:
        return sorted((int(ipaddress.ip_address(a)), int(ipaddress.ip_address(b)))
                      for a, b in rows)
    net = ipaddress.ip_network(subnet.cidr)
    first, last = int(net.network_address), int(net.broadcast_address)
    if net.version == 4 and net.prefixlen < 31:
        first, last = first + 1, last - 1
    elif net.version == 6:
        first += 1
    gateway = int(ipaddress.ip_address(subnet.gateway_ip)) if subnet.gateway_ip else None
    if gateway is not None and first <= gateway <= last:
        ranges = [(first, gateway - 1), (gateway + 1, last)]
        return [(a, b) for a, b in ranges if a <= b]
    return [(first, last)] if first <= last else []


def used_ips(s: Session, subnet_id: str) -> set[str]:
    return set(s.scalars(USED, {"subnet_id": subnet_id}))


def free_candidates(pools: list[tuple[int, int]], used: set[int], limit: int
                    ) -> Iterator[int]:
    """The first ``limit`` free addresses of the pools, in order (walks past used ones
    only, so a huge IPv6 pool costs no more than a small one)."""
    found = 0
    for first, last in pools:
        ip = first
        while ip <= last and found < limit:
            if ip not in used:
                yield ip
                found += 1
            ip += 1
        if found >= limit:
            return


def count_in_pools(pools: list[tuple[int, int]]) -> int:
    return sum(b - a + 1 for a, b in pools)


def _insert(s: Session, subnet: Any, ip: str, port_id: str, *, read_free: bool = False
            ) -> bool:
    """Take ``ip`` in a savepoint; False if another transaction holds it. ``read_free``:
    this transaction has just read ``ip`` as free, so where writers are serialized
    (SQLite) nobody can have taken it since and no savepoint is needed."""
    if read_free and writes_serialized(s):
        s.execute(TAKE, {"subnet_id": subnet.id, "ip_address": ip,
                         "network_id": subnet.network_id, "port_id": port_id})
        return True
    try:
        with s.begin_nested():
            s.execute(sa.insert(IPAllocation).values(
                subnet_id=subnet.id, ip_address=ip, network_id=subnet.network_id,
                port_id=port_id))
    except IntegrityError:
        return False
    return True


def allocate_specific(s: Session, subnet: Any, ip: str, port_id: str,
                      device_owner: str = "") -> str:
    """Take the address the client asked for: 400 outside the subnet, 409 when held."""
    ip = str(ipaddress.ip_address(ip))
    if not valid_host(subnet, ip, device_owner):
        raise invalid_for_subnet(ip)
    if ip in used_ips(s, subnet.id) or not _insert(s, subnet, ip, port_id, read_free=True):
        raise already_allocated(ip, subnet.id)
    return ip


def allocate_auto(s: Session, subnet: Any, mac: str, port_id: str) -> str:
    """The port's EUI-64 address on a SLAAC subnet."""
    ip = eui64(subnet.cidr, mac)
    if not _insert(s, subnet, ip, port_id):
        raise already_allocated(ip, subnet.id)
    return ip


def allocate_any(s: Session, subnet: Any, port_id: str, *,
                 rng: random.Random | None = None) -> str | None:
    """A free address of the subnet's pools (None when it has none left)."""
    pick = rng or random
    pools = pools_of(s, subnet)
    lost: set[int] = set()
    for _ in range(MAX_ATTEMPTS):
        used = {ip_int(ip) for ip in used_ips(s, subnet.id)} | lost
        candidates = list(free_candidates(pools, used, CANDIDATES))
        if not candidates:
            return None
        choice = pick.choice(candidates)
        ip = str(ipaddress.ip_address(choice))
        if _insert(s, subnet, ip, port_id, read_free=True):
            return ip
        lost.add(choice)
    raise generation_failure(subnet.network_id)

"""IPAM arithmetic and allocation on a private SQLite database: pools, candidates,
EUI-64, MACs, and what a lost race costs (one savepoint, then another address)."""
from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.db import Base
from onestack.core.errors import BadRequest, Conflict
from onestack.network.models import l2, ports, subnets  # noqa: F401 - tables
from onestack.network.models.ports import IPAllocation, Port
from onestack.network.models.subnets import AllocationPool
from onestack.network.service import ipam


def subnet(cidr: str, gateway: str | None, **kw: object) -> SimpleNamespace:
    return SimpleNamespace(id=kw.pop("id", "sn-1"), network_id="net-1", cidr=cidr,
                           gateway_ip=gateway, ip_version=6 if ":" in cidr else 4,
                           ipv6_address_mode=kw.pop("mode", None))


@pytest.fixture
def session() -> Iterator[Session]:
    engine = sa.create_engine("sqlite://")
    tables = [t for name, t in Base.metadata.tables.items()
              if name in ("network_networks", "network_ports", "network_ip_allocations",
                          "network_subnets", "network_subnet_allocation_pools")]
    Base.metadata.create_all(engine, tables=tables)
    with Session(engine) as s, s.begin():
        now = datetime(2026, 1, 1)
        s.add(l2.Network(id="net-1", project_id="p", name="n", created_at=now,
                         updated_at=now, revision_number=0))
        for pid in ("port-1", "port-2"):
            s.add(Port(id=pid, network_id="net-1", mac_address=f"fa:16:3e:00:00:0{pid[-1]}",
                       created_at=now, updated_at=now, revision_number=0))
        s.flush()
        yield s
    engine.dispose()


def test_pools_default_to_the_range_without_network_broadcast_and_gateway(
        session: Session) -> None:
    pools = ipam.pools_of(session, subnet("10.0.0.0/29", "10.0.0.1"))
    assert pools == [(int(ipam.ipaddress.ip_address("10.0.0.2")),
                      int(ipam.ipaddress.ip_address("10.0.0.6")))]
    middle = ipam.pools_of(session, subnet("10.0.0.0/29", "10.0.0.4"))
    assert ipam.count_in_pools(middle) == 5
    assert ipam.count_in_pools(ipam.pools_of(session, subnet("10.0.0.0/29", None))) == 6
    v6 = ipam.pools_of(session, subnet("2001:db8::/120", "2001:db8::1"))
    assert ipam.count_in_pools(v6) == 254


def test_pools_come_from_the_subnet_rows(session: Session) -> None:
    session.add(AllocationPool(subnet_id="sn-9", first_ip="10.0.0.20", last_ip="10.0.0.21"))
    session.add(AllocationPool(subnet_id="sn-9", first_ip="10.0.0.10", last_ip="10.0.0.10"))
    session.flush()
    pools = ipam.pools_of(session, subnet("10.0.0.0/24", "10.0.0.1", id="sn-9"))
    assert ipam.count_in_pools(pools) == 3
    assert pools[0][0] < pools[1][0]


def test_candidates_skip_used_addresses_in_order() -> None:
    pools = [(10, 12), (20, 25)]
    assert list(ipam.free_candidates(pools, {10, 11, 21}, 4)) == [12, 20, 22, 23]
    assert list(ipam.free_candidates(pools, set(range(30)), 4)) == []
    # a huge IPv6 pool costs no more than the candidates asked for
    assert list(ipam.free_candidates([(0, 2 ** 64)], {0}, 2)) == [1, 2]


def test_eui64_and_macs() -> None:
    assert ipam.eui64("2001:db8::/64", "fa:16:3e:12:34:56") == \
        "2001:db8::f816:3eff:fe12:3456"
    mac = ipam.random_mac(random.Random(1))
    assert mac.startswith("fa:16:3e:") and len(mac) == 17
    assert ipam.random_mac(random.Random(1)) == mac


def test_valid_host() -> None:
    v4 = subnet("10.0.0.0/24", "10.0.0.1")
    assert ipam.valid_host(v4, "10.0.0.1") and ipam.valid_host(v4, "10.0.0.254")
    assert not ipam.valid_host(v4, "10.0.0.0") and not ipam.valid_host(v4, "10.0.0.255")
    assert not ipam.valid_host(v4, "10.0.1.5")
    v6 = subnet("2001:db8::/64", "2001:db8::1")
    assert not ipam.valid_host(v6, "2001:db8::")
    assert ipam.valid_host(v6, "2001:db8::", "network:router_interface")


def test_allocate_until_exhausted_then_none(session: Session) -> None:
    sn = subnet("10.0.0.0/29", "10.0.0.1")
    got = {ipam.allocate_any(session, sn, "port-1", rng=random.Random(3)) for _ in range(5)}
    assert got == {f"10.0.0.{i}" for i in range(2, 7)}
    assert ipam.allocate_any(session, sn, "port-1") is None


def test_specific_address_faults(session: Session) -> None:
    sn = subnet("10.0.0.0/24", "10.0.0.1")
    assert ipam.allocate_specific(session, sn, "10.0.0.9", "port-1") == "10.0.0.9"
    with pytest.raises(Conflict) as taken:
        ipam.allocate_specific(session, sn, "10.0.0.9", "port-2")
    assert taken.value.kind == "IpAddressAlreadyAllocated"
    with pytest.raises(BadRequest) as outside:
        ipam.allocate_specific(session, sn, "10.0.1.9", "port-2")
    assert outside.value.kind == "InvalidIpForSubnet"


def test_a_lost_race_costs_one_savepoint_and_picks_another(
        session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    """The candidate list was read before a rival committed its address: the insert
    fails on the primary key, the savepoint rolls back alone, and the next read moves
    on to a free address."""
    sn = subnet("10.0.0.0/29", "10.0.0.1")
    reads: list[set[str]] = []
    real = ipam.used_ips

    def stale_then_fresh(s: Session, subnet_id: str) -> set[str]:
        fresh = real(s, subnet_id)
        reads.append(fresh)
        return set() if len(reads) == 1 else fresh  # the first read predates the rival

    session.execute(sa.insert(IPAllocation).values(
        subnet_id="sn-1", ip_address="10.0.0.2", network_id="net-1", port_id="port-2"))

    class First(random.Random):
        def choice(self, seq):  # type: ignore[no-untyped-def, override]
            return seq[0]
    monkeypatch.setattr(ipam, "used_ips", stale_then_fresh)
    ip = ipam.allocate_any(session, sn, "port-1", rng=First())
    assert ip == "10.0.0.3"
    held = dict(session.execute(sa.select(IPAllocation.ip_address,
                                          IPAllocation.port_id)).all())
    assert len(reads) == 2  # one lost race, one fresh read
    assert held == {"10.0.0.2": "port-2", "10.0.0.3": "port-1"}

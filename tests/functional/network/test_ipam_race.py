"""IPAM under concurrency: two API replicas over one database and 16 threads racing for
the addresses of a small subnet. Exactly as many ports as free addresses are created, the
others are 409 IpAddressGenerationFailure, and the database holds no address or MAC twice.

On SQLite the writers queue (one writer at a time), so this mostly checks the counting; on
MariaDB and PostgreSQL (``ONESTACK_TEST_DATABASES``) transactions really race and only the
database's unique keys keep the addresses apart. ``benchmarks/ipam_race.py`` runs the full
300-ports-on-a-/24 version against running servers.
"""
from __future__ import annotations

import ipaddress
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import sqlalchemy as sa

from onestack.core.db import Database
from onestack.network.models.ports import IPAllocation, Port
from tests.functional.network.conftest import NetApi
from tests.support.api import Api, assert_status
from tests.support.identity import unique

THREADS = 16
CIDR = "10.250.0.0/26"  # 61 free addresses: .2 to .62 (.1 is the gateway)
ATTEMPTS = 100


def test_racing_replicas_never_share_an_address(net: NetApi, make_api: Callable[..., Api],
                                                admin_token: str, sql: Database) -> None:
    other = NetApi(make_api(), admin_token)
    network = net.network(name=unique("race"), shared=True)
    subnet = net.create("subnets", "subnet", network_id=network["id"], cidr=CIDR,
                        ip_version=4)
    free = ipaddress.ip_network(CIDR).num_addresses - 3

    def create(i: int) -> tuple[int, str]:
        replica = net if i % 2 else other
        # one project per thread: the ports quota's per-project lock does not queue them
        response = replica.post("/ports", json={"port": {
            "network_id": network["id"], "project_id": f"race-{i % THREADS}",
            "name": f"race-{i}"}})
        kind = response.json().get("NeutronError", {}).get("type", "")
        return response.status_code, kind

    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(create, range(ATTEMPTS)))
    statuses = Counter(results)
    assert statuses[(201, "")] == free, statuses
    assert statuses[(409, "IpAddressGenerationFailure")] == ATTEMPTS - free, statuses

    with sql.reader() as s:
        ips = list(s.scalars(sa.select(IPAllocation.ip_address).where(
            IPAllocation.subnet_id == subnet["id"])))
        macs = list(s.scalars(sa.select(Port.mac_address).where(
            Port.network_id == network["id"])))
        ports = s.scalar(sa.select(sa.func.count()).select_from(Port).where(
            Port.network_id == network["id"]))
    assert len(ips) == len(set(ips)) == free == ports
    assert len(macs) == len(set(macs)) == free
    pool_range = {str(ip) for ip in list(ipaddress.ip_network(CIDR).hosts())[1:]}
    assert set(ips) == pool_range

    # every address freed is handed out again, once
    listed = assert_status(net.get("/ports", params={"network_id": network["id"]}),
                           200)["ports"]
    for p in listed[:5]:
        assert_status(other.delete(f"/ports/{p['id']}"), 204)
    with ThreadPoolExecutor(THREADS) as pool:
        again = Counter(pool.map(create, range(ATTEMPTS, ATTEMPTS + 20)))
    assert again[(201, "")] == 5 and again[(409, "IpAddressGenerationFailure")] == 15, again

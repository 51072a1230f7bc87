#!/usr/bin/env python3
"""IPAM under concurrency, the issue's must-show: 300 port creates from 16 threads against a
/24 across two ``onestack api`` replicas on one MariaDB (or PostgreSQL) database.

Expected: exactly as many ports as free addresses (253: .2 to .254, .1 is the gateway),
every other create a 409 IpAddressGenerationFailure, no IP address or MAC held twice.

  .venv/bin/python benchmarks/ipam_race.py                     # MariaDB on 127.0.0.1
  .venv/bin/python benchmarks/ipam_race.py --database postgresql+psycopg://postgres@127.0.0.1
  .venv/bin/python benchmarks/ipam_race.py --urls http://127.0.0.1:8203,http://127.0.0.1:8213
        (replicas already running; --password is their admin password)

Without ``--urls`` it makes a fresh database (dropped afterwards), migrates and
bootstraps it with the CLI and starts two ``onestack api`` replicas on ``--ports``
(stopped by PID afterwards). Each thread creates its ports in its own project (admin sets
``project_id``) so that the port quota's per-project lock does not queue them: only the
addresses are contended. Prints one JSON line: created, 409s by type, other answers,
duplicate IPs and MACs (from the API and from the database), seconds and creates/s.
"""
from __future__ import annotations

import argparse
import ipaddress
import json
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.databases import Backend, TestDatabase  # noqa: E402
from tests.support.processes import OnestackProcess, onestack_executable, run_cli  # noqa: E402

PASSWORD = "ipam-race-admin"


def login(url: str, password: str) -> str:
    body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": "admin", "domain": {"id": "default"}, "password": password}}},
        "scope": {"project": {"name": "admin", "domain": {"id": "default"}}}}}
    r = httpx.post(url + "/identity/v3/auth/tokens", json=body, timeout=30, trust_env=False)
    r.raise_for_status()
    return r.headers["x-subject-token"]


def race(urls: list[str], password: str, attempts: int, threads: int, cidr: str,
         database_url: str | None) -> dict[str, object]:
    token = login(urls[0], password)
    headers = {"X-Auth-Token": token}
    api = httpx.Client(base_url=urls[0] + "/network/v2.0", headers=headers, timeout=60,
                       trust_env=False)
    network = api.post("/networks", json={"network": {
        "name": "ipam-race-" + uuid.uuid4().hex[:6], "shared": True}}).json()["network"]
    subnet = api.post("/subnets", json={"subnet": {
        "network_id": network["id"], "cidr": cidr, "ip_version": 4}}).json()["subnet"]
    free = ipaddress.ip_network(cidr).num_addresses - 3
    local = threading.local()

    def create(i: int) -> tuple[int, str]:
        if not hasattr(local, "clients"):
            local.clients = [httpx.Client(base_url=u + "/network/v2.0", headers=headers,
                                           timeout=120, trust_env=False) for u in urls]
        client = local.clients[i % len(urls)]
        r = client.post("/ports", json={"port": {
            "network_id": network["id"], "project_id": f"ipam-race-{i % threads}",
            "name": f"race-{i}"}})
        kind = ""
        if r.status_code != 201:
            try:
                kind = r.json()["NeutronError"]["type"]
            except (ValueError, KeyError):
                kind = r.text[:80]
        return r.status_code, kind

    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        results = Counter(pool.map(create, range(attempts)))
    seconds = time.perf_counter() - started
    ports = api.get("/ports", params={"network_id": network["id"]}).json()["ports"]
    ips = [f["ip_address"] for p in ports for f in p["fixed_ips"]]
    macs = [p["mac_address"] for p in ports]
    out: dict[str, object] = {
        "replicas": len(urls), "threads": threads, "attempts": attempts, "cidr": cidr,
        "free_addresses": free, "created": results[(201, "")],
        "conflicts_409": {k: n for (code, k), n in results.items() if code == 409},
        "other": {f"{code} {k}": n for (code, k), n in results.items()
                  if code not in (201, 409)},
        "ports_listed": len(ports),
        "duplicate_ips_api": len(ips) - len(set(ips)),
        "duplicate_macs_api": len(macs) - len(set(macs)),
        "seconds": round(seconds, 2), "creates_per_s": round(attempts / seconds, 1),
    }
    if database_url:
        engine = sa.create_engine(database_url, poolclass=sa.pool.NullPool)
        with engine.connect() as conn:
            out["duplicate_ips_db"] = conn.execute(sa.text(
                "SELECT count(*) - count(DISTINCT ip_address) FROM network_ip_allocations "
                "WHERE subnet_id = :s"), {"s": subnet["id"]}).scalar()
            out["duplicate_macs_db"] = conn.execute(sa.text(
                "SELECT count(*) - count(DISTINCT mac_address) FROM network_ports "
                "WHERE network_id = :n"), {"n": network["id"]}).scalar()
        engine.dispose()
    out["ok"] = (out["created"] == free and results[(409, "IpAddressGenerationFailure")]
                 == attempts - free and not out["other"] and out["duplicate_ips_api"] == 0
                 and out["duplicate_macs_api"] == 0 and len(ports) == free)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--database", default="mysql+pymysql://root@127.0.0.1",
                    help="server URL prefix a fresh database is made on")
    ap.add_argument("--ports", default="8203,8213", help="the two replicas' ports")
    ap.add_argument("--urls", default="", help="replicas already running (comma list)")
    ap.add_argument("--password", default=PASSWORD)
    ap.add_argument("--attempts", type=int, default=300)
    ap.add_argument("--threads", type=int, default=16)
    ap.add_argument("--cidr", default="10.123.0.0/24")
    args = ap.parse_args()
    if args.urls:
        print(json.dumps(race(args.urls.split(","), args.password, args.attempts,
                              args.threads, args.cidr, None)))
        return 0
    exe = onestack_executable()
    if exe is None:
        raise SystemExit("the onestack console script is not installed")
    tmp = Path(tempfile.mkdtemp(prefix="ipam-race-"))
    database = TestDatabase(Backend(args.database.rstrip("/")), tmp)
    processes: list[OnestackProcess] = []
    try:
        ports = [int(p) for p in args.ports.split(",")]
        run_cli(exe, "db", "upgrade", "--database-url", database.url)
        run_cli(exe, "bootstrap", "--database-url", database.url, "--admin-password",
                args.password, "--public-url", f"http://127.0.0.1:{ports[0]}")
        for n, port in enumerate(ports):
            processes.append(OnestackProcess(exe, ["api", "--database-url", database.url],
                                             port, tmp / f"replica-{n}.log"))
        for process in processes:
            process.wait_healthy()
        result = race([p.url for p in processes], args.password, args.attempts,
                      args.threads, args.cidr, database.url)
        result["database"] = database.backend.kind
        print(json.dumps(result))
        return 0 if result["ok"] else 1
    finally:
        for process in processes:
            process.stop()
        database.drop()


if __name__ == "__main__":
    sys.exit(main())

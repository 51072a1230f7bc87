"""Port create and port list of the Networking API profiled in process: SQL statements per
request (SQLAlchemy ``before_cursor_execute``), process CPU per request, and optionally a
pyinstrument profile of the same loop.

    .venv/bin/python benchmarks/network_profile.py                  # counts and CPU
    .venv/bin/python benchmarks/network_profile.py --profile create # + a pyinstrument tree

The whole app (every service) is built on a fresh SQLite file as the functional tests do;
requests go through the ASGI app (routing, auth, rendering), not over a socket.
"""
from __future__ import annotations

import argparse
import collections
import statistics
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from onestack import migrations  # noqa: E402
from onestack.core.config import Settings  # noqa: E402
from onestack.core.db import Database  # noqa: E402
from onestack.identity.bootstrap import bootstrap  # noqa: E402
from onestack.server import build_app  # noqa: E402
from tests.support.api import Api  # noqa: E402


class Counter:
    def __init__(self) -> None:
        self.n = 0
        self.texts: collections.Counter[str] = collections.Counter()

    def __call__(self, conn, cursor, statement, params, context, executemany):  # noqa: ANN001
        self.n += 1
        self.texts[" ".join(statement.split())[:160]] += 1


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ports", type=int, default=200)
    ap.add_argument("--lists", type=int, default=30)
    ap.add_argument("--profile", choices=("create", "list"), default=None)
    ap.add_argument("--show-sql", action="store_true")
    a = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="netprof-"))
    url = f"sqlite:///{tmp}/db.sqlite"
    migrations.upgrade(url)
    db = Database(url)
    bootstrap(db, admin_password="secret", public_url="http://bench.test",
              password_hash_rounds=4)
    settings = Settings(database_url=url, password_hash_rounds=4,
                        public_url="http://bench.test")
    api = Api(build_app(settings, db).asgi)
    counter = Counter()
    sa.event.listen(db.engine, "before_cursor_execute", counter)

    r = api.post("/v3/auth/tokens", json={"auth": {"identity": {"methods": ["password"],
                 "password": {"user": {"name": "admin", "domain": {"id": "default"},
                                       "password": "secret"}}},
                 "scope": {"project": {"name": "admin", "domain": {"id": "default"}}}}})
    token = r.headers["x-subject-token"]
    h = {"X-Auth-Token": token}

    def call(method: str, path: str, **kw):  # noqa: ANN202
        resp = api.http.request(method, "/network/v2.0" + path, headers=h, **kw)
        assert resp.status_code < 300, (method, path, resp.status_code, resp.text[:300])
        return resp

    net = call("POST", "/networks", json={"network": {"name": "prof"}}).json()["network"]
    call("POST", "/subnets", json={"subnet": {"network_id": net["id"], "ip_version": 4,
                                              "cidr": "10.200.0.0/16"}})

    def measure(label: str, n: int, fn):  # noqa: ANN001, ANN202
        cpu, wall, stmts = [], [], []
        texts: collections.Counter[str] = collections.Counter()
        for i in range(n):
            counter.n, counter.texts = 0, collections.Counter()
            c0, t0 = time.process_time(), time.perf_counter()
            fn(i)
            cpu.append(time.process_time() - c0)
            wall.append(time.perf_counter() - t0)
            stmts.append(counter.n)
            texts = counter.texts
        print(f"{label}: n={n} statements/req median {statistics.median(stmts)} "
              f"cpu median {statistics.median(cpu) * 1000:.2f} ms "
              f"p10 {sorted(cpu)[len(cpu) // 10] * 1000:.2f} ms mean "
              f"{statistics.fmean(cpu) * 1000:.2f} ms, wall median "
              f"{statistics.median(wall) * 1000:.2f} ms")
        if a.show_sql:
            for text, k in texts.most_common():
                print(f"   {k:3d} {text}")

    def create(i: int) -> None:
        call("POST", "/ports", json={"port": {"network_id": net["id"], "name": f"p{i}"}})

    def list_(i: int) -> None:
        body = call("GET", "/ports", params={"network_id": net["id"]}).json()
        assert len(body["ports"]) >= a.ports

    profiler = None
    if a.profile:
        from pyinstrument import Profiler
        profiler = Profiler(interval=0.0005, async_mode="disabled")
    warm = 10
    measure("port create (warm-up)", warm, create)
    if a.profile == "create":
        profiler.start()
    measure("port create", a.ports - warm, create)
    if a.profile == "create":
        profiler.stop()
    measure("list ports (warm-up)", 3, list_)
    if a.profile == "list":
        profiler.start()
    measure(f"list {a.ports} ports ?network_id", a.lists, list_)
    if a.profile == "list":
        profiler.stop()
    if profiler is not None:
        print(profiler.output_text(unicode=False, color=False, show_all=False))
    api.close()
    db.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())

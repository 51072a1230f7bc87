"""``onestack up`` as a user starts it: a fresh data dir, a token as soon as the port
answers, no library INFO lines, the start-up phases in order, the registered agents running
once the API answers (a server boots to ACTIVE), and a restart on the same data dir."""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest


PASSWORD = "startup-secret"
TIMING = re.compile(r"onestack-timing phase=(\S+) at=(\S+)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Up:
    """One ``onestack up`` process on a data dir, stopped by its own process group."""

    def __init__(self, data_dir: Path, log: Path, *extra: str):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log
        env = {k: v for k, v in os.environ.items() if not k.startswith("ONESTACK_")}
        env["ONESTACK_PASSWORD_HASH_ROUNDS"] = "4"
        onestack = Path(sys.executable).with_name("onestack")
        with open(log, "wb") as out:
            self.proc = subprocess.Popen(
                [str(onestack), "up", "--data-dir", str(data_dir), "--port", str(self.port),
                 "--admin-password", PASSWORD, "--fake-hosts", "1", "--timings", *extra],
                env=env, stdout=out, stderr=out, start_new_session=True)

    def token(self, timeout: float = 60) -> tuple[str, str]:
        body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
            "name": "admin", "domain": {"name": "Default"}, "password": PASSWORD}}},
            "scope": {"project": {"name": "admin", "domain": {"name": "Default"}}}}}
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.output()
            try:
                r = httpx.post(self.base + "/identity/v3/auth/tokens", json=body, timeout=10)
            except httpx.TransportError:
                time.sleep(0.05)
                continue
            assert r.status_code == 201, r.text  # once the port answers, the admin exists
            return r.headers["x-subject-token"], r.json()["token"]["project"]["id"]
        raise AssertionError("no token: " + self.output())

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def boot_server(up: Up, token: str) -> str:
    headers = {"X-Auth-Token": token}
    image = httpx.post(up.base + "/image/v2/images", headers=headers, timeout=10, json={
        "name": "startup-image", "disk_format": "raw", "container_format": "bare"})
    assert image.status_code == 201, image.text
    image_id = image.json()["id"]
    data = httpx.put(f"{up.base}/image/v2/images/{image_id}/file", content=b"\0" * 512,
                     headers={**headers, "Content-Type": "application/octet-stream"},
                     timeout=10)
    assert data.status_code == 204, data.text
    server = httpx.post(up.base + "/compute/v2.1/servers", headers=headers, timeout=10, json={
        "server": {"name": "startup-vm", "imageRef": image_id, "flavorRef": "1"}})
    assert server.status_code == 202, server.text
    return server.json()["server"]["id"]


def wait_status(up: Up, token: str, server_id: str, want: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    status = ""
    while time.monotonic() < deadline:
        r = httpx.get(f"{up.base}/compute/v2.1/servers/{server_id}",
                      headers={"X-Auth-Token": token}, timeout=10)
        status = r.json()["server"]["status"]
        if status == want:
            return
        assert status != "ERROR", r.text
        time.sleep(0.2)
    raise AssertionError(f"server {server_id} is {status}, not {want}")


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


def test_fresh_up_answers_quietly_in_phase_order_and_runs_its_agents(data_dir, tmp_path):
    up = Up(data_dir, tmp_path / "up.log")
    try:
        token, _ = up.token()
        server_id = boot_server(up, token)
        wait_status(up, token, server_id, "ACTIVE")
    finally:
        up.stop()
    out = up.output()
    stamps = {m.group(1): float(m.group(2)) for m in TIMING.finditer(out)}
    assert set(stamps) == {"import", "schema", "bootstrap", "listening"}, out
    # the child migrates and bootstraps while the parent imports; the port opens after both
    assert stamps["schema"] <= stamps["bootstrap"] <= stamps["listening"]
    assert stamps["import"] <= stamps["listening"]
    noisy = [line for line in out.splitlines()
             if "level=INFO" in line and "logger=onestack" not in line]
    assert noisy == [], noisy  # before: seven Alembic plugin lines and uvicorn's own
    assert "onestack is up" in out


def test_up_with_worker_processes_still_runs_its_agents(data_dir, tmp_path):
    """With ``--workers 2`` no app lives in the ``up`` process to wait behind: the agents
    start right away (found by resync, the workers' bus being their own)."""
    up = Up(data_dir, tmp_path / "workers.log", "--workers", "2")
    try:
        token, _ = up.token()
        wait_status(up, token, boot_server(up, token), "ACTIVE")
    finally:
        up.stop()


def test_restart_on_the_same_data_dir_keeps_the_cloud(data_dir, tmp_path):
    first = Up(data_dir, tmp_path / "first.log")
    try:
        token, project_id = first.token()
    finally:
        first.stop()
    second = Up(data_dir, tmp_path / "second.log")
    try:
        _, again = second.token()
    finally:
        second.stop()
    assert again == project_id  # the same admin project: bootstrap found it


def test_a_failed_migration_stops_start_up(tmp_path):
    """The forked child's failure reaches the parent as an exit (run in a fresh interpreter:
    forking this multi-threaded test process could inherit another thread's locks)."""
    url = f"sqlite:///{tmp_path / 'no-such-dir' / 'onestack.db'}"
    code = (
        "from onestack.cli.up import InChild, PhaseClock, prepare_database\n"
        "from onestack.core.config import Settings\n"
        "from onestack.server import default_registry\n"
        f"settings = Settings(database_url={url!r}, password_hash_rounds=4)\n"
        "InChild(lambda: prepare_database(settings, 'pw', default_registry(), PhaseClock()),\n"
        "        'preparing the database').start().wait()\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 1
    assert "preparing the database failed (exit code 1)" in done.stderr


def test_deferred_work_waits_for_the_first_login():
    """Agents and policy parsing start after the first login is answered, not before."""
    import anyio

    from onestack.cli.serve import AfterFirstLogin

    ran = threading.Event()

    async def app(scope, receive, send) -> None:
        return None

    deferred = AfterFirstLogin(app, [ran.set], limit=60)

    async def call(method: str, path: str) -> None:
        await deferred({"type": "http", "method": method, "path": path}, None, None)

    anyio.run(call, "GET", "/identity/v3")
    assert not ran.wait(0.2)
    anyio.run(call, "POST", "/identity/v3/auth/tokens")
    assert ran.wait(5)


def test_deferred_work_starts_by_the_limit_without_any_request():
    from onestack.cli.serve import AfterFirstLogin

    ran = threading.Event()
    deferred = AfterFirstLogin(None, [ran.set], limit=0.1)
    deferred.arm()
    assert ran.wait(5)


def test_deferred_work_waits_while_requests_keep_coming():
    """Clients that kept their tokens across a restart send no login: the work waits for
    the API to fall idle instead of starting in the middle of their requests."""
    import anyio

    from onestack.cli.serve import AfterFirstLogin

    ran = threading.Event()

    async def app(scope, receive, send) -> None:
        await anyio.sleep(0.02)

    deferred = AfterFirstLogin(app, [ran.set], limit=0.3)
    deferred.arm()

    async def busy() -> None:
        deadline = anyio.current_time() + 1.2
        while anyio.current_time() < deadline:  # never idle for 0.3 s
            await deferred({"type": "http", "method": "GET", "path": "/network/v2.0/ports"},
                           None, None)
            await anyio.sleep(0.1)

    anyio.run(busy)
    assert not ran.is_set()
    assert ran.wait(5)  # idle now


def test_sqlite_upgrade_is_one_transaction(tmp_path, monkeypatch):
    """A fresh schema used to be ~100 separate commits (pysqlite runs DDL outside any
    transaction): ~2 s of fsyncs on a cold start, and a failure halfway left half a schema.
    Now a failure leaves no table behind."""
    import sqlite3

    from alembic.ddl.impl import DefaultImpl

    from onestack.migrations import upgrade

    calls = {"n": 0}
    original = DefaultImpl.create_index

    def failing_create_index(self, index, **kw):
        calls["n"] += 1
        if calls["n"] == 5:
            raise RuntimeError("the disk is full")
        return original(self, index, **kw)

    monkeypatch.setattr(DefaultImpl, "create_index", failing_create_index)
    path = tmp_path / "half.db"
    with pytest.raises(RuntimeError, match="the disk is full"):
        upgrade(f"sqlite:///{path}")
    with sqlite3.connect(path) as conn:
        tables = conn.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall()
    assert tables == []

"""SQLite under concurrent writes from several processes: every one of many simultaneous
user creations succeeds (201), never a 500 or "database is locked"."""
from __future__ import annotations

import shutil
import sqlite3
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.support.processes import OnestackProcess, free_ports, onestack_executable, run_cli

pytestmark = pytest.mark.ha
PASSWORD = "sqlite-admin-pw"
USERS = 48


@pytest.fixture(scope="module")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated, bootstrapped SQLite file made with the CLI; each test works on a copy."""
    exe = onestack_executable()
    if exe is None:
        pytest.skip("the onestack console script is not installed in this environment")
    path = tmp_path_factory.mktemp("template") / "onestack.db"
    url = f"sqlite:///{path}"
    run_cli(exe, "db", "upgrade", "--database-url", url)
    run_cli(exe, "bootstrap", "--database-url", url, "--admin-password", PASSWORD,
            "--public-url", "http://127.0.0.1")
    with sqlite3.connect(path) as conn:  # fold the WAL in: one self-contained file to copy
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


@pytest.fixture(params=["workers-2", "two-processes"])
def servers(request, tmp_path: Path, template_db: Path):
    exe = onestack_executable()
    db_file = tmp_path / "onestack.db"
    shutil.copy(template_db, db_file)
    url = f"sqlite:///{db_file}"
    if request.param == "workers-2":
        specs = [["api", "--database-url", url, "--workers", "2"]]
    else:
        specs = [["api", "--database-url", url], ["api", "--database-url", url]]
    processes: list[OnestackProcess] = []
    try:
        for n, (args, port) in enumerate(zip(specs, free_ports(len(specs)))):
            processes.append(OnestackProcess(exe, args, port, tmp_path / f"api-{n}.log"))
        for process in processes:
            process.wait_healthy()
        yield processes
    finally:
        for process in processes:
            process.stop()


def admin_token(base: str) -> str:
    with httpx.Client(trust_env=False, timeout=30.0) as client:
        response = client.post(base + "/auth/tokens", json={"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": "admin", "domain": {"id": "default"}, "password": PASSWORD}}},
            "scope": {"project": {"name": "admin", "domain": {"id": "default"}}}}})
    assert response.status_code == 201, response.text
    return response.headers["X-Subject-Token"]


def test_concurrent_user_creation_on_one_sqlite_file(servers):
    processes = servers
    servers = [p.url + "/identity/v3" for p in processes]
    token = admin_token(servers[0])
    prefix = "writer-" + uuid.uuid4().hex[:6]
    limits = httpx.Limits(max_connections=32, max_keepalive_connections=32)

    with httpx.Client(trust_env=False, timeout=60.0, limits=limits) as client:
        def create(n: int) -> tuple[int, str]:
            base = servers[n % len(servers)]
            response = client.post(base + "/users", headers={"X-Auth-Token": token}, json={
                "user": {"name": f"{prefix}-{n:03d}", "password": f"pw-{n}"}})
            return response.status_code, response.text

        with ThreadPoolExecutor(max_workers=24) as pool:
            results = list(pool.map(create, range(USERS)))

        failures = [(status, text[:200]) for status, text in results if status != 201]
        logs = "\n".join(p.log_tail() for p in processes)
        assert failures == [], f"{failures}\nserver logs:\n{logs}"
        assert not any("database is locked" in text for _, text in results)

        for base in servers:  # every process sees every row
            listed = client.get(base + "/users", headers={"X-Auth-Token": token}).json()
            names = {u["name"] for u in listed["users"] if u["name"].startswith(prefix)}
            assert names == {f"{prefix}-{n:03d}" for n in range(USERS)}

        # and the new users can log in, through any process
        login = client.post(servers[-1] + "/auth/tokens", json={"auth": {"identity": {
            "methods": ["password"], "password": {"user": {
                "name": f"{prefix}-007", "domain": {"id": "default"}, "password": "pw-7"}}}}})
        assert login.status_code == 201, login.text

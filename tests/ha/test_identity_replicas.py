"""Two real ``onestack api`` replicas on one MariaDB database: tokens, revocations and users
made on one are honoured by the other at once (keys live in the database; each replica's
token cache is keyed on the database's identity generation), and both stay up under a burst
of concurrent requests (MariaDB and PostgreSQL)."""
from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.support.databases import TestDatabase, find_backend
from tests.support.processes import OnestackProcess, free_ports, onestack_executable, run_cli

pytestmark = pytest.mark.ha
PASSWORD = "replica-admin-pw"


@dataclass
class Replicas:
    a: httpx.Client
    b: httpx.Client


def _client(url: str) -> httpx.Client:
    return httpx.Client(base_url=url + "/identity/v3", trust_env=False, timeout=30.0)


@contextlib.contextmanager
def running_replicas(kind: str, tmp: Path) -> Iterator[tuple[list[OnestackProcess], Replicas]]:
    """A fresh database on the ``kind`` backend, migrated and bootstrapped with the CLI, and
    two ``onestack api`` processes on it; everything is stopped and dropped afterwards."""
    backend = find_backend(kind)
    if backend is None:
        example = {"mysql": "mysql+pymysql://root@127.0.0.1",
                   "postgresql": "postgresql+psycopg://postgres@127.0.0.1"}[kind]
        pytest.skip(f"needs {kind}: add {example} to ONESTACK_TEST_DATABASES")
    exe = onestack_executable()
    if exe is None:
        pytest.skip("the onestack console script is not installed in this environment")
    database = TestDatabase(backend, tmp)
    processes: list[OnestackProcess] = []
    clients: list[httpx.Client] = []
    try:
        ports = free_ports(2)
        run_cli(exe, "db", "upgrade", "--database-url", database.url)
        run_cli(exe, "bootstrap", "--database-url", database.url, "--admin-password", PASSWORD,
                "--public-url", f"http://127.0.0.1:{ports[0]}")
        for n, port in enumerate(ports):
            processes.append(OnestackProcess(exe, ["api", "--database-url", database.url],
                                             port, tmp / f"replica-{n}.log"))
        for process in processes:
            process.wait_healthy()
        clients = [_client(p.url) for p in processes]
        yield processes, Replicas(*clients)
    finally:
        for client in clients:
            client.close()
        for process in processes:
            process.stop()
        database.drop()


@pytest.fixture(scope="module")
def replicas(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Replicas]:
    """Two replicas on one MariaDB database, shared by the tests of this module."""
    with running_replicas("mysql", tmp_path_factory.mktemp("replicas")) as (_, pair):
        yield pair


def login(client: httpx.Client, password: str = PASSWORD, *, name: str = "admin",
          project: str | None = "admin") -> tuple[str, dict]:
    auth: dict = {"identity": {"methods": ["password"], "password": {"user": {
        "name": name, "domain": {"id": "default"}, "password": password}}}}
    if project:
        auth["scope"] = {"project": {"name": project, "domain": {"id": "default"}}}
    response = client.post("/auth/tokens", json={"auth": auth})
    assert response.status_code == 201, response.text
    return response.headers["X-Subject-Token"], response.json()["token"]


def validate(client: httpx.Client, token: str, subject: str) -> httpx.Response:
    return client.get("/auth/tokens", headers={"X-Auth-Token": token,
                                               "X-Subject-Token": subject})


def test_token_from_one_replica_validates_on_the_other(replicas):
    token, body = login(replicas.a)
    response = validate(replicas.b, token, token)
    assert response.status_code == 200, response.text
    assert response.json()["token"]["user"]["id"] == body["user"]["id"]
    assert response.json()["token"]["project"]["id"] == body["project"]["id"]
    assert response.headers["x-openstack-request-id"].startswith("req-")
    # and the catalog both advertise is the one bootstrap wrote
    urls = {e["url"] for s in response.json()["token"]["catalog"] for e in s["endpoints"]}
    assert any(u.startswith("http://127.0.0.1:") for u in urls)


def test_revocation_on_one_replica_is_seen_by_the_other(replicas):
    admin, _ = login(replicas.a)
    victim, _ = login(replicas.a)
    assert validate(replicas.b, admin, victim).status_code == 200  # now cached on b
    assert replicas.b.get("/auth/projects", headers={"X-Auth-Token": victim}).status_code == 200
    revoked = replicas.a.delete("/auth/tokens", headers={"X-Auth-Token": admin,
                                                         "X-Subject-Token": victim})
    assert revoked.status_code == 204
    gone = validate(replicas.b, admin, victim)
    assert gone.status_code == 404 and gone.json()["error"]["code"] == 404
    refused = replicas.b.get("/auth/projects", headers={"X-Auth-Token": victim})
    assert refused.status_code == 401 and "WWW-Authenticate" in refused.headers


def test_user_created_on_one_replica_logs_in_on_the_other(replicas):
    admin, body = login(replicas.a)
    headers = {"X-Auth-Token": admin}
    name = "replica-user-" + body["audit_ids"][0][:8].replace("-", "x").replace("_", "y")
    created = replicas.a.post("/users", headers=headers, json={"user": {
        "name": name, "password": "first-pw"}})
    assert created.status_code == 201, created.text
    user_id = created.json()["user"]["id"]
    member = replicas.a.get("/roles", headers=headers, params={"name": "member"}).json()
    grant = replicas.a.put(f"/projects/{body['project']['id']}/users/{user_id}/roles/"
                           f"{member['roles'][0]['id']}", headers=headers)
    assert grant.status_code == 204

    token, on_b = login(replicas.b, "first-pw", name=name)
    assert on_b["user"]["id"] == user_id
    assert sorted(r["name"] for r in on_b["roles"]) == ["member", "reader"]
    assert validate(replicas.a, admin, token).status_code == 200

    # a password changed on b is the only one a accepts, and b's old token dies on a
    changed = replicas.b.post(f"/users/{user_id}/password", json={"user": {
        "original_password": "first-pw", "password": "second-pw"}})
    assert changed.status_code == 204
    assert validate(replicas.a, admin, token).status_code == 404
    stale = replicas.a.post("/auth/tokens", json={"auth": {"identity": {
        "methods": ["password"], "password": {"user": {"id": user_id,
                                                       "password": "first-pw"}}}}})
    assert stale.status_code == 401
    assert login(replicas.a, "second-pw", name=name)[1]["user"]["id"] == user_id


def test_disabling_a_user_on_one_replica_ends_its_cached_token_on_the_other(replicas):
    admin, body = login(replicas.a)
    headers = {"X-Auth-Token": admin}
    created = replicas.a.post("/users", headers=headers, json={"user": {
        "name": "replica-off-" + body["audit_ids"][0][:8], "password": "pw-off"}})
    user_id = created.json()["user"]["id"]
    token, _ = login(replicas.b, "pw-off", name=created.json()["user"]["name"], project=None)
    assert validate(replicas.b, admin, token).status_code == 200  # cached on b
    disabled = replicas.a.patch(f"/users/{user_id}", headers=headers,
                                json={"user": {"enabled": False}})
    assert disabled.status_code == 200
    assert validate(replicas.b, admin, token).status_code == 404


@pytest.mark.parametrize("kind", ["mysql", "postgresql"])
def test_concurrent_requests_on_both_replicas(kind, tmp_path):
    """A burst of concurrent validations and writes on both replicas: all answered, both
    processes still up (a connection shared between threads once crashed them)."""
    with running_replicas(kind, tmp_path) as (processes, pair):
        admin, _ = login(pair.a)
        prefix = "burst-" + uuid.uuid4().hex[:6]
        clients = [pair.a, pair.b]

        def op(n: int) -> tuple[int, str]:
            client = clients[n % 2]
            try:
                if n % 4 < 2:
                    response = validate(client, admin, admin)
                else:
                    response = client.post("/users", headers={"X-Auth-Token": admin}, json={
                        "user": {"name": f"{prefix}-{n:03d}", "password": "burst-pw"}})
            except httpx.TransportError as exc:
                return 0, repr(exc)
            return response.status_code, response.text[:200]

        with ThreadPoolExecutor(max_workers=24) as pool:
            results = list(pool.map(op, range(96)))
        failures = [r for r in results if not 200 <= r[0] < 300]
        alive = [p.proc.poll() is None for p in processes]
        assert failures == [] and alive == [True, True], \
            f"{len(failures)} failed, alive={alive}: {failures[:3]}\n{processes[0].log_tail(1500)}"
        listed = pair.b.get("/users", headers={"X-Auth-Token": admin}).json()["users"]
        assert len([u for u in listed if u["name"].startswith(prefix)]) == 48

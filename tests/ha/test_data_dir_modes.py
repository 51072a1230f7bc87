"""A real ``onestack up``, started under the common umask 022, leaves nothing another local
user can read in its data directory: the directory and every directory below it 0700, every
file 0600 — the database and its ``-wal``/``-shm`` (password hashes, token keys), the client
configuration, the admin password, uploaded image bytes, the fake hypervisor's state. A data
dir left 0755/0644 by an older version is tightened on start."""
from __future__ import annotations

import os
import stat
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.processes import OnestackProcess, cli_env, free_port, onestack_executable

pytestmark = pytest.mark.ha
PASSWORD = "modes-secret-pw"


@pytest.fixture
def common_umask() -> Iterator[None]:
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def start_up(data_dir: Path, log: Path) -> OnestackProcess:
    exe = onestack_executable()
    assert exe, "the onestack console script is not installed"
    proc = OnestackProcess(exe, ["up", "--data-dir", str(data_dir), "--admin-password",
                                 PASSWORD], free_port(), log,
                           env=cli_env(ONESTACK_FAKE_HOSTS="1"))
    proc.wait_healthy(90)
    return proc


def loose_entries(root: Path) -> dict[str, str]:
    """Every path under ``root`` (itself included) that group or others may access."""
    found = {}
    for path in [root, *root.rglob("*")]:
        st = path.lstat()
        if not stat.S_ISLNK(st.st_mode) and stat.S_IMODE(st.st_mode) & 0o077:
            found[str(path.relative_to(root.parent))] = oct(stat.S_IMODE(st.st_mode))
    return found


def admin_token(client: httpx.Client) -> tuple[str, str]:
    body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": "admin", "domain": {"id": "default"}, "password": PASSWORD}}},
        "scope": {"project": {"name": "admin", "domain": {"id": "default"}}}}}
    response = client.post("/identity/v3/auth/tokens", json=body)
    assert response.status_code == 201, response.text
    return response.headers["x-subject-token"], response.json()["token"]["project"]["id"]


def make_image_and_server(client: httpx.Client, token: str) -> None:
    """Image bytes on disk and a guest in the fake hypervisor's state file."""
    headers = {"X-Auth-Token": token}
    image = client.post("/image/v2/images", headers=headers, json={
        "name": "modes", "disk_format": "raw", "container_format": "bare"}).json()
    upload = client.put(f"/image/v2/images/{image['id']}/file", content=b"x" * 4096,
                        headers={**headers, "Content-Type": "application/octet-stream"})
    assert upload.status_code == 204, upload.text
    server = client.post("/compute/v2.1/servers", json={"server": {
        "name": "modes", "imageRef": image["id"], "flavorRef": "1", "networks": "none"}},
        headers={**headers, "X-OpenStack-Nova-API-Version": "2.37"})
    assert server.status_code == 202, server.text
    server_id = server.json()["server"]["id"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status = client.get(f"/compute/v2.1/servers/{server_id}",
                            headers=headers).json()["server"]["status"]
        if status in ("ACTIVE", "ERROR"):
            assert status == "ACTIVE"
            return
        time.sleep(0.3)
    raise AssertionError("server never became ACTIVE")


def test_fresh_data_dir_is_private(tmp_path, common_umask):
    data_dir = tmp_path / "fresh"
    proc = start_up(data_dir, tmp_path / "up.log")
    try:
        with httpx.Client(base_url=proc.url, trust_env=False, timeout=30) as client:
            token, _ = admin_token(client)
            make_image_and_server(client, token)
        names = {p.name for p in data_dir.rglob("*")}
        assert {"onestack.db", "clouds.yaml", "openrc"} <= names, names
        assert any(n.endswith(".json") and n.startswith("fake-") for n in names), names
        assert "onestack.db-wal" in names, names
        assert loose_entries(data_dir) == {}
    finally:
        proc.stop()


def test_generated_admin_password_is_private(tmp_path, common_umask):
    exe = onestack_executable()
    assert exe
    data_dir = tmp_path / "generated"
    proc = OnestackProcess(exe, ["up", "--data-dir", str(data_dir)], free_port(),
                           tmp_path / "up.log", env=cli_env(ONESTACK_FAKE_HOSTS="1"))
    try:
        proc.wait_healthy(90)
        assert (data_dir / "admin-password").read_text().strip()
        assert loose_entries(data_dir) == {}
    finally:
        proc.stop()


def test_old_loose_data_dir_is_tightened_on_start(tmp_path, common_umask):
    data_dir = tmp_path / "old"
    proc = start_up(data_dir, tmp_path / "first.log")
    proc.stop()
    data_dir.chmod(0o755)
    (data_dir / "images").mkdir(exist_ok=True)
    for path in data_dir.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    (data_dir / "admin-password").write_text("old-password\n")
    (data_dir / "admin-password").chmod(0o644)
    assert len(loose_entries(data_dir)) >= 5

    proc = start_up(data_dir, tmp_path / "second.log")
    try:
        assert loose_entries(data_dir) == {}
    finally:
        proc.stop()

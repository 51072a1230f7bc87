"""What the unmodified-client tests share: a real ``onestack up`` on a fresh data dir and a
free port (one per test module), whose ``clouds.yaml`` the clients read as cloud
``onestack``; stopped by its PID."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def venv_bin(name: str) -> str:
    """A console script next to this interpreter, else on PATH."""
    found = Path(sys.executable).with_name(name)
    return str(found) if found.exists() else (shutil.which(name) or name)


@pytest.fixture(scope="module")
def cloud(tmp_path_factory):
    data = tmp_path_factory.mktemp("up")
    port = free_port()
    env = {**os.environ, "ONESTACK_PASSWORD_HASH_ROUNDS": "4"}
    proc = subprocess.Popen([venv_bin("onestack"), "up", "--data-dir", str(data), "--port",
                             str(port), "--admin-password", "client-secret"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120  # a loaded machine starts slowly
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/identity/v3", timeout=1).status_code \
                        == 200 and (data / "clouds.yaml").exists():
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "onestack up did not answer"
            time.sleep(0.2)
        yield {"data": data, "env": {**env, "OS_CLIENT_CONFIG_FILE": str(data / "clouds.yaml")}}
    finally:
        proc.terminate()
        proc.wait(timeout=20)

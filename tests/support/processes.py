"""Real ``onestack`` processes for the multi-process tests: the console script, free ports on
127.0.0.1, start-and-wait-until-healthy, and stopping exactly the processes we started (by
PID, children first collected so uvicorn's worker processes go too)."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil

HOST = "127.0.0.1"


def onestack_executable() -> str | None:
    """The ``onestack`` console script of this environment."""
    beside = Path(sys.executable).with_name("onestack")
    if beside.exists():
        return str(beside)
    return shutil.which("onestack")


def free_ports(count: int) -> list[int]:
    """``count`` distinct ports that were free a moment ago (held open together while
    chosen, so the kernel cannot hand out one twice)."""
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind((HOST, 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def free_port() -> int:
    return free_ports(1)[0]


def cli_env(**extra: str) -> dict[str, str]:
    """This environment without inherited ``ONESTACK_*`` settings, plus fast hashing."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONESTACK_")}
    env["ONESTACK_PASSWORD_HASH_ROUNDS"] = "4"
    env["ONESTACK_LOG_LEVEL"] = "warning"
    env.update(extra)
    return env


def run_cli(exe: str, *args: str, env: dict[str, str] | None = None) -> str:
    result = subprocess.run([exe, *args], env=env or cli_env(), capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, \
        f"onestack {' '.join(args)} failed ({result.returncode}):\n{result.stderr[-3000:]}"
    return result.stdout


class OnestackProcess:
    """``onestack api ...`` on a port; ``stop()`` ends it and any worker it spawned."""

    def __init__(self, exe: str, args: list[str], port: int, log_path: Path,
                 env: dict[str, str] | None = None):
        self.port = port
        self.url = f"http://{HOST}:{port}"
        self.log_path = log_path
        self._log = open(log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen([exe, *args, "--host", HOST, "--port", str(port)],
                                     env=env or cli_env(), stdout=self._log,
                                     stderr=subprocess.STDOUT)
        # psutil handles remember their start time, so a recycled PID is never signalled
        self._children: dict[int, psutil.Process] = {}

    def log_tail(self, chars: int = 3000) -> str:
        self._log.flush()
        return self.log_path.read_bytes()[-chars:].decode(errors="replace")

    def wait_healthy(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        with httpx.Client(trust_env=False, timeout=2.0) as client:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise AssertionError(f"onestack exited with {self.proc.returncode}:\n"
                                         f"{self.log_tail()}")
                try:
                    if client.get(self.url + "/healthcheck").status_code == 200:
                        self._remember_children()
                        return
                except httpx.TransportError:
                    pass
                time.sleep(0.1)
        raise AssertionError(f"{self.url} not healthy after {timeout}s:\n{self.log_tail()}")

    def _remember_children(self) -> None:
        try:
            for child in psutil.Process(self.proc.pid).children(recursive=True):
                self._children.setdefault(child.pid, child)
        except psutil.NoSuchProcess:
            pass

    def stop(self, timeout: float = 15.0) -> None:
        self._remember_children()
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout)
        for child in self._children.values():  # workers that outlived their parent
            try:
                child.terminate()
                child.wait(timeout)
            except psutil.NoSuchProcess:
                continue
            except psutil.TimeoutExpired:
                child.kill()
        self._log.close()

"""Daemons the driver starts (dnsmasq, metadata proxies), tracked by pid files: alive
means the pid in the file runs a command line naming that pid file."""
from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from onestack.network.drivers.base import NetworkDriverError


def make_dirs(path: Path, own_from: Path) -> None:
    """Folders a daemon that drops root (dnsmasq runs as nobody) can traverse: those
    missing on the way to ``path`` are made 0755 whatever the umask, and those from
    ``own_from`` (the driver's run directory) down are set so; folders that existed above
    it are left as they are."""
    missing = [p for p in [path, *path.parents] if not p.exists()]
    for part in reversed(missing):
        part.mkdir(exist_ok=True)
        part.chmod(0o755)
    for part in [path, *path.parents]:
        part.chmod(0o755)
        if part == own_from:
            break


def running(pid_file: Path) -> int | None:
    """The pid of the daemon that owns ``pid_file``, or None."""
    try:
        pid = int(pid_file.read_text().strip())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError):
        return None
    return pid if str(pid_file).encode() in cmdline else None


def start(argv: list[str], pid_file: Path, log_file: Path, wait: float = 5.0) -> int:
    """Start a daemon that writes ``pid_file`` itself (or whose pid we write), and wait
    until it is up."""
    pid_file.unlink(missing_ok=True)
    with open(log_file, "ab") as log:
        child = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                 start_new_session=True, close_fds=True)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        pid = running(pid_file)
        if pid is not None:
            return pid
        code = child.poll()
        if code not in (None, 0):
            tail = log_file.read_text(errors="replace")[-400:]
            raise NetworkDriverError(f"{argv[0]} exited with {code}: {tail.strip()}")
        time.sleep(0.02)
    raise NetworkDriverError(f"{' '.join(argv[:4])} did not start")


def stop(pid_file: Path, wait: float = 5.0) -> None:
    """Stop the daemon (TERM, then KILL); fine when it is not running."""
    pid = running(pid_file)
    if pid is not None:
        _signal(pid, signal.SIGTERM)
        deadline = time.monotonic() + wait
        while running(pid_file) == pid and _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        if _alive(pid) and running(pid_file) == pid:
            _signal(pid, signal.SIGKILL)
    pid_file.unlink(missing_ok=True)


def reload(pid_file: Path) -> bool:
    """SIGHUP the daemon; whether it was running."""
    pid = running(pid_file)
    if pid is None:
        return False
    _signal(pid, signal.SIGHUP)
    return True


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ")[-1][:1] != "Z"
    except OSError:
        return False


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass

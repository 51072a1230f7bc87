"""The QEMU processes of guests, found by pid file. A pid names our QEMU only while the
process is alive (not a zombie) and its command line carries the guest's own pid file —
after a host reboot or a crash the number may belong to anything else."""
from __future__ import annotations

import os
import signal
import time
from pathlib import Path

EXIT_WAIT = 5.0  # seconds a QEMU told to quit (or killed) takes to go


def is_our_qemu(pid: int | None, pidfile: Path) -> bool:
    if not pid or pid <= 0:
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    if stat.rpartition(")")[2].split()[0] in ("Z", "X"):
        return False  # exited, not yet reaped
    return bool(argv) and b"qemu" in os.path.basename(argv[0]) and \
        os.fsencode(str(pidfile)) in argv


def wait_gone(pid: int, pidfile: Path, timeout: float) -> bool:
    """Whether the process ended within ``timeout`` seconds. QEMU runs daemonized (its
    parent is init), so we poll /proc rather than wait for a child."""
    deadline = time.monotonic() + timeout
    while is_our_qemu(pid, pidfile):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)
    return True


def kill_hard(pid: int, pidfile: Path) -> None:
    """SIGKILL our QEMU (only if the pid still is ours) and wait until it is gone."""
    if not is_our_qemu(pid, pidfile):
        return
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    wait_gone(pid, pidfile, EXIT_WAIT)

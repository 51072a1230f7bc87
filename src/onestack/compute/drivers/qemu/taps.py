"""The taps QEMU opens: made by the network driver in the host namespace (or, when a test
runs without one, by QEMU itself)."""
from __future__ import annotations

import subprocess

from onestack.core.dataplane import run_in

IFF_MULTI_QUEUE = 0x0100


def tap_queues(netns: str, tap: str) -> int:
    """How many queues QEMU opens on a port's tap: two on a multi-queue tap, so that a
    live migration's destination on this machine can open it while the source still has
    it (a single-queue tap admits one opener); one on a tap made without that flag. A
    tap that does not exist yet is made by QEMU, multi-queue."""
    try:
        found = run_in(netns, ["cat", f"/sys/class/net/{tap}/tun_flags"], check=False,
                       timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return 1
    if found.returncode != 0:
        return 2
    try:
        return 2 if int(found.stdout.strip(), 16) & IFF_MULTI_QUEUE else 1
    except ValueError:
        return 1

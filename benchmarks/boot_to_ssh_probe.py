"""Waits until ADDRESS:PORT sends an SSH banner, then exits 0 (1 after TIMEOUT seconds).

    python3 boot_to_ssh_probe.py ADDRESS PORT TIMEOUT

A new connection attempt starts every 0.2 s while older ones are still pending, so a
guest whose address does not answer yet (a connect that hangs on ARP) is noticed as soon
as one that answers at once (a refused port, or QEMU's user network accepting before the
guest listens). ``boot_to_ssh.py`` runs it (in the external namespace for onestack's
guests) before ``ssh … true``, so both sides are polled at the same pace. Stdlib only."""
from __future__ import annotations

import selectors
import socket
import sys
import time

EVERY = 0.2  # seconds between new attempts
PATIENCE = 3.0  # seconds an attempt may wait for its connection and the banner


def banner_seen(address: str, port: int, timeout: float) -> bool:
    sel = selectors.DefaultSelector()
    started: dict[socket.socket, float] = {}
    deadline = time.monotonic() + timeout
    next_try = 0.0
    try:
        while time.monotonic() < deadline:
            now = time.monotonic()
            if now >= next_try:
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                s.setblocking(False)
                s.connect_ex((address, port))
                sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE)
                started[s] = now
                next_try = now + EVERY
            for key, events in sel.select(max(0.0, next_try - time.monotonic())):
                s = key.fileobj  # type: ignore[assignment]
                if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) != 0:
                    _drop(sel, started, s)
                    continue
                if events & selectors.EVENT_READ:
                    try:
                        data = s.recv(64)
                    except OSError:
                        data = b""
                    if data.startswith(b"SSH-"):
                        return True
                    _drop(sel, started, s)  # closed or not SSH: try afresh
                else:
                    sel.modify(s, selectors.EVENT_READ)  # connected: wait for the banner
            for s, at in list(started.items()):
                if time.monotonic() - at > PATIENCE:
                    _drop(sel, started, s)
        return False
    finally:
        for s in list(started):
            _drop(sel, started, s)


def _drop(sel: selectors.BaseSelector, started: dict[socket.socket, float],
          s: socket.socket) -> None:
    sel.unregister(s)
    started.pop(s, None)
    s.close()


if __name__ == "__main__":
    sys.exit(0 if banner_seen(sys.argv[1], int(sys.argv[2]), float(sys.argv[3])) else 1)

"""Make a loopback TCP port of this namespace reachable as the same port on 127.0.0.1 of
another network namespace.

Why: Tempest's scenario tests must run inside ``up --driver qemu``'s external namespace
(the only place floating IPs answer), but the API listens on 127.0.0.1 of the machine's
own namespace, which that namespace cannot reach. This process opens its listening
socket inside the named namespace (``setns`` for the bind, then back) and relays each
connection to 127.0.0.1:PORT here, so the auth URL and the catalog's URLs work unchanged
in both places. Nothing changes in the machine's own namespace: no address, route or
firewall rule; only a socket is open there, to loopback.

Usage: netns_forward.py NAMESPACE PORT   (runs until SIGTERM/SIGINT; prints "ready")
Standard library only; needs root (setns).
"""
from __future__ import annotations

import ctypes
import os
import selectors
import signal
import socket
import sys
import threading
from contextlib import contextmanager
from typing import Iterator

CLONE_NEWNET = 0x40000000
CHUNK = 1 << 16


@contextmanager
def network_namespace(name: str) -> Iterator[None]:
    """Switch this thread into ``/run/netns/NAME`` for the block (sockets made inside
    stay in it), then back."""
    libc = ctypes.CDLL(None, use_errno=True)
    own = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    target = os.open(f"/run/netns/{name}", os.O_RDONLY)
    try:
        if libc.setns(target, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), f"setns into {name}")
        try:
            yield
        finally:
            if libc.setns(own, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns back")
    finally:
        os.close(target)
        os.close(own)


def listener_in(namespace: str, port: int) -> socket.socket:
    with network_namespace(namespace):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(128)
    return sock


def relay(client: socket.socket, port: int) -> None:
    """Copy bytes both ways between ``client`` and 127.0.0.1:PORT until both sides end."""
    try:
        upstream = socket.create_connection(("127.0.0.1", port), timeout=30)
    except OSError:
        client.close()
        return
    upstream.settimeout(None)
    pairs = {client: upstream, upstream: client}
    with selectors.DefaultSelector() as sel:
        for sock in pairs:
            sel.register(sock, selectors.EVENT_READ)
        open_reads = 2
        try:
            while open_reads:
                for key, _ in sel.select():
                    src = key.fileobj
                    data = src.recv(CHUNK)
                    if data:
                        pairs[src].sendall(data)
                        continue
                    sel.unregister(src)
                    open_reads -= 1
                    try:
                        pairs[src].shutdown(socket.SHUT_WR)
                    except OSError:
                        pass
        except OSError:
            pass
        finally:
            client.close()
            upstream.close()


def serve(namespace: str, port: int) -> None:
    sock = listener_in(namespace, port)
    print("ready", flush=True)
    while True:
        client, _ = sock.accept()
        threading.Thread(target=relay, args=(client, port), daemon=True).start()


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 64
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        serve(sys.argv[1], int(sys.argv[2]))
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""A TCP server for dataplane tests that tells each client the address it sees it
from (how a test checks SNAT): ``python whoami.py PORT``; prints ``ready``."""
from __future__ import annotations

import socket
import sys


def main(port: int) -> None:
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("0.0.0.0", port))
    server.listen(16)
    print("ready", flush=True)
    while True:
        conn, peer = server.accept()
        with conn:
            conn.sendall(f"{peer[0]}\n".encode())


if __name__ == "__main__":
    main(int(sys.argv[1]))

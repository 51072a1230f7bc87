"""scripts/netns_forward.py: a loopback port of the machine's namespace answers on the
same port of another namespace (how the Tempest scenario slice reaches the API from the
external namespace). The "other" namespace is a throwaway one; nothing else is touched."""
from __future__ import annotations

import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Iterator

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "netns_forward.py"
PAYLOAD = bytes(range(256)) * 4096  # 1 MiB, more than one relay chunk

CLIENT = """
import socket, sys
payload = bytes(range(256)) * 4096
with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20) as s:
    s.sendall(payload)
    s.shutdown(socket.SHUT_WR)
    got = b""
    while chunk := s.recv(65536):
        got += chunk
print(len(got), got == payload[::-1])
"""


@pytest.fixture()
def reversing_server() -> Iterator[int]:
    """A loopback server here that answers each whole request reversed, after the
    client's half-close (so the relay must carry the FIN both ways)."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def answer() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                data = b""
                while chunk := conn.recv(65536):
                    data += chunk
                conn.sendall(data[::-1])

    threading.Thread(target=answer, daemon=True).start()
    try:
        yield port
    finally:
        listener.close()


def test_port_answers_inside_the_namespace(host_netns: str, reversing_server: int) -> None:
    port = reversing_server
    forward = subprocess.Popen([sys.executable, str(SCRIPT), host_netns, str(port)],
                               stdout=subprocess.PIPE, text=True)
    try:
        assert forward.stdout is not None
        assert forward.stdout.readline().strip() == "ready"
        for _ in range(2):  # one connection after another
            done = subprocess.run(["ip", "netns", "exec", host_netns, sys.executable, "-c",
                                   CLIENT, str(port)], capture_output=True, text=True,
                                  timeout=60)
            assert done.stdout.split() == [str(len(PAYLOAD)), "True"], done.stderr
        # the listener is in the namespace: its ss shows it, with the process's pid
        listening = subprocess.run(["ip", "netns", "exec", host_netns, "ss", "-ltnpH"],
                                   capture_output=True, text=True, check=True).stdout
        assert f"127.0.0.1:{port}" in listening and f"pid={forward.pid}," in listening
    finally:
        forward.terminate()
        forward.wait(10)

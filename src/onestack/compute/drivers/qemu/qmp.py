"""A small QMP client: JSON lines over QEMU's monitor socket. One connection per use
(``with QMP.connect(path) as qmp``): QEMU serves one monitor client at a time, and a short
connection leaves the socket free for the next agent after a restart.

The protocol: QEMU greets, the client negotiates capabilities (``qmp_capabilities``),
then each command gets exactly one ``return`` or ``error``; ``event`` messages may arrive
in between and are kept for ``wait_event``."""
from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path
from typing import Any, Callable

from onestack.compute.drivers.base import DriverError

MAX_SUN_PATH = 100  # a unix socket path holds 107 bytes; longer ones go through /proc


class QMPError(DriverError):
    """QEMU answered a command with an error, or the monitor could not be reached."""

    def __init__(self, message: str, error_class: str = ""):
        super().__init__(message)
        self.error_class = error_class


def connect_unix(path: Path, timeout: float) -> socket.socket:
    """A connected stream socket to ``path``, however long the path is: a long one is
    reached through the directory's file descriptor in /proc."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        if len(os.fsencode(str(path))) <= MAX_SUN_PATH:
            sock.connect(str(path))
        else:
            dir_fd = os.open(path.parent, os.O_PATH | os.O_DIRECTORY)
            try:
                sock.connect(f"/proc/self/fd/{dir_fd}/{path.name}")
            finally:
                os.close(dir_fd)
    except OSError:
        sock.close()
        raise
    return sock


class QMP:
    def __init__(self, sock: socket.socket, timeout: float = 10.0):
        self._sock = sock
        self.timeout = timeout
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []
        self.greeting = self._read()
        if "QMP" not in self.greeting:
            raise QMPError(f"not a QMP monitor: {self.greeting!r}")
        self.execute("qmp_capabilities")

    @classmethod
    def connect(cls, path: Path, timeout: float = 10.0) -> QMP:
        try:
            sock = connect_unix(path, timeout)
        except OSError as exc:
            raise QMPError(f"cannot reach the QMP socket {path}: {exc}") from exc
        try:
            return cls(sock, timeout)
        except (OSError, ValueError, QMPError) as exc:
            sock.close()
            raise QMPError(f"QMP handshake on {path} failed: {exc}") from exc

    def __enter__(self) -> QMP:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._sock.close()

    def _read(self) -> dict[str, Any]:
        """The next message. A timeout leaves the buffer intact (unlike a socket file),
        so the connection stays usable after ``wait_event`` gave up."""
        while b"\n" not in self._buffer:
            chunk = self._sock.recv(65536)
            if not chunk:
                raise QMPError("QEMU closed the monitor connection")
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return json.loads(line)

    def _send(self, message: dict[str, Any], fds: list[int] | None = None) -> None:
        data = json.dumps(message).encode() + b"\n"
        if fds:
            socket.send_fds(self._sock, [data], fds)
        else:
            self._sock.sendall(data)

    def execute(self, command: str, arguments: dict[str, Any] | None = None,
                fds: list[int] | None = None) -> Any:
        """Run one command and return its ``return`` value; ``QMPError`` on an error.
        ``fds`` are passed along (SCM_RIGHTS), as ``getfd`` and ``add-fd`` expect."""
        self._next_id += 1
        ident = f"onestack-{self._next_id}"
        message: dict[str, Any] = {"execute": command, "id": ident}
        if arguments:
            message["arguments"] = arguments
        try:
            self._sock.settimeout(self.timeout)
            self._send(message, fds)
            while True:
                reply = self._read()
                if "event" in reply:
                    self.events.append(reply)
                    continue
                if reply.get("id") != ident:
                    continue
                if "error" in reply:
                    err = reply["error"]
                    raise QMPError(f"{command}: {err.get('desc', err)}", err.get("class", ""))
                return reply.get("return")
        except (OSError, ValueError) as exc:
            raise QMPError(f"{command}: {exc}") from exc

    def wait_event(self, name: str, timeout: float,
                   match: Callable[[dict[str, Any]], bool] = lambda data: True
                   ) -> dict[str, Any] | None:
        """The first event ``name`` whose data ``match``es (seen already or arriving
        within ``timeout`` seconds), or None."""
        deadline = time.monotonic() + timeout
        while True:
            for event in self.events:
                if event.get("event") == name and match(event.get("data", {})):
                    self.events.remove(event)
                    return event
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self._sock.settimeout(left)
            try:
                reply = self._read()
            except TimeoutError:
                return None
            except (OSError, ValueError) as exc:
                raise QMPError(f"waiting for {name}: {exc}") from exc
            if "event" in reply:
                self.events.append(reply)

"""Work inside a named network namespace from the calling thread, without a child process.

``setns`` moves only the calling thread, so a thread can step into a namespace, open a
socket or a ``/proc/sys/net`` file there (both stay bound to that namespace), and step back.
pyroute2 opens a namespaced netlink socket by forking a helper process each time; the agent
opens dozens per pass, so forking a large Python process for each was most of the agent's
CPU while a guest boots."""
from __future__ import annotations

import ctypes
import fcntl
import os
import socket
import struct
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

CLONE_NEWNET = 0x40000000
NETNS_RUN_DIR = Path("/run/netns")
NETLINK_ROUTE = 0
TUNSETIFF, TUNSETPERSIST, IFF_TAP = 0x400454CA, 0x400454CB, 0x0002
_libc = ctypes.CDLL(None, use_errno=True)


class NamespaceError(OSError):
    pass


def _setns(fd: int, what: str) -> None:
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        errno = ctypes.get_errno()
        raise NamespaceError(errno, f"setns {what}: {os.strerror(errno)}")


@contextmanager
def entered(namespace: str) -> Iterator[None]:
    """The calling thread inside ``namespace`` (a name under /run/netns) for the block.

    If stepping back ever failed the thread would keep working in the wrong namespace, so
    that failure ends the process rather than being raised into code that might go on."""
    home = os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
    try:
        try:
            target = os.open(NETNS_RUN_DIR / namespace, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError as exc:
            raise NamespaceError(exc.errno, f"no network namespace {namespace}") from exc
        try:
            _setns(target, f"into {namespace}")
        finally:
            os.close(target)
        try:
            yield
        finally:
            try:
                _setns(home, "back")
            except NamespaceError:  # pragma: no cover - the kernel refusing our own namespace
                os.abort()
    finally:
        os.close(home)


def netlink_fd(namespace: str, protocol: int = NETLINK_ROUTE) -> int:
    """The file descriptor of a netlink socket bound to ``namespace``, for pyroute2's
    ``fileno=`` (which takes it over and closes it)."""
    with entered(namespace):
        sock = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC,
                             protocol)
    return sock.detach()


def write_sysctl(namespace: str, key: str, value: str) -> None:
    """Set a network sysctl of ``namespace`` (``""``: the thread's own; ``/proc/sys/net``
    shows the namespace of the thread that opens it)."""
    path = "/proc/sys/" + key.replace(".", "/")
    with entered(namespace) if namespace else nullcontext():
        fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
        try:
            os.write(fd, value.encode() + b"\n")
        finally:
            os.close(fd)


def make_tap(namespace: str, name: str) -> None:
    """A persistent tap ``name`` in ``namespace`` (``""``: the thread's own). A tap is made
    by an ioctl on ``/dev/net/tun``, not over netlink, so it lands in the namespace of the
    thread that opens the device, whatever socket asked for it."""
    with entered(namespace) if namespace else nullcontext():
        fd = os.open("/dev/net/tun", os.O_RDWR | os.O_CLOEXEC)
        try:
            fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH22x", name.encode(), IFF_TAP))
            fcntl.ioctl(fd, TUNSETPERSIST, 1)
        finally:
            os.close(fd)

"""The other hosts of this machine: drivers whose state directories sit side by side
(``<state>/qemu-<host>``) see each other's guests, which makes the machine's disk shared
storage for moves between them. A live migration's destination links the source's disk
files; a cold move (resize or migrate to another host, evacuate) starts from a copy of
the source's disks instead of a fresh one, as Nova's moves carry the disk."""
from __future__ import annotations

import logging
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from onestack.compute.drivers.qemu.layout import GuestDir
from onestack.compute.drivers.qemu.process import is_our_qemu
from onestack.compute.drivers.qemu.qmp import QMP, QMPError

log = logging.getLogger(__name__)


def peer_guest(state_root: Path, own_root: Path, instance_id: str) -> GuestDir | None:
    """The guest's directory on another host of this machine, if one has it."""
    for root in sorted(state_root.glob("qemu-*")):
        if root == own_root:
            continue
        guest = GuestDir(root, instance_id)
        if guest.exists():
            return guest
    return None


@contextmanager
def held_still(peer: GuestDir) -> Iterator[None]:
    """The peer's guest paused while its disks are copied (if it runs), resumed after.
    Its status monitor is used: the action monitor belongs to the peer's own driver."""
    pid = peer.read_pid()
    if not is_our_qemu(pid, peer.pidfile):
        yield
        return
    resume = False
    try:
        with QMP.connect(peer.sock(GuestDir.STATUS), 10.0) as qmp:
            if qmp.execute("query-status")["status"] == "running":
                qmp.execute("stop")
                resume = True
    except QMPError as exc:
        log.warning("cannot pause %s for a copy of its disks: %s", peer.path, exc)
    try:
        yield
    finally:
        if resume:
            try:
                with QMP.connect(peer.sock(GuestDir.STATUS), 10.0) as qmp:
                    qmp.execute("cont")
            except QMPError as exc:
                log.warning("cannot resume %s after copying its disks: %s", peer.path, exc)


def copy_disks(peer: GuestDir, guest: GuestDir) -> bool:
    """Copy the peer's root and ephemeral disks (an overlay keeps its backing file, the
    shared base image) and its serial log; False when the peer has no root disk."""
    if not peer.disk.exists():
        return False
    with held_still(peer):
        for source, target in ((peer.disk, guest.disk), (peer.ephemeral, guest.ephemeral),
                               (peer.console, guest.console)):
            if source.exists():
                shutil.copyfile(source, target)
    return True

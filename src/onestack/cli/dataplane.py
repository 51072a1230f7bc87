"""``onestack up --driver qemu``: the real dataplane of an all-in-one cloud.

One compute host runs its guests with QEMU (state under the data dir) and the network
agent wires them with the Linux driver. Everything lives in a *host namespace* so the
machine's own network is never touched: ``dataplane_netns`` when set, else
``onestack-<hash of the data dir>``. When ``up`` exits it removes what it made: the
guests' QEMU processes are killed (their disks and records stay, so the servers show
SHUTOFF after the next start and ``server start`` boots them again), the driver's router,
DHCP and external namespaces with the processes in them, its run directory, and the
host namespace with the bridges, taps and nftables tables in it — unless it is a
``dataplane_netns`` that existed before ``up`` started: that one is left, with whatever
the driver made inside it. Exit means Ctrl-C or SIGTERM; after a SIGKILL the next start
re-adopts the guests and its driver removes what no spec names.

``--guest-image PATH`` (or ``guest_image_path``) uploads that qcow2 once as the public
image ``onestack-guest``; nothing is uploaded without it.
"""
from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from onestack.core.config import Settings

log = logging.getLogger("onestack.up")
GUEST_IMAGE_NAME = "onestack-guest"
# (tool, Debian package) the real dataplane runs
TOOLS = (("qemu-system-x86_64", "qemu-system-x86"), ("qemu-img", "qemu-utils"),
         ("ip", "iproute2"), ("nft", "nftables"), ("dnsmasq", "dnsmasq-base"))
CHUNK = 1 << 20


def missing_requirements() -> str | None:
    """Why this machine cannot run the real dataplane, or None when it can."""
    if os.geteuid() != 0:
        return "the qemu driver needs root (namespaces, bridges, taps, nftables)"
    if not Path("/dev/net/tun").exists():
        return "the qemu driver needs /dev/net/tun"
    for tool, package in TOOLS:
        if shutil.which(tool) is None:
            return f"the qemu driver needs {tool} (Debian package {package})"
    return None


def default_netns(data_dir: Path) -> str:
    """The host namespace of a data dir: its own, so two clouds on one machine differ."""
    return "onestack-" + hashlib.sha256(str(data_dir.resolve()).encode()).hexdigest()[:8]


def _namespaces() -> set[str]:
    done = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True)
    return {line.split()[0] for line in done.stdout.splitlines() if line.strip()}


@dataclass
class Dataplane:
    """The host namespace ``up`` runs the real drivers in, and whether it is ``up``'s
    to remove (its default one, or a ``dataplane_netns`` that did not exist before)."""

    data_dir: Path
    netns: str
    created: bool = False

    @classmethod
    def prepare(cls, settings: Settings, data_dir: Path) -> tuple[Settings, "Dataplane"]:
        """Check the machine, make the host namespace; the settings name it."""
        reason = missing_requirements()
        if reason:
            raise SystemExit(f"onestack up --driver qemu: {reason}")
        netns = settings.dataplane_netns or default_netns(data_dir)
        # the default namespace is ``up``'s own by its name, even one a crash left behind
        plane = cls(data_dir, netns, created=not settings.dataplane_netns)
        if netns not in _namespaces():
            subprocess.run(["ip", "netns", "add", netns], check=True)
            plane.created = True
        subprocess.run(["ip", "-n", netns, "link", "set", "lo", "up"], check=True)
        return settings.replace(dataplane_netns=netns), plane

    @property
    def external_netns(self) -> str:
        from onestack.network.drivers.linux.names import Names

        return Names(self.netns).external_ns()

    def teardown(self) -> None:
        """Remove what ``up`` made (the module docstring says what); each step goes on
        when another failed, so a half-made dataplane is removed as far as it can be."""
        self._stop_guests()
        from onestack.network.drivers.linux import links, processes
        from onestack.network.drivers.linux.names import Names

        names = Names(self.netns)
        run_dir = Path("/run/onestack/network") / names.tag
        # the daemons by their pid files: a metadata proxy runs in the agent's namespace
        # (it only listens in a DHCP namespace), so removing namespaces would miss it
        for pid_file in sorted(run_dir.rglob("*pid")) if run_dir.is_dir() else []:
            processes.stop(pid_file)
        for namespace in sorted(_namespaces()):
            if names.owns(namespace):
                try:
                    links.stop_processes(namespace)
                    links.delete_namespace(namespace)
                except Exception:  # noqa: BLE001 - go on with the rest
                    log.exception("could not remove namespace %s", namespace)
        shutil.rmtree(run_dir, ignore_errors=True)
        if self.created and self.netns in _namespaces():
            try:
                links.stop_processes(self.netns)
                links.delete_namespace(self.netns)
            except Exception:  # noqa: BLE001 - reported; nothing else is left to do
                log.exception("could not remove namespace %s", self.netns)
        # the agents' workers are told to stop, not joined: a spawn that was under way
        # may have started its QEMU meanwhile
        self._stop_guests()

    def _stop_guests(self) -> None:
        from onestack.compute.drivers.qemu.layout import GuestDir, guest_ids
        from onestack.compute.drivers.qemu.process import kill_hard

        for root in self.data_dir.glob("qemu-*"):
            if not root.is_dir():
                continue
            for instance_id in guest_ids(root):
                guest = GuestDir(root, instance_id)
                pid = guest.read_pid()
                if pid is not None:
                    kill_hard(pid, guest.pidfile)


def _chunks(path: Path) -> Iterator[bytes]:
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            yield chunk


def ensure_guest_image(db, settings: Settings, path: Path, owner: str) -> str:  # noqa: ANN001
    """The id of the public image ``onestack-guest``, uploaded from ``path`` unless an
    active one exists (a leftover of an interrupted upload is replaced). The content must
    pass the image service's format inspector as qcow2."""
    import sqlalchemy as sa

    from onestack.image import models as m
    from onestack.image import states
    from onestack.image.inspector import Inspection
    from onestack.image.seam import ImageSeam, create_for_volume

    seam = ImageSeam.from_settings(db, settings)
    rows = db.read(lambda s: [(r.id, r.status) for r in s.scalars(
        sa.select(m.Image).where(m.Image.name == GUEST_IMAGE_NAME,
                                 m.Image.visibility == "public"))])
    for image_id, status in rows:
        if status == states.ACTIVE:
            return image_id
    for image_id, _ in rows:
        seam.delete(image_id)
    if not path.is_file():
        raise SystemExit(f"guest image {path}: no such file")
    inspected = Inspection(_chunks(path), "qcow2")
    image_id = db.write(lambda s: create_for_volume(
        s, owner=owner, name=GUEST_IMAGE_NAME, disk_format="qcow2", container_format="bare",
        visibility="public")["id"])
    try:
        stored = seam.store_snapshot(image_id, inspected)
    except Exception:
        seam.delete(image_id)
        raise
    if not stored:
        raise SystemExit(f"guest image {path}: the upload did not complete")
    size = inspected.virtual_size()

    def note_size(s) -> None:  # noqa: ANN001
        row = s.get(m.Image, image_id)
        if row is not None:
            row.virtual_size = size
    db.write(note_size)
    log.info("uploaded %s as image %s (%s)", path, GUEST_IMAGE_NAME, image_id)
    return image_id

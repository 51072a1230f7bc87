"""The volume driver seam: what a backend must do, and nothing about the API.

Every operation is **idempotent** — the agent may repeat any of them after a crash (create
of an existing volume succeeds and leaves it as it is, delete of a missing one succeeds) —
and names volumes and snapshots by their ids only. Whatever a create writes appears under
its final name only once complete (written under a temporary name, then renamed), so a
volume that exists is never a half copy: an agent killed mid-copy repeats the copy.
Image and backup bytes come and go as iterators of chunks, so a 10 GiB copy never sits in
memory. Sizes are GiB, as in the API. Drivers import neither the API nor the database.

**The attach contract** is ``connection_info``, what ``initialize_connection`` answers and a
virt driver consumes without knowing the backend::

    {"driver_volume_type": "file",
     "data": {"device_path": "/abs/path/volumes/volume-<id>",  # a raw image file
              "format": "raw",
              "access_mode": "rw" | "ro",   # the connector's "mode", default "rw"
              "volume_id": "<id>"}}

The QEMU driver opens ``device_path`` as a ``format`` drive (read-only when
``access_mode`` is ``ro``). A future ``rbd``/``iscsi`` backend answers its own
``driver_volume_type`` and ``data`` (Cinder's/os-brick's shapes). ``connection_info``
(module function) computes the same answer from a volume's ``provider_location`` without
any I/O, for the API process, which cannot reach the agent's disk.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Protocol

GiB = 1 << 30
FORMATS_NEEDING_CONVERSION = ("qcow2", "vmdk", "vdi", "vhd", "vhdx")


class VolumeDriverError(Exception):
    """A backend failure the agent records as the volume's ``error`` with this message."""


class VolumeNotFound(VolumeDriverError):
    """The volume (or snapshot) a copy reads from is not on the backend."""


@dataclass(frozen=True)
class Capacity:
    total_gb: int
    free_gb: int


@dataclass(frozen=True)
class BackendInfo:
    """What ``get_pools``/``os-services``/capabilities show about the backend."""

    driver: str  # e.g. "file"
    storage_protocol: str  # e.g. "file", "nfs", "iSCSI", "ceph"
    vendor_name: str  # "Open Source", as Cinder's own drivers (LVM, NFS) say
    driver_version: str
    thin_provisioning: bool
    multiattach: bool


class VolumeDriver(Protocol):
    def info(self) -> BackendInfo: ...

    def capacity(self) -> Capacity: ...

    # --- volumes ------------------------------------------------------------------------
    def create_volume(self, volume_id: str, size_gb: int) -> str:
        """An empty (zero-filled) volume of ``size_gb``; returns its ``provider_location``
        (the file backend: the file's absolute path). An existing volume is left as is."""

    def create_from_snapshot(self, volume_id: str, snapshot_id: str, size_gb: int) -> str:
        """A volume holding the snapshot's bytes, grown to ``size_gb`` when larger;
        ``VolumeNotFound`` when the snapshot is not there."""

    def clone_volume(self, volume_id: str, source_id: str, size_gb: int) -> str:
        """A volume holding the source volume's bytes, grown to ``size_gb`` when larger;
        ``VolumeNotFound`` when the source is not there."""

    def write_volume(self, volume_id: str, size_gb: int, chunks: Iterable[bytes],
                     disk_format: str = "raw") -> str:
        """A volume of ``size_gb`` holding ``chunks`` (an image's or a backup's bytes),
        converted to raw first when ``disk_format`` says they are not (qcow2, vmdk, …).
        Replaces an existing volume's bytes (a restore), atomically. Bytes beyond
        ``size_gb`` are an error (``VolumeDriverError``), never silently cut."""

    def read_volume(self, volume_id: str, chunk_size: int = 1 << 20) -> Iterator[bytes]:
        """The volume's bytes (its full size), for an image upload or a backup."""

    def extend_volume(self, volume_id: str, new_size_gb: int) -> None:
        """Grow the volume to ``new_size_gb``; its bytes stay. Already that size (or
        larger): nothing to do."""

    def revert_to_snapshot(self, volume_id: str, snapshot_id: str) -> None:
        """The volume's bytes become the snapshot's again (its size stays), atomically."""

    def delete_volume(self, volume_id: str) -> None:
        """Gone; a missing volume is fine."""

    def volume_exists(self, volume_id: str) -> bool: ...

    def volume_size_gb(self, volume_id: str) -> int:
        """The volume's size (rounded up to GiB); ``VolumeNotFound`` when missing."""

    # --- snapshots ----------------------------------------------------------------------
    def create_snapshot(self, snapshot_id: str, volume_id: str) -> str:
        """A point-in-time copy of the volume's bytes (cheap where the format allows);
        returns its ``provider_location``. An existing snapshot is left as is."""

    def delete_snapshot(self, snapshot_id: str) -> None:
        """Gone; a missing snapshot is fine. Volumes made from it keep their bytes."""

    def snapshot_exists(self, snapshot_id: str) -> bool: ...

    # --- attach contract ----------------------------------------------------------------
    def initialize_connection(self, volume_id: str, connector: dict[str, Any]
                              ) -> dict[str, Any]:
        """``connection_info`` for the connector's host (see the module docstring);
        ``VolumeNotFound`` when the volume is not there."""

    def terminate_connection(self, volume_id: str, connector: dict[str, Any] | None
                             ) -> None:
        """The connector's host no longer uses the volume (nothing to undo for files)."""


class Manageable(Protocol):
    """Optional: adopting bytes already on the backend (Cinder's manage_existing) — what
    an unmanage left behind, or something an operator put there."""

    def manage_existing(self, volume_id: str, source_name: str) -> tuple[str, int]:
        """The volume ``source_name`` (a name on the backend, e.g. ``volume-<old id>``)
        becomes ``volume_id``; returns its ``provider_location`` and size in GiB.
        Repeating it after it succeeded answers the same; ``VolumeNotFound`` when
        neither the source nor the adopted volume is there."""

    def manage_existing_snapshot(self, snapshot_id: str, source_name: str) -> str:
        """The same for a snapshot (``snapshot-<old id>``); returns its location."""


def access_mode(connector: dict[str, Any] | None) -> str:
    """``ro`` when the connector (or the attachment) asks for it, else ``rw``."""
    mode = (connector or {}).get("mode") or (connector or {}).get("access_mode") or "rw"
    return "ro" if str(mode).lower() == "ro" else "rw"


def connection_info(driver: str, volume_id: str, provider_location: str | None,
                    mode: str = "rw") -> dict[str, Any]:
    """What ``initialize_connection`` of ``driver`` answers, computed from the volume's
    ``provider_location`` alone (no I/O): for the API's ``os-initialize_connection`` and
    attachments. ``VolumeDriverError`` when the volume has no location yet (not created)."""
    if driver not in ("file", "memory"):
        raise VolumeDriverError(f"no connection info for volume driver {driver!r}")
    if not provider_location:
        raise VolumeDriverError(f"volume {volume_id} has no location on its backend")
    return {"driver_volume_type": "file",
            "data": {"device_path": provider_location, "format": "raw",
                     "access_mode": "ro" if mode == "ro" else "rw", "volume_id": volume_id}}

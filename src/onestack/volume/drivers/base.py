"""The volume driver seam: what a backend must do, and nothing about the API.

Every operation is **idempotent** — the agent may repeat any of them after a crash (create
of an existing volume with the same size succeeds, delete of a missing one succeeds) — and
names volumes, snapshots and backups by their ids only. The attach contract is
``connection_info``: a dict a virt driver consumes without knowing the backend (``file``:
a local path and its format; a future ``rbd`` or ``iscsi`` backend answers its own type).
Image and backup bytes come and go as iterators of chunks, so a 10 GiB copy never sits in
memory. Sizes are GiB, as in the API.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Protocol


class VolumeDriverError(Exception):
    """A backend failure the agent records as the volume's ``error`` with this message."""


@dataclass(frozen=True)
class Capacity:
    total_gb: int
    free_gb: int


@dataclass(frozen=True)
class BackendInfo:
    """What ``get_pools``/``os-services``/capabilities show about the backend."""

    driver: str  # e.g. "file"
    storage_protocol: str  # e.g. "file", "nfs", "iSCSI", "ceph"
    vendor_name: str
    driver_version: str
    thin_provisioning: bool
    multiattach: bool


class VolumeDriver(Protocol):
    def info(self) -> BackendInfo: ...

    def capacity(self) -> Capacity: ...

    # --- volumes ------------------------------------------------------------------------
    def create_volume(self, volume_id: str, size_gb: int) -> None:
        """An empty (zero-filled) volume of ``size_gb``."""

    def create_from_snapshot(self, volume_id: str, snapshot_id: str, size_gb: int) -> None:
        """A volume holding the snapshot's bytes, grown to ``size_gb`` when larger."""

    def clone_volume(self, volume_id: str, source_id: str, size_gb: int) -> None:
        """A volume holding the source volume's bytes, grown to ``size_gb`` when larger."""

    def write_volume(self, volume_id: str, size_gb: int, chunks: Iterable[bytes],
                     disk_format: str = "raw") -> None:
        """A volume of ``size_gb`` holding ``chunks`` (an image's or a backup's bytes),
        converted to raw first when ``disk_format`` says they are not (qcow2, vmdk, …)."""

    def read_volume(self, volume_id: str, chunk_size: int = 1 << 20) -> Iterator[bytes]:
        """The volume's bytes (its full size), for an image upload or a backup."""

    def extend_volume(self, volume_id: str, new_size_gb: int) -> None:
        """Grow the volume; its bytes stay."""

    def delete_volume(self, volume_id: str) -> None: ...

    def volume_exists(self, volume_id: str) -> bool: ...

    # --- snapshots ----------------------------------------------------------------------
    def create_snapshot(self, snapshot_id: str, volume_id: str) -> None:
        """A point-in-time copy of the volume's bytes (cheap where the format allows)."""

    def delete_snapshot(self, snapshot_id: str) -> None: ...

    # --- attach contract ----------------------------------------------------------------
    def initialize_connection(self, volume_id: str, connector: dict[str, Any]
                              ) -> dict[str, Any]:
        """``{"driver_volume_type": ..., "data": {...}}`` for the connector's host."""

    def terminate_connection(self, volume_id: str, connector: dict[str, Any] | None
                             ) -> None: ...

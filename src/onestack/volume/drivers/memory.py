"""The in-memory volume driver the tests use: real bytes, kept sparsely (1 MiB blocks,
all-zero blocks not stored), so a 10 GiB volume costs nothing until written. Snapshots
and clones share the (immutable) blocks. Non-raw images are converted with ``qemu-img``
through a temporary file, as the file backend does.

Test hooks: ``fail(op, exc)`` makes the next call of ``op`` raise; ``hold(op)`` makes calls
of ``op`` block until the returned event is set (an agent "killed" mid-operation).
"""
from __future__ import annotations

import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

from onestack.volume.drivers import convert
from onestack.volume.drivers.base import (GiB, BackendInfo, Capacity, VolumeDriverError,
                                          VolumeNotFound, access_mode, connection_info)

BLOCK = 1 << 20


@dataclass
class Disk:
    size: int  # bytes
    blocks: dict[int, bytes] = field(default_factory=dict)

    def copy(self) -> Disk:
        return Disk(self.size, dict(self.blocks))

    def grow(self, size: int) -> None:
        self.size = max(self.size, size)


class MemoryDriver:
    def __init__(self, capacity_gb: int = 1000, name: str = "memory"):
        self.capacity_gb = capacity_gb
        self.name = name
        self.volumes: dict[str, Disk] = {}
        self.snapshots: dict[str, Disk] = {}
        self.calls: list[tuple[str, str]] = []
        self._lock = threading.RLock()
        self._failures: dict[str, list[BaseException]] = {}
        self._holds: dict[str, threading.Event] = {}
        self.entered: dict[str, threading.Event] = {}

    # --- test hooks -----------------------------------------------------------------------
    def fail(self, op: str, exc: BaseException | None = None) -> None:
        self._failures.setdefault(op, []).append(exc or VolumeDriverError(f"{op} failed"))

    def hold(self, op: str) -> threading.Event:
        """Calls of ``op`` wait (after announcing themselves in ``entered[op]``) until the
        returned event is set."""
        self._holds[op] = release = threading.Event()
        self.entered[op] = threading.Event()
        return release

    def _enter(self, op: str, ident: str) -> None:
        self.calls.append((op, ident))
        if op in self._holds:
            self.entered[op].set()
            self._holds[op].wait()
        queued = self._failures.get(op)
        if queued:
            raise queued.pop(0)

    # --- backend --------------------------------------------------------------------------
    def info(self) -> BackendInfo:
        return BackendInfo(driver="memory", storage_protocol="file", vendor_name="Open Source",
                           driver_version="1.0.0", thin_provisioning=True, multiattach=True)

    def capacity(self) -> Capacity:
        with self._lock:
            used = sum(len(d.blocks) for d in [*self.volumes.values(),
                                               *self.snapshots.values()]) * BLOCK // GiB
        return Capacity(total_gb=self.capacity_gb, free_gb=max(self.capacity_gb - used, 0))

    def location(self, volume_id: str) -> str:
        return f"/dev/onestack-memory/{self.name}/volume-{volume_id}"

    # --- volumes --------------------------------------------------------------------------
    def create_volume(self, volume_id: str, size_gb: int) -> str:
        self._enter("create_volume", volume_id)
        with self._lock:
            self.volumes.setdefault(volume_id, Disk(size_gb * GiB))
        return self.location(volume_id)

    def create_from_snapshot(self, volume_id: str, snapshot_id: str, size_gb: int) -> str:
        self._enter("create_from_snapshot", volume_id)
        return self._copy_into(self.snapshots, snapshot_id, volume_id, size_gb, "snapshot")

    def clone_volume(self, volume_id: str, source_id: str, size_gb: int) -> str:
        self._enter("clone_volume", volume_id)
        return self._copy_into(self.volumes, source_id, volume_id, size_gb, "volume")

    def _copy_into(self, pool: dict[str, Disk], source: str, volume_id: str, size_gb: int,
                   what: str) -> str:
        with self._lock:
            if volume_id not in self.volumes:
                if source not in pool:
                    raise VolumeNotFound(f"{what} {source} is not on this backend")
                disk = pool[source].copy()
                disk.grow(size_gb * GiB)
                self.volumes[volume_id] = disk
        return self.location(volume_id)

    def write_volume(self, volume_id: str, size_gb: int, chunks: Iterable[bytes],
                     disk_format: str = "raw") -> str:
        self._enter("write_volume", volume_id)
        limit = size_gb * GiB
        if convert.needs_conversion(disk_format):
            with tempfile.TemporaryDirectory(prefix="onestack-memvol-") as tmp:
                src, raw = Path(tmp) / "src", Path(tmp) / "raw"
                convert.write_sparse(src, chunks)
                convert.to_raw(src, disk_format, raw, limit)
                disk = _disk_from(_file_chunks(raw), limit)
        else:
            disk = _disk_from(chunks, limit)
        with self._lock:
            self.volumes[volume_id] = disk
        return self.location(volume_id)

    def read_volume(self, volume_id: str, chunk_size: int = 1 << 20) -> Iterator[bytes]:
        self._enter("read_volume", volume_id)
        with self._lock:
            disk = self.volumes.get(volume_id)
            if disk is None:
                raise VolumeNotFound(f"volume {volume_id} is not on this backend")
            disk = disk.copy()
        return _disk_chunks(disk)

    def extend_volume(self, volume_id: str, new_size_gb: int) -> None:
        self._enter("extend_volume", volume_id)
        with self._lock:
            if volume_id not in self.volumes:
                raise VolumeNotFound(f"volume {volume_id} is not on this backend")
            self.volumes[volume_id].grow(new_size_gb * GiB)

    def revert_to_snapshot(self, volume_id: str, snapshot_id: str) -> None:
        self._enter("revert_to_snapshot", volume_id)
        with self._lock:
            if volume_id not in self.volumes:
                raise VolumeNotFound(f"volume {volume_id} is not on this backend")
            if snapshot_id not in self.snapshots:
                raise VolumeNotFound(f"snapshot {snapshot_id} is not on this backend")
            disk = self.snapshots[snapshot_id].copy()
            disk.grow(self.volumes[volume_id].size)
            self.volumes[volume_id] = disk

    def delete_volume(self, volume_id: str) -> None:
        self._enter("delete_volume", volume_id)
        with self._lock:
            self.volumes.pop(volume_id, None)

    def volume_exists(self, volume_id: str) -> bool:
        return volume_id in self.volumes

    def volume_size_gb(self, volume_id: str) -> int:
        disk = self.volumes.get(volume_id)
        if disk is None:
            raise VolumeNotFound(f"volume {volume_id} is not on this backend")
        return -(-disk.size // GiB)

    # --- snapshots ------------------------------------------------------------------------
    def create_snapshot(self, snapshot_id: str, volume_id: str) -> str:
        self._enter("create_snapshot", snapshot_id)
        with self._lock:
            if snapshot_id not in self.snapshots:
                if volume_id not in self.volumes:
                    raise VolumeNotFound(f"volume {volume_id} is not on this backend")
                self.snapshots[snapshot_id] = self.volumes[volume_id].copy()
        return f"/dev/onestack-memory/{self.name}/snapshot-{snapshot_id}"

    def delete_snapshot(self, snapshot_id: str) -> None:
        self._enter("delete_snapshot", snapshot_id)
        with self._lock:
            self.snapshots.pop(snapshot_id, None)

    def snapshot_exists(self, snapshot_id: str) -> bool:
        return snapshot_id in self.snapshots

    # --- manage -------------------------------------------------------------------------
    def manage_existing(self, volume_id: str, source_name: str) -> tuple[str, int]:
        self._enter("manage_existing", volume_id)
        with self._lock:
            self._adopt(self.volumes, source_name.removeprefix("volume-"), volume_id)
            return self.location(volume_id), -(-self.volumes[volume_id].size // GiB)

    def manage_existing_snapshot(self, snapshot_id: str, source_name: str) -> str:
        self._enter("manage_existing_snapshot", snapshot_id)
        with self._lock:
            source = source_name.removeprefix("_").removeprefix("snapshot-")
            self._adopt(self.snapshots, source, snapshot_id)
        return f"/dev/onestack-memory/{self.name}/snapshot-{snapshot_id}"

    @staticmethod
    def _adopt(pool: dict[str, Disk], source: str, ident: str) -> None:
        if ident not in pool:
            if source not in pool:
                raise VolumeNotFound(f"{source} is not on this backend")
            pool[ident] = pool.pop(source)

    # --- attach ---------------------------------------------------------------------------
    def initialize_connection(self, volume_id: str, connector: dict[str, Any]
                              ) -> dict[str, Any]:
        if volume_id not in self.volumes:
            raise VolumeNotFound(f"volume {volume_id} is not on this backend")
        return connection_info("memory", volume_id, self.location(volume_id),
                               access_mode(connector))

    def terminate_connection(self, volume_id: str, connector: dict[str, Any] | None
                             ) -> None:
        return None


def _disk_from(chunks: Iterable[bytes], limit: int) -> Disk:
    disk = Disk(limit)
    pending, index, written = bytearray(), 0, 0
    for chunk in chunks:
        written += len(chunk)
        if written > limit:
            raise VolumeDriverError(f"the data ({written}+ bytes) is larger than the volume "
                                    f"({limit} bytes)")
        pending += chunk
        while len(pending) >= BLOCK:
            _store(disk, index, bytes(pending[:BLOCK]))
            del pending[:BLOCK]
            index += 1
    if pending:
        _store(disk, index, bytes(pending) + bytes(BLOCK - len(pending)))
    return disk


def _store(disk: Disk, index: int, block: bytes) -> None:
    if block.count(0) != len(block):
        disk.blocks[index] = block


def _disk_chunks(disk: Disk) -> Iterator[bytes]:
    full, rest = divmod(disk.size, BLOCK)
    for index in range(full):
        yield disk.blocks.get(index) or bytes(BLOCK)
    if rest:
        yield (disk.blocks.get(full) or bytes(BLOCK))[:rest]


def _file_chunks(path: Path) -> Iterator[bytes]:
    with open(path, "rb") as f:
        while block := f.read(BLOCK):
            yield block

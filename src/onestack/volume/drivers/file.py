"""The file backend: each volume a sparse raw file in a directory the driver owns.

Layout (one agent per directory; ``onestack up`` uses ``<data dir>/volumes``)::

    <root>/volume-<id>      a raw image, its length the volume's size
    <root>/snapshot-<id>    a raw point-in-time copy
    <root>/.scratch/        copies in progress (cleared when the driver starts)

An empty volume is a ``truncate`` (instant, no blocks used). Snapshots and clones are
reflinks where the filesystem offers them (btrfs, XFS) and sparse copies otherwise (only
the data extents are copied, ``SEEK_DATA``/``SEEK_HOLE`` with ``copy_file_range``). Every
create writes under ``.scratch/`` and renames into place, so a ``volume-``/``snapshot-``
file is always complete; an agent killed mid-copy starts the copy again.
"""
from __future__ import annotations

import errno
import fcntl
import os
import shutil
import uuid
from pathlib import Path
from typing import Any, Iterable, Iterator

from onestack.volume.drivers import convert
from onestack.volume.drivers.base import (GiB, BackendInfo, Capacity, VolumeDriverError,
                                          VolumeNotFound, access_mode, connection_info)

FICLONE = 0x40049409  # linux/fs.h: _IOW(0x94, 9, int)
COPY_CHUNK = 64 << 20
SCRATCH = ".scratch"


class FileDriver:
    def __init__(self, root: Path | str, capacity_gb: int = 0, reflink: bool = True):
        """``capacity_gb``: the total reported (0: the filesystem's size)."""
        self.root = Path(root).resolve()
        self.capacity_gb = capacity_gb
        self.reflink = reflink
        self.scratch = self.root / SCRATCH
        self.scratch.mkdir(parents=True, exist_ok=True)
        for stale in self.scratch.iterdir():
            _remove(stale)

    # --- names ----------------------------------------------------------------------------
    def volume_path(self, volume_id: str) -> Path:
        return self.root / f"volume-{_safe(volume_id)}"

    def snapshot_path(self, snapshot_id: str) -> Path:
        return self.root / f"snapshot-{_safe(snapshot_id)}"

    def _temp(self, final: Path) -> Path:
        return self.scratch / f"{final.name}.{uuid.uuid4().hex[:8]}"

    # --- backend --------------------------------------------------------------------------
    def info(self) -> BackendInfo:
        return BackendInfo(driver="file", storage_protocol="file", vendor_name="Open Source",
                           driver_version="1.0.0", thin_provisioning=True, multiattach=True)

    def capacity(self) -> Capacity:
        st = os.statvfs(self.root)
        fs_total = st.f_blocks * st.f_frsize // GiB
        free = st.f_bavail * st.f_frsize // GiB
        total = self.capacity_gb or fs_total
        return Capacity(total_gb=total, free_gb=min(free, total))

    # --- volumes --------------------------------------------------------------------------
    def create_volume(self, volume_id: str, size_gb: int) -> str:
        final = self.volume_path(volume_id)
        if not final.exists():
            self._publish(final, lambda tmp: _grow(tmp, size_gb, create=True))
        return str(final)

    def create_from_snapshot(self, volume_id: str, snapshot_id: str, size_gb: int) -> str:
        return self._copy_into(self.snapshot_path(snapshot_id), self.volume_path(volume_id),
                               size_gb, f"snapshot {snapshot_id}")

    def clone_volume(self, volume_id: str, source_id: str, size_gb: int) -> str:
        return self._copy_into(self.volume_path(source_id), self.volume_path(volume_id),
                               size_gb, f"volume {source_id}")

    def write_volume(self, volume_id: str, size_gb: int, chunks: Iterable[bytes],
                     disk_format: str = "raw") -> str:
        final, limit = self.volume_path(volume_id), size_gb * GiB

        def fill(tmp: Path) -> None:
            if not convert.needs_conversion(disk_format):
                convert.write_sparse(tmp, chunks, limit)
            else:
                download = self._temp(final.with_name(final.name + ".src"))
                try:
                    convert.write_sparse(download, chunks)
                    convert.to_raw(download, disk_format, tmp, limit)
                finally:
                    _remove(download)
            _grow(tmp, size_gb)
        self._publish(final, fill, replace=True)
        return str(final)

    def read_volume(self, volume_id: str, chunk_size: int = 1 << 20) -> Iterator[bytes]:
        path = self.volume_path(volume_id)
        if not path.exists():
            raise VolumeNotFound(f"volume {volume_id} is not on this backend")
        return _read_sparse(path, chunk_size)

    def extend_volume(self, volume_id: str, new_size_gb: int) -> None:
        path = self.volume_path(volume_id)
        if not path.exists():
            raise VolumeNotFound(f"volume {volume_id} is not on this backend")
        _grow(path, new_size_gb)

    def revert_to_snapshot(self, volume_id: str, snapshot_id: str) -> None:
        volume, snap = self.volume_path(volume_id), self.snapshot_path(snapshot_id)
        if not volume.exists():
            raise VolumeNotFound(f"volume {volume_id} is not on this backend")
        if not snap.exists():
            raise VolumeNotFound(f"snapshot {snapshot_id} is not on this backend")
        size = volume.stat().st_size

        def fill(tmp: Path) -> None:
            self._copy(snap, tmp)
            with open(tmp, "r+b") as f:
                f.truncate(max(size, f.seek(0, os.SEEK_END)))
        self._publish(volume, fill, replace=True)

    def delete_volume(self, volume_id: str) -> None:
        _remove(self.volume_path(volume_id))

    def volume_exists(self, volume_id: str) -> bool:
        return self.volume_path(volume_id).exists()

    def volume_size_gb(self, volume_id: str) -> int:
        path = self.volume_path(volume_id)
        if not path.exists():
            raise VolumeNotFound(f"volume {volume_id} is not on this backend")
        return -(-path.stat().st_size // GiB)

    # --- snapshots ------------------------------------------------------------------------
    def create_snapshot(self, snapshot_id: str, volume_id: str) -> str:
        final = self.snapshot_path(snapshot_id)
        if not final.exists():
            source = self.volume_path(volume_id)
            if not source.exists():
                raise VolumeNotFound(f"volume {volume_id} is not on this backend")
            self._publish(final, lambda tmp: self._copy(source, tmp))
        return str(final)

    def delete_snapshot(self, snapshot_id: str) -> None:
        _remove(self.snapshot_path(snapshot_id))

    def snapshot_exists(self, snapshot_id: str) -> bool:
        return self.snapshot_path(snapshot_id).exists()

    # --- manage -------------------------------------------------------------------------
    def manage_existing(self, volume_id: str, source_name: str) -> tuple[str, int]:
        final = self._adopt(source_name, self.volume_path(volume_id))
        return str(final), -(-final.stat().st_size // GiB)

    def manage_existing_snapshot(self, snapshot_id: str, source_name: str) -> str:
        # LVM's snapshot names start with "_" (Tempest's default manage_snapshot_ref)
        if source_name.startswith("_snapshot-") and not (self.root / source_name).exists():
            source_name = source_name[1:]
        return str(self._adopt(source_name, self.snapshot_path(snapshot_id)))

    def _adopt(self, source_name: str, final: Path) -> Path:
        if not final.exists():
            if source_name.startswith("."):
                raise VolumeNotFound(f"{source_name} is not on this backend")
            source = self.root / _safe(source_name)  # a file of this directory only
            if not source.is_file():
                raise VolumeNotFound(f"{source_name} is not on this backend")
            try:
                os.rename(source, final)
            except FileNotFoundError:
                raise VolumeNotFound(f"{source_name} is not on this backend") from None
        return final

    # --- attach ---------------------------------------------------------------------------
    def initialize_connection(self, volume_id: str, connector: dict[str, Any]
                              ) -> dict[str, Any]:
        path = self.volume_path(volume_id)
        if not path.exists():
            raise VolumeNotFound(f"volume {volume_id} is not on this backend")
        return connection_info("file", volume_id, str(path), access_mode(connector))

    def terminate_connection(self, volume_id: str, connector: dict[str, Any] | None
                             ) -> None:
        return None

    # --- helpers --------------------------------------------------------------------------
    def _publish(self, final: Path, fill: Any, replace: bool = False) -> None:
        """``fill(tmp)`` then rename ``tmp`` to ``final`` (atomic); the temp goes on any
        failure. Without ``replace``, a ``final`` that appeared meanwhile stays."""
        tmp = self._temp(final)
        try:
            fill(tmp)
            if replace or not final.exists():
                os.replace(tmp, final)
                _fsync_dir(final.parent)
        except OSError as exc:
            raise VolumeDriverError(f"{final.name}: {exc.strerror or exc}") from exc
        finally:
            _remove(tmp)

    def _copy_into(self, source: Path, final: Path, size_gb: int, what: str) -> str:
        if not final.exists():
            if not source.exists():
                raise VolumeNotFound(f"{what} is not on this backend")

            def fill(tmp: Path) -> None:
                self._copy(source, tmp)
                _grow(tmp, size_gb)
            self._publish(final, fill)
        return str(final)

    def _copy(self, source: Path, dest: Path) -> None:
        sparse_copy(source, dest, reflink=self.reflink)


def sparse_copy(source: Path, dest: Path, reflink: bool = True) -> None:
    """``source``'s bytes into a new ``dest``: a reflink when the filesystem can, else
    only the data extents (holes stay holes)."""
    with open(source, "rb") as src, open(dest, "wb") as out:
        size = os.fstat(src.fileno()).st_size
        if reflink and _reflink(src.fileno(), out.fileno()):
            return
        for start, end in _extents(src.fileno(), size):
            _copy_range(src.fileno(), out.fileno(), start, end)
        out.truncate(size)
        out.flush()
        os.fsync(out.fileno())


def _reflink(src: int, dest: int) -> bool:
    try:
        fcntl.ioctl(dest, FICLONE, src)
        return True
    except OSError:
        return False


def _extents(fd: int, size: int) -> Iterator[tuple[int, int]]:
    """(start, end) of each data extent; the whole file when holes cannot be found."""
    pos = 0
    while pos < size:
        try:
            start = os.lseek(fd, pos, os.SEEK_DATA)
        except OSError as exc:
            if exc.errno == errno.ENXIO:  # only a hole from pos on
                return
            yield pos, size
            return
        end = min(os.lseek(fd, start, os.SEEK_HOLE), size)
        yield start, end
        pos = end


def _copy_range(src: int, dest: int, start: int, end: int) -> None:
    pos = start
    while pos < end:
        count = min(COPY_CHUNK, end - pos)
        try:
            done = os.copy_file_range(src, dest, count, pos, pos)
        except OSError as exc:
            if exc.errno not in (errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
                raise
            done = os.pwrite(dest, os.pread(src, count, pos), pos)
        if done <= 0:
            break
        pos += done


def _read_sparse(path: Path, chunk_size: int) -> Iterator[bytes]:
    """The whole file in chunks; holes come out as zeros without reading the disk."""
    with open(path, "rb") as f:
        fd = f.fileno()
        size = os.fstat(fd).st_size
        pos = 0
        for start, end in list(_extents(fd, size)) + [(size, size)]:
            while pos < start:  # a hole
                step = min(chunk_size, start - pos)
                yield bytes(step)
                pos += step
            while pos < end:
                data = os.pread(fd, min(chunk_size, end - pos), pos)
                if not data:
                    return
                yield data
                pos += len(data)


def _grow(path: Path, size_gb: int, create: bool = False) -> None:
    with open(path, "wb" if create else "r+b") as f:
        if f.seek(0, os.SEEK_END) < size_gb * GiB:
            f.truncate(size_gb * GiB)
        f.flush()
        os.fsync(f.fileno())


def _remove(path: Path) -> None:
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
    except FileNotFoundError:
        pass


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _safe(ident: str) -> str:
    """Ids become file names: nothing that leaves the directory."""
    if not ident or "/" in ident or ident in (".", "..") or "\0" in ident:
        raise VolumeDriverError(f"invalid id {ident!r}")
    return ident


__all__ = ["FileDriver", "sparse_copy"]

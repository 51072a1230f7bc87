"""How the backup worker reads the bytes of a volume (or a snapshot) it backs up.

Cinder's backup service attaches the volume (the volume driver's
``initialize_connection``, then os-brick) and reads the device. ``AttachedReader`` does
the same through our attach contract (``drivers.base.connection_info``): the backend's
driver name and the row's ``provider_location`` give ``connection_info``, and a ``file``
connection's ``device_path`` is read directly — the worker never builds a second driver
over the volume agent's directory (a driver clears its scratch space when it starts).
``DriverReader`` reads through a volume driver object instead (tests, the in-memory
backend, a backend whose connection the worker cannot open itself).
"""
from __future__ import annotations

import errno
import os
import uuid
from typing import Any, Callable, Iterator, Protocol

from onestack.volume.backup.chunks import Hole
from onestack.volume.drivers.base import VolumeDriver, VolumeDriverError, connection_info

READ_CHUNK = 4 << 20


class VolumeReader(Protocol):
    def read_volume(self, backend_driver: str, volume: Any) -> Iterator[bytes | Hole]:
        """The bytes of ``volume`` (runs of zeros may come as ``Hole`` counts) (a row: ``id``, ``host``, ``provider_location``) on a
        backend whose driver is ``backend_driver``; ``VolumeDriverError`` when they
        cannot be reached."""

    def read_snapshot(self, backend_driver: str, snapshot: Any) -> Iterator[bytes | Hole]:
        """The bytes of ``snapshot`` (a row: ``id``, ``volume_id``, ``host``, ``size``,
        ``provider_location``)."""


class AttachedReader:
    """Reads what ``connection_info`` points at (``file`` connections: a raw file)."""

    def read_volume(self, backend_driver: str, volume: Any) -> Iterator[bytes | Hole]:
        return self._read(backend_driver, volume.id, volume.provider_location)

    def read_snapshot(self, backend_driver: str, snapshot: Any) -> Iterator[bytes | Hole]:
        return self._read(backend_driver, snapshot.id, snapshot.provider_location)

    def _read(self, backend_driver: str, ident: str, location: str | None
              ) -> Iterator[bytes | Hole]:
        info = connection_info(backend_driver, ident, location, "ro")
        if info.get("driver_volume_type") != "file":
            raise VolumeDriverError(f"cannot read a {info.get('driver_volume_type')} "
                                    "connection")
        path = info["data"]["device_path"]
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError as exc:
            raise VolumeDriverError(f"cannot open {ident}: {exc.strerror}") from exc
        return _read_fd(fd)


def _read_fd(fd: int) -> Iterator[bytes | Hole]:
    """The whole file; holes come out as ``Hole`` counts without reading the disk."""
    try:
        size = os.fstat(fd).st_size
        pos = 0
        while pos < size:
            try:
                data_at = os.lseek(fd, pos, os.SEEK_DATA)
            except OSError as exc:
                data_at = size if exc.errno == errno.ENXIO else pos
            if pos < min(data_at, size):  # a hole: counted, never read
                yield Hole(min(data_at, size) - pos)
                pos = min(data_at, size)
            if pos >= size:
                break
            try:
                hole_at = min(os.lseek(fd, pos, os.SEEK_HOLE), size)
            except OSError:
                hole_at = size
            while pos < hole_at:
                data = os.pread(fd, min(READ_CHUNK, hole_at - pos), pos)
                if not data:
                    return
                yield data
                pos += len(data)
    finally:
        os.close(fd)


class DriverReader:
    """Reads through the volume driver of the row's backend (``drivers(host)``); a
    snapshot through a temporary clone of it, removed afterwards."""

    def __init__(self, drivers: Callable[[str], VolumeDriver]) -> None:
        self.drivers = drivers

    def read_volume(self, backend_driver: str, volume: Any) -> Iterator[bytes]:
        return self.drivers(volume.host).read_volume(volume.id, READ_CHUNK)

    def read_snapshot(self, backend_driver: str, snapshot: Any) -> Iterator[bytes]:
        driver = self.drivers(snapshot.host)
        temp = f"backup-temp-{uuid.uuid4()}"
        driver.create_from_snapshot(temp, snapshot.id, snapshot.size)

        def chunks() -> Iterator[bytes]:
            try:
                yield from driver.read_volume(temp, READ_CHUNK)
            finally:
                driver.delete_volume(temp)
        return chunks()

"""How the backup worker reads volumes: through the attach contract (``connection_info``
from the backend's driver name and the row's ``provider_location``, then the file it
names), or through a driver object (snapshots via a temporary clone)."""
from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

import pytest

from onestack.volume.backup.chunks import Hole
from onestack.volume.backup.reading import AttachedReader, DriverReader
from onestack.volume.drivers.base import GiB, VolumeDriverError
from onestack.volume.drivers.file import FileDriver
from onestack.volume.drivers.memory import MemoryDriver

MiB = 1 << 20


def test_attached_reader_reads_the_file_the_connection_names(tmp_path: Path) -> None:
    driver = FileDriver(tmp_path / "v")
    data = os.urandom(3 * MiB)
    location = driver.write_volume("v1", 1, [bytes(5 * MiB), data])
    row = SimpleNamespace(id="v1", host="h@file#file", provider_location=location)
    pieces = list(AttachedReader().read_volume("file", row))
    holes = [p for p in pieces if isinstance(p, Hole)]
    assert sum(holes) >= GiB - 8 * MiB - 4096  # the sparse file's holes are never read
    got = b"".join(bytes(p) if isinstance(p, Hole) else p for p in pieces)
    assert len(got) == GiB
    assert got[5 * MiB:8 * MiB] == data
    assert got.count(0) == GiB - len(data) + data.count(0)


def test_attached_reader_reads_a_snapshot_file(tmp_path: Path) -> None:
    driver = FileDriver(tmp_path / "v")
    data = os.urandom(MiB)
    driver.write_volume("v1", 1, [data])
    location = driver.create_snapshot("s1", "v1")
    driver.write_volume("v1", 1, [os.urandom(MiB)])
    row = SimpleNamespace(id="s1", volume_id="v1", host="h", size=1,
                          provider_location=location)
    first = next(iter(AttachedReader().read_snapshot("file", row)))
    assert not isinstance(first, Hole) and first[:MiB] == data


@pytest.mark.parametrize("driver, location", [("fake", "/x"), ("file", None),
                                              ("file", "/nonexistent/volume-x")])
def test_attached_reader_refuses_what_it_cannot_open(driver: str, location: str | None
                                                     ) -> None:
    row = SimpleNamespace(id="v", host="h", provider_location=location)
    with pytest.raises(VolumeDriverError):
        AttachedReader().read_volume(driver, row)


def test_driver_reader_reads_snapshots_through_a_temporary_clone() -> None:
    driver = MemoryDriver(capacity_gb=10)
    data = os.urandom(MiB)
    driver.write_volume("v1", 1, [data])
    driver.create_snapshot("s1", "v1")
    before = set(driver.volumes)
    row = SimpleNamespace(id="s1", volume_id="v1", host="h", size=1)
    got = b"".join(DriverReader(lambda host: driver).read_snapshot("memory", row))
    assert got[:MiB] == data and len(got) == GiB
    assert set(driver.volumes) == before  # the clone is gone

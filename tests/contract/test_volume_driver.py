"""The volume-driver contract (``onestack.volume.drivers.base``), run against every driver in
``HARNESSES``: the in-memory fake and the file backend. A new backend (LVM, RBD, NFS) adds
its harness here and must pass the same suite: real bytes in and out, idempotent
operations, copies that keep point-in-time data, conversions, and the attach contract."""
from __future__ import annotations

import os
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest

from onestack.volume.drivers import convert
from onestack.volume.drivers.base import (GiB, VolumeDriver, VolumeDriverError,
                                          VolumeNotFound, connection_info)
from onestack.volume.drivers.file import FileDriver
from onestack.volume.drivers.memory import MemoryDriver

MiB = 1 << 20
needs_qemu_img = pytest.mark.skipif(convert.qemu_img() is None, reason="qemu-img missing")


@dataclass(frozen=True)
class Harness:
    name: str
    make: Callable[[Path], VolumeDriver]
    driver_type: str  # what connection_info is keyed by


HARNESSES = [
    Harness("memory", lambda root: MemoryDriver(capacity_gb=100), "memory"),
    Harness("file", lambda root: FileDriver(root / "data"), "file"),
]


@pytest.fixture(params=HARNESSES, ids=[h.name for h in HARNESSES])
def harness(request: pytest.FixtureRequest) -> Harness:
    return request.param


@pytest.fixture()
def driver(harness: Harness, tmp_path: Path) -> VolumeDriver:
    return harness.make(tmp_path)


def ident() -> str:
    return str(uuid.uuid4())


def pattern(size: int, seed: int = 1) -> bytes:
    """Non-zero, position-dependent bytes (a shifted copy would not compare equal)."""
    block = bytes((i * 7 + seed) % 251 + 1 for i in range(4096))
    return (block * (size // 4096 + 1))[:size]


def head(driver: VolumeDriver, volume_id: str, n: int) -> bytes:
    out = bytearray()
    for chunk in driver.read_volume(volume_id):
        out += chunk
        if len(out) >= n:
            break
    return bytes(out[:n])


def total_and_tail(driver: VolumeDriver, volume_id: str, tail_from: int) -> tuple[int, bool]:
    """(bytes read in all, whether every byte from ``tail_from`` on is zero)."""
    total, zero = 0, True
    for chunk in driver.read_volume(volume_id):
        if total + len(chunk) > tail_from:
            part = chunk[max(tail_from - total, 0):]
            zero = zero and part.count(0) == len(part)
        total += len(chunk)
    return total, zero


def test_an_empty_volume_reads_as_zeros_of_its_size(driver: VolumeDriver) -> None:
    vid = ident()
    location = driver.create_volume(vid, 1)
    assert location and driver.volume_exists(vid)
    assert driver.volume_size_gb(vid) == 1
    assert total_and_tail(driver, vid, 0) == (GiB, True)


def test_create_is_idempotent_and_keeps_what_is_there(driver: VolumeDriver) -> None:
    vid = ident()
    data = pattern(3 * MiB)
    driver.write_volume(vid, 1, [data])
    assert driver.create_volume(vid, 1) == driver.create_volume(vid, 1)
    assert head(driver, vid, len(data)) == data


def test_written_bytes_read_back_followed_by_zeros(driver: VolumeDriver) -> None:
    vid = ident()
    data = pattern(5 * MiB + 123)
    driver.write_volume(vid, 1, iter([data[:MiB], b"", data[MiB:]]))
    assert head(driver, vid, len(data)) == data
    assert total_and_tail(driver, vid, len(data)) == (GiB, True)


def test_data_larger_than_the_volume_is_refused_and_leaves_nothing(
        driver: VolumeDriver) -> None:
    vid = ident()
    with pytest.raises(VolumeDriverError):
        driver.write_volume(vid, 1, iter([bytes(GiB // 2), b"x" * (GiB // 2 + 1)]))
    assert not driver.volume_exists(vid)


def test_a_failed_overwrite_keeps_the_old_bytes(driver: VolumeDriver) -> None:
    vid = ident()
    old = pattern(MiB, seed=3)
    driver.write_volume(vid, 1, [old])

    def broken():
        yield pattern(MiB, seed=4)
        raise OSError("the image store went away")
    with pytest.raises((OSError, VolumeDriverError)):
        driver.write_volume(vid, 1, broken())
    assert head(driver, vid, MiB) == old


def test_extend_grows_and_keeps_the_data(driver: VolumeDriver) -> None:
    vid = ident()
    data = pattern(2 * MiB)
    driver.write_volume(vid, 1, [data])
    driver.extend_volume(vid, 2)
    driver.extend_volume(vid, 2)  # repeated after a crash: nothing more
    driver.extend_volume(vid, 1)  # never shrinks
    assert driver.volume_size_gb(vid) == 2
    assert head(driver, vid, len(data)) == data
    assert total_and_tail(driver, vid, len(data)) == (2 * GiB, True)


def test_extend_of_a_missing_volume_says_so(driver: VolumeDriver) -> None:
    with pytest.raises(VolumeNotFound):
        driver.extend_volume(ident(), 2)


def test_a_snapshot_keeps_the_old_bytes_a_clone_the_new(driver: VolumeDriver) -> None:
    vid, sid = ident(), ident()
    old, new = pattern(2 * MiB, seed=5), pattern(2 * MiB, seed=6)
    driver.write_volume(vid, 1, [old])
    driver.create_snapshot(sid, vid)
    assert driver.create_snapshot(sid, vid)  # again: the same snapshot, not a new copy
    assert driver.snapshot_exists(sid)
    driver.write_volume(vid, 1, [new])  # the volume overwritten (a restore)
    from_snap, clone = ident(), ident()
    driver.create_from_snapshot(from_snap, sid, 2)
    driver.clone_volume(clone, vid, 1)
    assert head(driver, from_snap, len(old)) == old
    assert driver.volume_size_gb(from_snap) == 2
    assert head(driver, clone, len(new)) == new
    # the snapshot's bytes survive its volume, and the copies survive the snapshot
    driver.delete_volume(vid)
    driver.delete_snapshot(sid)
    assert not driver.snapshot_exists(sid)
    assert head(driver, from_snap, len(old)) == old
    assert head(driver, clone, len(new)) == new


def test_a_snapshot_taken_after_a_snapshot_is_independent(driver: VolumeDriver) -> None:
    vid, first, second = ident(), ident(), ident()
    driver.write_volume(vid, 1, [pattern(MiB, seed=7)])
    driver.create_snapshot(first, vid)
    driver.write_volume(vid, 1, [pattern(MiB, seed=8)])
    driver.create_snapshot(second, vid)
    a, b = ident(), ident()
    driver.create_from_snapshot(a, first, 1)
    driver.create_from_snapshot(b, second, 1)
    assert head(driver, a, MiB) == pattern(MiB, seed=7)
    assert head(driver, b, MiB) == pattern(MiB, seed=8)


def test_copies_from_what_is_missing_fail_cleanly(driver: VolumeDriver) -> None:
    vid = ident()
    with pytest.raises(VolumeNotFound):
        driver.create_from_snapshot(vid, ident(), 1)
    with pytest.raises(VolumeNotFound):
        driver.clone_volume(vid, ident(), 1)
    with pytest.raises(VolumeNotFound):
        driver.create_snapshot(ident(), vid)
    with pytest.raises(VolumeNotFound):
        driver.read_volume(vid)
    assert not driver.volume_exists(vid)


def test_revert_brings_back_the_snapshot_and_keeps_the_size(driver: VolumeDriver) -> None:
    vid, sid = ident(), ident()
    old = pattern(MiB, seed=9)
    driver.write_volume(vid, 1, [old])
    driver.create_snapshot(sid, vid)
    driver.write_volume(vid, 1, [pattern(MiB, seed=10)])
    driver.extend_volume(vid, 2)
    driver.revert_to_snapshot(vid, sid)
    driver.revert_to_snapshot(vid, sid)
    assert head(driver, vid, MiB) == old
    assert driver.volume_size_gb(vid) == 2


def test_delete_is_idempotent(driver: VolumeDriver) -> None:
    vid, sid = ident(), ident()
    driver.create_volume(vid, 1)
    driver.create_snapshot(sid, vid)
    for _ in range(2):
        driver.delete_snapshot(sid)
        driver.delete_volume(vid)
    assert not driver.volume_exists(vid) and not driver.snapshot_exists(sid)
    with pytest.raises(VolumeNotFound):
        driver.volume_size_gb(vid)


def test_the_attach_contract(driver: VolumeDriver, harness: Harness) -> None:
    vid = ident()
    location = driver.create_volume(vid, 1)
    info = driver.initialize_connection(vid, {"host": "compute1", "initiator": "x"})
    assert info == {"driver_volume_type": "file",
                    "data": {"device_path": location, "format": "raw",
                             "access_mode": "rw", "volume_id": vid}}
    assert os.path.isabs(info["data"]["device_path"])
    ro = driver.initialize_connection(vid, {"host": "compute1", "mode": "ro"})
    assert ro["data"]["access_mode"] == "ro"
    # the API computes the same answer from the row alone
    assert connection_info(harness.driver_type, vid, location, "rw") == info
    driver.terminate_connection(vid, {"host": "compute1"})
    driver.terminate_connection(vid, None)
    with pytest.raises(VolumeNotFound):
        driver.initialize_connection(ident(), {"host": "compute1"})


def test_connection_info_needs_a_location() -> None:
    with pytest.raises(VolumeDriverError):
        connection_info("file", ident(), None)


def test_capacity_and_info(driver: VolumeDriver) -> None:
    cap = driver.capacity()
    assert cap.total_gb > 0 and 0 <= cap.free_gb <= cap.total_gb
    info = driver.info()
    assert info.driver and info.storage_protocol and info.thin_provisioning
    # what Tempest's pools and type tests expect by default (Cinder's own drivers say so)
    assert info.vendor_name == "Open Source"


def qemu_image(tmp_path: Path, raw: bytes, fmt: str, **opts: str) -> bytes:
    src, out = tmp_path / "src.raw", tmp_path / f"out.{fmt}"
    src.write_bytes(raw)
    args = ["qemu-img", "convert", "-f", "raw", "-O", convert.QEMU_NAMES[fmt]]
    subprocess.run(args + [str(src), str(out)], check=True, capture_output=True)
    return out.read_bytes()


@needs_qemu_img
@pytest.mark.parametrize("fmt", ["qcow2", "vmdk", "vdi", "vhd"])
def test_a_non_raw_image_is_converted(driver: VolumeDriver, tmp_path: Path,
                                      fmt: str) -> None:
    data = pattern(3 * MiB, seed=11)
    image = qemu_image(tmp_path, data, fmt)
    assert image[:len(data)] != data
    vid = ident()
    driver.write_volume(vid, 1, [image[i:i + 65536] for i in range(0, len(image), 65536)],
                        disk_format=fmt)
    assert head(driver, vid, len(data)) == data
    assert total_and_tail(driver, vid, len(data)) == (GiB, True)


@needs_qemu_img
def test_a_qcow2_image_larger_than_the_volume_is_refused(driver: VolumeDriver,
                                                         tmp_path: Path) -> None:
    src = tmp_path / "big.qcow2"
    subprocess.run(["qemu-img", "create", "-f", "qcow2", str(src), "2G"], check=True,
                   capture_output=True)
    vid = ident()
    with pytest.raises(VolumeDriverError, match="larger than the volume"):
        driver.write_volume(vid, 1, [src.read_bytes()], disk_format="qcow2")
    assert not driver.volume_exists(vid)


@needs_qemu_img
def test_a_qcow2_image_with_a_backing_file_is_refused(driver: VolumeDriver,
                                                      tmp_path: Path) -> None:
    secret = tmp_path / "host-secret.raw"
    secret.write_bytes(b"secret" * 1000)
    child = tmp_path / "child.qcow2"
    subprocess.run(["qemu-img", "create", "-f", "qcow2", "-F", "raw", "-b", str(secret),
                    str(child)], check=True, capture_output=True)
    vid = ident()
    with pytest.raises(VolumeDriverError, match="backing file"):
        driver.write_volume(vid, 1, [child.read_bytes()], disk_format="qcow2")
    assert not driver.volume_exists(vid)


@needs_qemu_img
def test_bytes_that_are_not_the_format_they_claim_are_refused(driver: VolumeDriver) -> None:
    vid = ident()
    with pytest.raises(VolumeDriverError):
        driver.write_volume(vid, 1, [b"not a qcow2 image" * 100], disk_format="qcow2")
    assert not driver.volume_exists(vid)


def test_raw_bytes_that_look_like_qcow2_stay_raw(driver: VolumeDriver) -> None:
    """A raw image is never probed: its bytes are the volume's, whatever they look like."""
    data = b"QFI\xfb" + pattern(MiB)
    vid = ident()
    driver.write_volume(vid, 1, [data], disk_format="raw")
    assert head(driver, vid, len(data)) == data


def test_without_qemu_img_a_non_raw_image_is_a_clear_error(
        driver: VolumeDriver, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(convert, "qemu_img", lambda: None)
    with pytest.raises(VolumeDriverError, match="qemu-img is not installed"):
        driver.write_volume(ident(), 1, [b"x" * 100], disk_format="qcow2")


# --- the file backend's own promises -----------------------------------------------------
def test_file_volumes_are_sparse_files_at_the_documented_path(tmp_path: Path) -> None:
    driver = FileDriver(tmp_path / "data")
    vid, sid, clone = ident(), ident(), ident()
    location = driver.create_volume(vid, 10)
    path = tmp_path / "data" / f"volume-{vid}"
    assert location == str(path.resolve())
    assert path.stat().st_size == 10 * GiB and path.stat().st_blocks * 512 < 4 * MiB
    driver.write_volume(vid, 10, [pattern(MiB)])
    driver.create_snapshot(sid, vid)
    driver.clone_volume(clone, vid, 10)
    for made in (driver.snapshot_path(sid), driver.volume_path(clone)):
        assert made.stat().st_size == 10 * GiB
        assert made.stat().st_blocks * 512 < 8 * MiB  # only the data extent was copied
    assert list((tmp_path / "data" / ".scratch").iterdir()) == []


def test_file_copies_left_by_a_killed_agent_are_cleared_on_start(tmp_path: Path) -> None:
    FileDriver(tmp_path / "data")
    stale = tmp_path / "data" / ".scratch" / "volume-x.1234"
    stale.write_bytes(b"half a copy")
    FileDriver(tmp_path / "data")
    assert not stale.exists()


def test_file_ids_cannot_leave_the_data_dir(tmp_path: Path) -> None:
    driver = FileDriver(tmp_path / "data")
    for bad in ("../escape", "a/b", "", ".."):
        with pytest.raises(VolumeDriverError):
            driver.create_volume(bad, 1)


def test_file_manage_adopts_only_files_of_its_directory(tmp_path: Path) -> None:
    driver = FileDriver(tmp_path / "data")
    (tmp_path / "outside").write_bytes(b"not yours")
    for bad in (".scratch", "../outside", str(tmp_path / "outside"), "."):
        with pytest.raises(VolumeDriverError):
            driver.manage_existing(ident(), bad)
    assert (tmp_path / "outside").exists() and (tmp_path / "data" / ".scratch").is_dir()


def test_file_capacity_can_be_set(tmp_path: Path) -> None:
    assert FileDriver(tmp_path / "data", capacity_gb=7).capacity().total_gb == 7


def test_manage_adopts_what_an_unmanage_left(driver: VolumeDriver) -> None:
    old, new = ident(), ident()
    data = pattern(MiB, seed=30)
    driver.write_volume(old, 2, [data])
    location, size = driver.manage_existing(new, f"volume-{old}")  # type: ignore[attr-defined]
    assert size == 2 and driver.volume_exists(new) and not driver.volume_exists(old)
    assert head(driver, new, MiB) == data
    # repeated after a crash: the same answer
    assert driver.manage_existing(new, f"volume-{old}") == (location, 2)  # type: ignore[attr-defined]
    with pytest.raises(VolumeNotFound):
        driver.manage_existing(ident(), "volume-nothing-here")  # type: ignore[attr-defined]
    snap, adopted = ident(), ident()
    driver.create_snapshot(snap, new)
    assert driver.manage_existing_snapshot(adopted, f"snapshot-{snap}")  # type: ignore[attr-defined]
    assert driver.snapshot_exists(adopted) and not driver.snapshot_exists(snap)
    with pytest.raises(VolumeNotFound):
        driver.manage_existing_snapshot(ident(), "snapshot-nothing")  # type: ignore[attr-defined]
    # LVM's "_snapshot-<id>" (Tempest's default manage_snapshot_ref) names the same bytes
    lvm_named, again = ident(), ident()
    driver.create_snapshot(lvm_named, new)
    assert driver.manage_existing_snapshot(again, f"_snapshot-{lvm_named}")  # type: ignore[attr-defined]
    assert driver.snapshot_exists(again) and not driver.snapshot_exists(lvm_named)

"""The QEMU driver's look at a base image before any QEMU opens it (``qemu-img info``):
data that is not the disk it is declared to be, or a qcow2 naming files outside itself,
is refused as ``ImageUnacceptable``; a flavor disk smaller than the image's virtual size
is ``FlavorDiskTooSmall``. Needs ``qemu-img`` (qemu-utils) and nothing else."""
from __future__ import annotations

import os
import shutil
import struct
import subprocess
import uuid
from pathlib import Path

import pytest

from onestack.compute.drivers.base import (BuildAborted, FlavorDiskTooSmall, ImageRef,
                                           ImageUnacceptable, InstanceSpec)
from onestack.compute.drivers.qemu import disks
from onestack.compute.drivers.qemu.layout import GuestDir

pytestmark = pytest.mark.skipif(shutil.which("qemu-img") is None,
                                reason="needs qemu-img (qemu-utils)")
MIB = 1 << 20


def qcow2(path: Path, size: str, *options: str) -> Path:
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", *options, str(path), size],
                   check=True)
    return path


def corrupt_qcow2(path: Path) -> Path:
    """A qcow2 version 3 header (no backing file, no incompatible feature: what a header
    check lets through) whose cluster size is nonsense, random bytes after it."""
    header = b"QFI\xfb" + struct.pack(">IQII", 3, 0, 0, 40) + struct.pack(">Q", 128 * MIB)
    header += b"\0" * (104 - len(header))
    path.write_bytes(header + os.urandom(MIB))
    return path


def test_random_bytes_declared_qcow2_are_refused(tmp_path: Path) -> None:
    base = tmp_path / "random"
    base.write_bytes(os.urandom(MIB))
    with pytest.raises(ImageUnacceptable) as caught:
        disks.inspect_base(base, "img-1", "qcow2")
    assert str(caught.value) == ("Image img-1 is unacceptable: it is declared qcow2 but its "
                                 "data is raw bytes with no disk format, not a usable qcow2 "
                                 "disk")
    assert isinstance(caught.value, BuildAborted)


def test_a_qcow2_header_over_garbage_is_refused_without_naming_the_host_path(
        tmp_path: Path) -> None:
    base = corrupt_qcow2(tmp_path / "corrupt")
    with pytest.raises(ImageUnacceptable) as caught:
        disks.inspect_base(base, "img-2", "qcow2")
    message = str(caught.value)
    assert message.startswith("Image img-2 is unacceptable: its data is not a usable qcow2 "
                              "disk (qemu-img info failed: ")
    assert "cluster size" in message and str(tmp_path) not in message


def test_a_qcow2_declared_raw_is_refused(tmp_path: Path) -> None:
    base = qcow2(tmp_path / "q", "64M")
    with pytest.raises(ImageUnacceptable, match="declared raw but its data is a qcow2 disk"):
        disks.inspect_base(base, "img-3", "raw")


@pytest.mark.parametrize("option", ["backing", "data_file"])
def test_a_qcow2_naming_another_file_is_refused(tmp_path: Path, option: str) -> None:
    other = tmp_path / "host-file"
    other.write_bytes(b"\0" * MIB)
    if option == "backing":
        base = qcow2(tmp_path / "q", "1M", "-F", "raw", "-b", str(other))
        reason = "backing file"
    else:
        base = qcow2(tmp_path / "q", "1M", "-o", f"data_file={other}")
        reason = "external data file"
    with pytest.raises(ImageUnacceptable, match=reason):
        disks.inspect_base(base, "img-4", "qcow2")


def test_what_is_what_it_claims_gives_its_virtual_size(tmp_path: Path) -> None:
    raw = tmp_path / "random"
    raw.write_bytes(os.urandom(3 * MIB))  # random bytes are a raw disk: nothing to refuse
    assert disks.inspect_base(raw, "img-5", "raw") == 3 * MIB
    assert disks.inspect_base(raw, "img-6", "iso") == 3 * MIB  # read as raw bytes
    assert disks.inspect_base(qcow2(tmp_path / "q", "200M"), "img-7", "qcow2") == 200 * MIB


def spec(disk_gb: int, base: Path, fmt: str = "qcow2") -> InstanceSpec:
    return InstanceSpec(str(uuid.uuid4()), "vm", 1, 64, disk_gb,
                        image=ImageRef("img", str(base), fmt))


def test_a_flavor_disk_smaller_than_the_image_is_refused(tmp_path: Path) -> None:
    base = qcow2(tmp_path / "big", "2G")
    s = spec(1, base)
    guest = GuestDir(tmp_path, s.id)
    guest.path.mkdir(parents=True)
    with pytest.raises(FlavorDiskTooSmall) as caught:
        disks.make_root(guest, s)
    assert str(caught.value) == ("Flavor's disk is too small for requested image. Flavor "
                                 f"disk is {1 << 30} bytes, image is {2 << 30} bytes.")
    assert not guest.disk.exists()


def test_the_root_disk_is_the_flavors_size_or_the_images(tmp_path: Path) -> None:
    base = qcow2(tmp_path / "small", "128M")
    for disk_gb, expected in ((0, 128 * MIB), (2, 2 << 30)):
        s = spec(disk_gb, base)
        guest = GuestDir(tmp_path, s.id)
        guest.path.mkdir(parents=True)
        disks.make_root(guest, s)
        assert disks.virtual_size(guest.disk) == expected


def test_a_refused_image_makes_no_disk(tmp_path: Path) -> None:
    base = corrupt_qcow2(tmp_path / "corrupt")
    s = spec(1, base)
    guest = GuestDir(tmp_path, s.id)
    guest.path.mkdir(parents=True)
    with pytest.raises(ImageUnacceptable):
        disks.make_root(guest, s)
    assert list(guest.path.iterdir()) == []


def test_an_accepted_base_is_inspected_once_until_it_changes(tmp_path: Path,
                                                             monkeypatch) -> None:
    base = tmp_path / "base.raw"
    base.write_bytes(b"\0" * MIB)
    runs: list[tuple[str, ...]] = []
    real = disks.qemu_img

    def counting(*args: str, **kwargs: object) -> str:
        runs.append(args)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(disks, "qemu_img", counting)
    assert disks.inspect_base(base, "img-8", "raw") == MIB
    assert disks.inspect_base(base, "img-8", "raw") == MIB
    assert len(runs) == 1
    base.write_bytes(b"\0" * 2 * MIB)  # replaced in place: looked at again
    assert disks.inspect_base(base, "img-8", "raw") == 2 * MIB
    assert len(runs) == 2
    base.write_bytes(os.urandom(MIB))
    for _ in range(2):  # a refusal is never remembered
        with pytest.raises(ImageUnacceptable):
            disks.inspect_base(base, "img-8", "qcow2")
    assert len(runs) == 4

"""Disk-image formats: raw bytes pass as they are; qcow2, vmdk, vdi, vhd(x) go through
``qemu-img`` (Debian's qemu-utils). Without it, a non-raw image is a clear
``VolumeDriverError``, never a volume holding the container's bytes.

``qemu-img`` is always told the format (``-f``): a "raw" image is never probed (a raw
image whose bytes look like qcow2 must not be opened as qcow2), and an image with a
backing file or an external data file is refused — it would read files of the host.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Iterable

from onestack.volume.drivers.base import FORMATS_NEEDING_CONVERSION, VolumeDriverError

QEMU_NAMES = {"vhd": "vpc", "vhdx": "vhdx", "qcow2": "qcow2", "vmdk": "vmdk", "vdi": "vdi"}
BLOCK = 1 << 20
ZEROS = bytes(BLOCK)
TIMEOUT = 3600.0


def needs_conversion(disk_format: str | None) -> bool:
    return (disk_format or "raw").lower() in FORMATS_NEEDING_CONVERSION


def qemu_img() -> str | None:
    return shutil.which("qemu-img")


def _tool(disk_format: str) -> str:
    tool = qemu_img()
    if tool is None:
        raise VolumeDriverError(f"cannot convert a {disk_format} image: qemu-img is not "
                                "installed on the volume host (Debian: qemu-utils)")
    return tool


def _run(args: list[str]) -> str:
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=TIMEOUT,
                              check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise VolumeDriverError(f"{args[1]} failed: {exc}") from exc
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()[-1:] or [""]
        raise VolumeDriverError(f"qemu-img {args[1]} failed: {detail[0]}")
    return done.stdout


def write_sparse(path: Path, chunks: Iterable[bytes], limit: int | None = None) -> int:
    """``chunks`` into a new file at ``path``, seeking over all-zero blocks (the file stays
    sparse); returns the byte count. More than ``limit`` bytes is a ``VolumeDriverError``."""
    written = 0
    with open(path, "wb") as out:
        pending = bytearray()
        for chunk in chunks:
            if not chunk:
                continue
            written += len(chunk)
            if limit is not None and written > limit:
                raise VolumeDriverError(f"the data ({written}+ bytes) is larger than the "
                                        f"volume ({limit} bytes)")
            pending += chunk
            while len(pending) >= BLOCK:
                _put(out, bytes(pending[:BLOCK]))
                del pending[:BLOCK]
        if pending:
            _put(out, bytes(pending))
        out.truncate(written)
        out.flush()
        os.fsync(out.fileno())
    return written


def _put(out, block: bytes) -> None:  # noqa: ANN001 - a binary file
    if block == ZEROS[:len(block)]:
        out.seek(len(block), os.SEEK_CUR)
    else:
        out.write(block)


def inspect(path: Path, disk_format: str) -> int:
    """The image's virtual size in bytes, read as ``disk_format``; refuses images with a
    backing file or an external data file."""
    name = QEMU_NAMES[disk_format.lower()]
    info = json.loads(_run([_tool(disk_format), "info", "--output=json", "-f", name,
                            str(path)]))
    if info.get("backing-filename") or info.get("full-backing-filename"):
        raise VolumeDriverError(f"refusing a {disk_format} image with a backing file")
    data_file = ((info.get("format-specific") or {}).get("data") or {}).get("data-file")
    if data_file:
        raise VolumeDriverError(f"refusing a {disk_format} image with an external data file")
    return int(info.get("virtual-size") or 0)


def to_raw(src: Path, disk_format: str, dest: Path, limit: int) -> None:
    """``src`` (a ``disk_format`` image) as a raw file at ``dest``, its virtual size at
    most ``limit`` bytes."""
    size = inspect(src, disk_format)
    if size > limit:
        raise VolumeDriverError(f"the image's virtual size ({size} bytes) is larger than the "
                                f"volume ({limit} bytes)")
    name = QEMU_NAMES[disk_format.lower()]
    _run([_tool(disk_format), "convert", "-f", name, "-O", "raw", "-S", "4k", str(src),
          str(dest)])


def from_raw(src: Path, disk_format: str, dest: Path) -> None:
    """The raw file ``src`` as a ``disk_format`` image at ``dest`` (an image upload)."""
    name = QEMU_NAMES[disk_format.lower()]
    _run([_tool(disk_format), "convert", "-f", "raw", "-O", name, str(src), str(dest)])

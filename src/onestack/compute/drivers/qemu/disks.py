"""A guest's local disks, made with ``qemu-img`` before its first start: the root disk as
a qcow2 overlay on the host's cached base image (or blank), the flavor's ephemeral disk
(blank qcow2) and swap (a raw file with a swap signature), and the config drive."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from onestack.compute.drivers.base import (DriverError, FlavorDiskTooSmall, ImageUnacceptable,
                                           InstanceSpec)
from onestack.compute.drivers.qemu import configdrive
from onestack.compute.drivers.qemu.layout import GuestDir

GIB = 1 << 30
QEMU_IMG_TIMEOUT = 600.0
INSPECT_TIMEOUT = 60.0  # reading a header: a qemu-img still busy after this is refused


def qemu_img(*args: str, timeout: float = QEMU_IMG_TIMEOUT) -> str:
    try:
        proc = subprocess.run(["qemu-img", *args], capture_output=True, text=True,
                              timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise DriverError(f"qemu-img {args[0]}: {exc}") from exc
    if proc.returncode != 0:
        raise DriverError(f"qemu-img {args[0]} failed: {proc.stderr.strip()[-1000:]}")
    return proc.stdout


def virtual_size(path: Path) -> int:
    """The image's size as the guest sees it, in bytes (``-U``: QEMU may hold it open)."""
    return int(json.loads(qemu_img("info", "-U", "--output=json", str(path)))["virtual-size"])


def opened_as(disk_format: str) -> str:
    """The format a base image is opened as: qcow2 as qcow2, anything else (raw, an ISO,
    ami) as plain bytes."""
    return "qcow2" if disk_format == "qcow2" else "raw"


# (path, inode, size, mtime, format) -> virtual size of a base image found acceptable: a
# cached base never changes in place (a new download is a new file), so each spawn from it
# after the first skips a qemu-img run on the way to its QEMU.
_ACCEPTED: dict[tuple[str, int, int, int, str], int] = {}


def inspect_base(base: Path, image_id: str, disk_format: str) -> int:
    st = base.stat()
    key = (str(base), st.st_ino, st.st_size, st.st_mtime_ns, disk_format)
    if key not in _ACCEPTED:
        if len(_ACCEPTED) > 256:
            _ACCEPTED.clear()
        _ACCEPTED[key] = _inspect(base, image_id, disk_format)
    return _ACCEPTED[key]


def _inspect(base: Path, image_id: str, disk_format: str) -> int:
    """The base image's virtual size, once ``qemu-img info`` (which probes the format from
    the data) agrees it is what it will be opened as. Refused before any QEMU opens it
    (``ImageUnacceptable``): data qemu-img cannot read as the format it claims (a qcow2
    header over garbage), data of another format than declared (random bytes declared
    qcow2 read as raw; a qcow2 declared raw), and a qcow2 that names a file outside itself
    (a backing or external data file: a guest could read the host's files)."""
    fmt = opened_as(disk_format)
    try:
        info = json.loads(qemu_img("info", "-U", "--output=json", str(base),
                                   timeout=INSPECT_TIMEOUT))
    except (DriverError, ValueError) as exc:
        detail = str(exc).replace(str(base), "the image")
        raise ImageUnacceptable(image_id, f"its data is not a usable {fmt} disk "
                                          f"({detail})") from exc
    found = str(info.get("format") or "unknown")
    if found != fmt:
        seen = "raw bytes with no disk format" if found == "raw" else f"a {found} disk"
        raise ImageUnacceptable(image_id, f"it is declared {disk_format} but its data is "
                                          f"{seen}, not a usable {fmt} disk")
    if info.get("backing-filename") or info.get("full-backing-filename"):
        raise ImageUnacceptable(image_id, "its data names a backing file")
    specific = (info.get("format-specific") or {}).get("data") or {}
    if specific.get("data-file"):
        raise ImageUnacceptable(image_id, "its data names an external data file")
    try:
        return int(info["virtual-size"])
    except (KeyError, TypeError, ValueError):
        raise ImageUnacceptable(image_id, "qemu-img cannot tell its virtual size") from None


def make_root(guest: GuestDir, spec: InstanceSpec, target: Path | None = None) -> None:
    """The root overlay (or ``target``): over the cached base image when there is one
    (the flavor's disk, or the image's own size when the flavor's disk is 0; a flavor disk
    smaller than the image is ``FlavorDiskTooSmall``), else blank of the flavor's size."""
    target = target or guest.disk
    size = max(spec.disk_gb, 1) * GIB
    if spec.image is not None and spec.image.path:
        base = Path(spec.image.path).resolve()
        if not base.is_file():
            raise DriverError(f"the base image {base} of image {spec.image.id} is missing")
        image_bytes = inspect_base(base, spec.image.id, spec.image.disk_format)
        if spec.disk_gb and image_bytes > spec.disk_gb * GIB:
            raise FlavorDiskTooSmall(spec.disk_gb * GIB, image_bytes)
        size = spec.disk_gb * GIB if spec.disk_gb else image_bytes
        qemu_img("create", "-q", "-f", "qcow2", "-F", opened_as(spec.image.disk_format),
                 "-b", str(base), str(target), str(size))
    else:
        qemu_img("create", "-q", "-f", "qcow2", str(target), str(size))


def make_all(guest: GuestDir, spec: InstanceSpec, carried: bool = False) -> None:
    """Every local disk the spec asks for (the root disk unless it boots from a volume).
    ``carried``: the root and ephemeral disks were copied from the guest's previous host;
    they are only grown to the spec's sizes."""
    boots_from_volume = spec.image is None and any(
        d.boot_index == 0 for d in spec.block_devices)
    if carried:
        grow_root(guest, spec.disk_gb)
    elif not boots_from_volume:
        make_root(guest, spec)
    if spec.ephemeral_gb and not guest.ephemeral.exists():
        qemu_img("create", "-q", "-f", "qcow2", str(guest.ephemeral),
                 str(spec.ephemeral_gb * GIB))
    if spec.swap_mb:
        with open(guest.swap, "wb") as f:
            f.truncate(spec.swap_mb << 20)
        if shutil.which("mkswap"):
            subprocess.run(["mkswap", "-q", str(guest.swap)], check=False,
                           capture_output=True)
    if spec.config_drive:
        configdrive.build(guest.config_drive, spec)


def grow_root(guest: GuestDir, disk_gb: int) -> None:
    """A cold resize: the overlay grows to the new flavor's disk (never shrinks)."""
    if not guest.disk.exists() or not disk_gb:
        return
    if virtual_size(guest.disk) < disk_gb * GIB:
        qemu_img("resize", "-q", str(guest.disk), str(disk_gb * GIB))

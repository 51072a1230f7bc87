"""The config drive: a small FAT disk labelled ``config-2`` holding the metadata
documents (``openstack/<version>/meta_data.json`` …), for guests that read their
identity from a disk instead of the metadata service (or before the network is up).

Built with ``mkfs.vfat`` and ``mcopy`` (dosfstools, mtools) on an image file — no mount,
no root. This module imports neither the database nor the API, so a virt driver may
call ``build_config_drive`` with the documents the host agent hands it.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

LABEL = "config-2"
SIZE_BYTES = 64 * 1024 * 1024  # as Nova's drives: room to spare, sparse on disk
TOOL_TIMEOUT = 60.0


class ConfigDriveError(RuntimeError):
    """The drive could not be built (a tool missing or failing, a bad document path)."""


def _tool(name: str) -> str:
    """The tool's path (``mkfs.vfat`` lives in ``/usr/sbin``, often not on a user's
    PATH)."""
    found = shutil.which(name) or next(
        (p for p in (f"/usr/sbin/{name}", f"/sbin/{name}") if os.access(p, os.X_OK)), None)
    if found is None:
        raise ConfigDriveError(f"{name} is missing (Debian: apt-get install "
                               f"{'dosfstools' if name.startswith('mkfs') else 'mtools'})")
    return found


def tools_available() -> bool:
    try:
        _tool("mkfs.vfat")
        _tool("mcopy")
    except ConfigDriveError:
        return False
    return True


def _run(argv: list[str]) -> None:
    env = {**os.environ, "MTOOLS_SKIP_CHECK": "1"}  # a file image has no real geometry
    try:
        done = subprocess.run(argv, capture_output=True, text=True, env=env,
                              timeout=TOOL_TIMEOUT)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ConfigDriveError(f"{argv[0]} failed: {exc}") from exc
    if done.returncode != 0:
        raise ConfigDriveError(f"{Path(argv[0]).name} exited {done.returncode}: "
                               f"{(done.stderr or done.stdout).strip()[:500]}")


def _relative(path: str) -> PurePosixPath:
    """A document path that stays inside the drive (no absolute path, no ``..``)."""
    rel = PurePosixPath(path)
    if rel.is_absolute() or not rel.parts or any(p in ("", ".", "..") for p in rel.parts):
        raise ConfigDriveError(f"not a path inside the drive: {path!r}")
    return rel


def _stage(documents: Mapping[str, bytes | str], root: Path) -> list[Path]:
    """The documents written under ``root``; returns its top-level entries."""
    for name, body in documents.items():
        target = root.joinpath(*_relative(name).parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body.encode() if isinstance(body, str) else body)
    return sorted(root.iterdir())


def build_config_drive(instance_documents: Mapping[str, bytes | str], path: str | Path
                       ) -> Path:
    """Write a FAT image labelled ``config-2`` holding ``instance_documents`` (drive path
    → content, e.g. ``content.drive_documents(facts)``) to ``path`` and return it.

    The image is built beside ``path`` and renamed into place, so a reader never sees a
    half-written drive and a repeated call simply replaces it. Raises
    ``ConfigDriveError``."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    mkfs, mcopy = _tool("mkfs.vfat"), _tool("mcopy")
    with tempfile.TemporaryDirectory(prefix=".configdrive-", dir=target.parent) as work:
        staging = Path(work) / "files"
        staging.mkdir()
        entries = _stage(instance_documents, staging)
        image = Path(work) / "drive.img"
        with image.open("wb") as f:
            f.truncate(SIZE_BYTES)
        _run([mkfs, "-n", LABEL, str(image)])
        if entries:
            _run([mcopy, "-s", "-i", str(image), *map(str, entries), "::/"])
        os.chmod(image, 0o644)
        os.replace(image, target)
    return target

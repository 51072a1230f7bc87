"""Make an OpenStack config drive for the guest image's tests.

The layout is OpenStack's: a FAT (or ISO 9660) filesystem labelled `config-2` holding
`openstack/latest/meta_data.json` (uuid, name, hostname, public_keys as
{name: key}) and, when given, `openstack/latest/user_data`. FAT is built with
mkfs.vfat and mtools into a plain file, ISO 9660 in Python: no mount, no root.
Standard library only, importable by tests and runnable as a script.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import struct
import subprocess
import tempfile
import uuid as uuidlib
from pathlib import Path

LABEL = "config-2"
SIZE_KIB = 2048


def meta_data(name: str, hostname: str | None = None,
              public_keys: dict[str, str] | None = None,
              uuid: str | None = None) -> dict:
    """The meta_data.json document nova writes, reduced to what guests read."""
    return {
        "uuid": uuid or str(uuidlib.uuid4()),
        "name": name,
        "hostname": hostname or name,
        "public_keys": dict(public_keys or {}),
        "launch_index": 0,
        "availability_zone": "nova",
    }


def write_config_drive(path: Path, metadata: dict, user_data: bytes | None = None) -> Path:
    """Write a vfat config drive image to `path` (replaced if it exists)."""
    path.unlink(missing_ok=True)
    # mkfs.vfat lives in /usr/sbin, off a normal user's PATH
    mkfs = shutil.which("mkfs.vfat") or shutil.which("mkfs.vfat", path="/usr/sbin:/sbin")
    if mkfs is None:
        raise FileNotFoundError("mkfs.vfat (Debian: dosfstools)")
    subprocess.run([mkfs, "-C", "-n", LABEL, str(path), str(SIZE_KIB)],
                   check=True, capture_output=True)
    env = dict(os.environ, MTOOLS_SKIP_CHECK="1")
    with tempfile.TemporaryDirectory() as tmp:
        latest = Path(tmp) / "openstack" / "latest"
        latest.mkdir(parents=True)
        (latest / "meta_data.json").write_text(json.dumps(metadata))
        if user_data is not None:
            (latest / "user_data").write_bytes(user_data)
        subprocess.run(["mcopy", "-s", "-i", str(path), str(Path(tmp) / "openstack"), "::/"],
                       check=True, capture_output=True, env=env)
    return path


# --- ISO 9660, the other format Nova writes (genisoimage's default) -------------------
# A plain ISO 9660 image written here in Python, so the tests need no ISO tool: no
# Rock Ridge or Joliet, upper-case names, which Linux shows in lower case without the
# ";1" version (`meta_data.json`, `user_data`).

BLOCK = 2048


def _both16(value: int) -> bytes:
    return struct.pack("<H", value) + struct.pack(">H", value)


def _both32(value: int) -> bytes:
    return struct.pack("<I", value) + struct.pack(">I", value)


def _record(name: bytes, extent: int, size: int, directory: bool) -> bytes:
    """One directory record: `name` is b"\\0" for "." and b"\\1" for ".."."""
    length = 33 + len(name) + (1 - len(name) % 2)
    return (bytes([length, 0]) + _both32(extent) + _both32(size)
            + bytes([126, 1, 1, 0, 0, 0, 0])  # recorded 2026-01-01 00:00:00 UTC
            + bytes([2 if directory else 0, 0, 0]) + _both16(1) + bytes([len(name)])
            + name + b"\0" * (1 - len(name) % 2))


def _directory(self_block: int, parent_block: int, entries: list[bytes]) -> bytes:
    data = (_record(b"\0", self_block, BLOCK, True) + _record(b"\1", parent_block, BLOCK, True)
            + b"".join(entries))
    assert len(data) <= BLOCK
    return data.ljust(BLOCK, b"\0")


def _path_table(extents: list[int], big_endian: bool) -> bytes:
    """Root, OPENSTACK, LATEST: each directory after its parent."""
    order = ">" if big_endian else "<"
    table = b""
    for name, extent, parent in ((b"\0", extents[0], 1), (b"OPENSTACK", extents[1], 1),
                                 (b"LATEST", extents[2], 2)):
        table += bytes([len(name), 0]) + struct.pack(order + "IH", extent, parent) + name
        table += b"\0" * (len(name) % 2)
    return table


def write_iso_config_drive(path: Path, metadata: dict,
                           user_data: bytes | None = None) -> Path:
    """Write an ISO 9660 config drive image labelled config-2 to `path`."""
    files = [(b"META_DATA.JSON;1", json.dumps(metadata).encode())]
    if user_data is not None:
        files.append((b"USER_DATA.;1", user_data))
    root, openstack, latest, first_file = 20, 21, 22, 23  # 18, 19: the path tables
    extents, entries, block = [], [], first_file
    for name, data in files:
        extents.append(block)
        entries.append(_record(name, block, len(data), False))
        block += max(1, -(-len(data) // BLOCK))
    total = block
    blocks = {
        root: _directory(root, root, [_record(b"OPENSTACK", openstack, BLOCK, True)]),
        openstack: _directory(openstack, root, [_record(b"LATEST", latest, BLOCK, True)]),
        latest: _directory(latest, openstack, entries),
    }
    table = _path_table([root, openstack, latest], big_endian=False)
    blocks[18] = table.ljust(BLOCK, b"\0")
    blocks[19] = _path_table([root, openstack, latest], big_endian=True).ljust(BLOCK, b"\0")
    dates = (b"2026010100000000" + b"\0") * 4
    descriptor = (b"\1CD001\1\0" + b" " * 32 + LABEL.encode().ljust(32) + b"\0" * 8
                  + _both32(total) + b"\0" * 32 + _both16(1) + _both16(1) + _both16(BLOCK)
                  + _both32(len(table)) + struct.pack("<I", 18) + b"\0" * 4
                  + struct.pack(">I", 19) + b"\0" * 4 + _record(b"\0", root, BLOCK, True)
                  + b" " * (128 * 4 + 37 * 3) + dates + b"\1\0")
    blocks[16] = descriptor.ljust(BLOCK, b"\0")
    blocks[17] = (b"\xffCD001\1").ljust(BLOCK, b"\0")
    for (name, data), extent in zip(files, extents):
        for offset in range(0, max(len(data), 1), BLOCK):
            blocks[extent + offset // BLOCK] = data[offset:offset + BLOCK].ljust(BLOCK, b"\0")
    with path.open("wb") as image:
        for number in range(total):
            image.write(blocks.get(number, b"\0" * BLOCK))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--name", default="onestack-guest")
    parser.add_argument("--hostname")
    parser.add_argument("--key", type=Path, action="append", default=[],
                        help="an SSH public key file (repeatable)")
    parser.add_argument("--user-data", type=Path)
    parser.add_argument("--iso", action="store_true", help="ISO 9660 instead of FAT")
    args = parser.parse_args()
    keys = {f"key{n}": key.read_text().strip() for n, key in enumerate(args.key)}
    user_data = args.user_data.read_bytes() if args.user_data else None
    write = write_iso_config_drive if args.iso else write_config_drive
    write(args.path, meta_data(args.name, args.hostname, keys), user_data)


if __name__ == "__main__":
    main()

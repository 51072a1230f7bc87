"""Make an OpenStack config drive for the guest image's tests.

The layout is OpenStack's: a FAT filesystem labelled `config-2` holding
`openstack/latest/meta_data.json` (uuid, name, hostname, public_keys as
{name: key}) and, when given, `openstack/latest/user_data`. Built with
mkfs.vfat and mtools into a plain file, so no mount and no root are needed.
Standard library only, importable by tests and runnable as a script.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--name", default="onestack-guest")
    parser.add_argument("--hostname")
    parser.add_argument("--key", type=Path, action="append", default=[],
                        help="an SSH public key file (repeatable)")
    parser.add_argument("--user-data", type=Path)
    args = parser.parse_args()
    keys = {f"key{n}": key.read_text().strip() for n, key in enumerate(args.key)}
    user_data = args.user_data.read_bytes() if args.user_data else None
    write_config_drive(args.path, meta_data(args.name, args.hostname, keys), user_data)


if __name__ == "__main__":
    main()

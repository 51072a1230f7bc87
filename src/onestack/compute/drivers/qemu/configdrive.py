"""The config drive: a small VFAT disk labelled ``config-2`` in the OpenStack layout
(``openstack/latest/meta_data.json``, ``user_data``) that cloud-init reads when the guest
has no metadata service. Made with ``mkfs.vfat`` and ``mcopy`` (dosfstools, mtools)."""
from __future__ import annotations

import base64
import binascii
import json
import shutil
import subprocess
import tempfile
from pathlib import Path

from onestack.compute.drivers.base import DriverError, InstanceSpec

SIZE_MB = 64


def metadata(spec: InstanceSpec) -> dict[str, object]:
    keys = {f"key-{i}": key for i, key in enumerate(spec.public_keys)}
    if spec.key_name and spec.public_keys:
        keys = {spec.key_name: spec.public_keys[0]}
    return {"uuid": spec.id, "name": spec.name, "hostname": spec.name,
            "availability_zone": "nova", "meta": dict(spec.metadata),
            "public_keys": keys, "launch_index": 0}


def build(target: Path, spec: InstanceSpec) -> None:
    for tool in ("mkfs.vfat", "mcopy", "mmd"):
        if shutil.which(tool) is None:
            raise DriverError(f"a config drive needs {tool} (dosfstools, mtools)")
    with open(target, "wb") as f:
        f.truncate(SIZE_MB << 20)
    run(["mkfs.vfat", "-n", "config-2", str(target)])
    with tempfile.TemporaryDirectory() as tmp:
        files = {"meta_data.json": json.dumps(metadata(spec)).encode()}
        if spec.user_data is not None:
            files["user_data"] = user_data_bytes(spec.user_data)
        for name, data in files.items():
            (Path(tmp) / name).write_bytes(data)
        for folder in ("::openstack", "::openstack/latest"):
            run(["mmd", "-i", str(target), folder])
        for name in files:
            run(["mcopy", "-i", str(target), str(Path(tmp) / name),
                 f"::openstack/latest/{name}"])


def user_data_bytes(user_data: str) -> bytes:
    """The API keeps user data base64-encoded, as clients send it."""
    try:
        return base64.b64decode(user_data, validate=True)
    except (binascii.Error, ValueError):
        return user_data.encode()


def run(argv: list[str]) -> None:
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    if proc.returncode != 0:
        raise DriverError(f"{argv[0]} failed: {proc.stderr.strip()[-500:]}")

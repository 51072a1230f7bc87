"""The guest's config drive, written with the metadata service's builder
(``compute.metadata.configdrive``) from the files the agent put in the spec. A spec
without them (a driver used on its own, as the tests do) gets the smallest drive
cloud-init accepts: ``meta_data.json`` and ``user_data``."""
from __future__ import annotations

import base64
import binascii
import json
from pathlib import Path

from onestack.compute.drivers.base import DriverError, InstanceSpec
from onestack.compute.metadata.configdrive import ConfigDriveError, build_config_drive


def minimal_files(spec: InstanceSpec) -> dict[str, bytes]:
    keys = {spec.key_name or f"key-{i}": key for i, key in enumerate(spec.public_keys)}
    meta = {"uuid": spec.id, "name": spec.name, "hostname": spec.name,
            "meta": dict(spec.metadata), "public_keys": keys, "launch_index": 0}
    files = {"openstack/latest/meta_data.json": json.dumps(meta).encode()}
    if spec.user_data is not None:
        files["openstack/latest/user_data"] = user_data_bytes(spec.user_data)
    return files


def user_data_bytes(user_data: str) -> bytes:
    """The API keeps user data base64-encoded, as clients send it."""
    try:
        return base64.b64decode(user_data, validate=True)
    except (binascii.Error, ValueError):
        return user_data.encode()


def build(target: Path, spec: InstanceSpec) -> None:
    try:
        build_config_drive(spec.config_drive_files or minimal_files(spec), target)
    except ConfigDriveError as exc:
        raise DriverError(f"config drive: {exc}") from exc

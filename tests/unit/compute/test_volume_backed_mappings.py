"""The mappings an image of a volume-backed server defines, merged with a boot's own, and
the spec of a guest whose root is a volume although it was booted from an image."""
from __future__ import annotations

import json
from types import SimpleNamespace

from onestack.compute.agent.spec import spec_of
from onestack.compute.drivers.base import BlockDevice as Disk
from onestack.compute.service.volume_backed import defined_by, merged
from onestack.compute.service.volumes import Requested

SNAP = "5b9c8f02-1111-4c3e-9d6c-0d6b1b0a0a01"


def _image(entries: list, v2: bool = True) -> dict:
    return {"id": "img", "block_device_mapping": json.dumps(entries),
            "bdm_v2": "True" if v2 else "False", "root_device_name": "/dev/vda"}


def test_v2_entries_become_volume_mappings_and_local_ones_are_left() -> None:
    found = defined_by(_image([
        {"source_type": "snapshot", "destination_type": "volume", "snapshot_id": SNAP,
         "boot_index": 0, "device_name": "/dev/vda", "volume_size": 2,
         "delete_on_termination": True},
        {"source_type": "blank", "destination_type": "local", "guest_format": "swap",
         "boot_index": -1},
        {"no_device": True, "device_name": "/dev/vdc"}]))
    assert found == [Requested("snapshot", "volume", SNAP, 0, 2, True, "/dev/vda")]


def test_legacy_entries_boot_from_the_root_device() -> None:
    found = defined_by(_image([{"snapshot_id": SNAP, "device_name": "vda"},
                               {"volume_id": "v2", "device_name": "/dev/vdb"}], v2=False))
    assert [(b.source_type, b.uuid, b.boot_index, b.device_name) for b in found] == [
        ("snapshot", SNAP, 0, "/dev/vda"), ("volume", "v2", None, "/dev/vdb")]


def test_an_ordinary_image_defines_nothing() -> None:
    assert defined_by({"id": "img"}) == []
    assert defined_by({"block_device_mapping": "not json"}) == []


def test_the_request_overrides_by_device_and_the_image_root_replaces_an_image_root() -> None:
    image_root = Requested("snapshot", "volume", SNAP, 0, 1, True, "/dev/vda")
    image_data = Requested("snapshot", "volume", "s2", None, 1, False, "/dev/vdb")
    asked_root = Requested("image", "volume", "img", 0, 1)
    asked_data = Requested("blank", "volume", None, None, 5, device_name="vdb")
    assert merged([image_root, image_data], [asked_root, asked_data]) == [
        asked_data, image_root]


def _inst(image_ref: str) -> SimpleNamespace:
    return SimpleNamespace(
        id="i", name="vm", flavor={"vcpus": 1, "ram": 64, "disk": 1}, image_ref=image_ref,
        user_data=None, metadata_={}, key_name=None, key_data=None, config_drive="")


def test_a_volume_root_means_no_image_disk() -> None:
    root = Disk("vol", "/dev/vda", 0)
    spec = spec_of(_inst("img"), block_devices=[root])  # type: ignore[arg-type]
    assert spec.image is None and spec.block_devices == [root]
    data = Disk("vol2", "/dev/vdb", None)
    spec = spec_of(_inst("img"), block_devices=[data])  # type: ignore[arg-type]
    assert spec.image is not None and spec.image.id == "img"

"""What the agent hands the driver: an ``InstanceSpec`` built from the instance's row."""
from __future__ import annotations

from collections.abc import Sequence

from onestack.compute import models as cm
from onestack.compute.drivers.base import BlockDevice, ImageRef, InstanceSpec


def spec_of(inst: cm.Instance, flavor: dict | None = None,
            block_devices: Sequence[BlockDevice] = ()) -> InstanceSpec:
    """The guest as the row (and, for a resize, the new ``flavor``) describes it, with the
    volumes connected to this host. NICs stay empty until the network service hands them
    over. A guest whose root is a volume has no image disk, even when it was booted from
    an image (one that maps volume snapshots instead of holding bytes)."""
    f = flavor or inst.flavor
    volume_root = any(d.boot_index == 0 for d in block_devices)
    return InstanceSpec(
        inst.id, inst.name, int(f["vcpus"]), int(f["ram"]), int(f["disk"]),
        inst.image_ref or "", inst.user_data, dict(inst.metadata_ or {}),
        image=ImageRef(inst.image_ref) if inst.image_ref and not volume_root else None,
        block_devices=list(block_devices),
        key_name=inst.key_name, public_keys=[inst.key_data] if inst.key_data else [],
        config_drive=(inst.config_drive or "").lower() in ("true", "1", "yes"),
        ephemeral_gb=int(f.get("ephemeral") or 0), swap_mb=int(f.get("swap") or 0))

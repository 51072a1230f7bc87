"""What the agent hands the driver: an ``InstanceSpec`` built from the instance's row."""
from __future__ import annotations

from onestack.compute import models as cm
from onestack.compute.drivers.base import ImageRef, InstanceSpec


def spec_of(inst: cm.Instance, flavor: dict | None = None) -> InstanceSpec:
    """The guest as the row (and, for a resize, the new ``flavor``) describes it. NICs and
    block devices stay empty until the network and volume services hand them over."""
    f = flavor or inst.flavor
    return InstanceSpec(
        inst.id, inst.name, int(f["vcpus"]), int(f["ram"]), int(f["disk"]),
        inst.image_ref or "", inst.user_data, dict(inst.metadata_ or {}),
        image=ImageRef(inst.image_ref) if inst.image_ref else None,
        key_name=inst.key_name, public_keys=[inst.key_data] if inst.key_data else [],
        config_drive=(inst.config_drive or "").lower() in ("true", "1", "yes"),
        ephemeral_gb=int(f.get("ephemeral") or 0), swap_mb=int(f.get("swap") or 0))

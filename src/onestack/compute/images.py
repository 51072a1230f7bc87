"""Compute's adapter to the image service's seam (``onestack.image.seam``) for the calls made
inside compute's own transactions (boot, rebuild, createImage, createBackup, shelve):
compute asks the image service, it never reads image tables itself. With no image service
installed every image reference is accepted as is and snapshots are refused. Bytes move
through the ``ImageSeam`` object the composition root hands over (``compute.seams``)."""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session


def _seam() -> Any:
    try:
        from onestack.image import seam
    except ImportError:
        return None
    return seam


def find_image(s: Session, image_id: str, project_id: str, admin: bool) -> dict[str, Any] | None:
    """The image as compute needs it, or None when it does not exist for the caller —
    decided by the image service's one visibility rule."""
    seam = _seam()
    if seam is None:
        return {"id": image_id, "status": "active", "min_disk": 0, "min_ram": 0}
    return seam.find_for(s, project_id, admin, image_id)


def create_snapshot(s: Session, inst: Any, name: str, metadata: dict[str, Any],
                    project_id: str) -> str:
    """Register the image a ``createImage`` produces (queued; the host agent uploads it)."""
    from onestack.core.errors import Conflict

    seam = _seam()
    if seam is None:
        raise Conflict("Snapshots need the image service, which is not available.")
    return seam.create_snapshot(s, inst, name, metadata, project_id)



def create_volume_backed(s: Session, *, name: str, owner: str, min_disk: int, min_ram: int,
                         properties: dict[str, str]) -> str:
    """Register the image of a volume-backed server: no bytes, its properties map the
    snapshots of the server's volumes (active at once)."""
    from onestack.core.errors import Conflict

    seam = _seam()
    if seam is None:
        raise Conflict("Snapshots need the image service, which is not available.")
    return seam.create_volume_backed(s, name=name, owner=owner, min_disk=min_disk,
                                     min_ram=min_ram, properties=properties)

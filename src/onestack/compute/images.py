"""The compute ↔ image seam: both services share one database, so compute reads image rows
directly instead of calling the image API over HTTP."""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session


def find_image(s: Session, image_id: str, project_id: str, admin: bool) -> dict[str, Any] | None:
    """The image as compute needs it, or None when it does not exist for the caller.
    With no image service installed every image reference is accepted as is."""
    try:
        from onestack.image import models as im
    except ImportError:
        return {"id": image_id, "status": "active", "min_disk": 0, "min_ram": 0}
    model = getattr(im, "Image", None)
    if model is None:
        return {"id": image_id, "status": "active", "min_disk": 0, "min_ram": 0}
    row = s.get(model, image_id)
    if row is None or getattr(row, "deleted", False):
        return None
    visibility = getattr(row, "visibility", "public")
    owner = getattr(row, "owner", None)
    if not admin and visibility in ("private", "shared") and owner != project_id:
        if visibility == "private":
            return None
    return {"id": row.id, "status": getattr(row, "status", "active"),
            "min_disk": getattr(row, "min_disk", 0) or 0,
            "min_ram": getattr(row, "min_ram", 0) or 0,
            "name": getattr(row, "name", None)}


def create_snapshot(s: Session, inst: Any, name: str, metadata: dict[str, Any],
                    project_id: str) -> str:
    """Register the image a ``createImage`` produces (queued; the host agent uploads it)."""
    from onestack.core.errors import Conflict

    try:
        from onestack.image import snapshots
    except ImportError as exc:
        raise Conflict("Snapshots need the image service, which is not available.") from exc
    return snapshots.create_queued(s, inst, name, metadata, project_id)


def rotate_backups(s: Session, instance_id: str, backup_type: str, rotation: int,
                   keep: str) -> None:
    """Keep the newest ``rotation`` backups of a server (the new one included)."""
    try:
        from onestack.image import snapshots
    except ImportError:
        return
    snapshots.rotate_backups(s, instance_id, backup_type, rotation, keep)

"""Images made from servers (compute's ``createImage``): the API registers a queued image
in the same transaction as the server's task; the host agent later stores the bytes its
hypervisor produced and activates the image."""
from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy.orm import Session

from onestack.core.db import Database, utcnow
from onestack.image import models as m
from onestack.image.drivers.base import DataNotFound
from onestack.image.stores import filesystem_stores

HASH_ALGO = "sha512"


def create_queued(s: Session, inst: Any, name: str, metadata: dict[str, Any],
                  project_id: str) -> str:
    source = s.get(m.Image, inst.image_ref) if inst.image_ref else None
    now = utcnow()
    image_id = str(uuid.uuid4())
    s.add(m.Image(id=image_id, name=name, status="queued", visibility="private",
                  owner=project_id, disk_format=getattr(source, "disk_format", None) or "raw",
                  container_format=getattr(source, "container_format", None) or "bare",
                  min_disk=int(inst.flavor.get("disk", 0)),
                  min_ram=getattr(source, "min_ram", 0) or 0, protected=False,
                  os_hidden=False, created_at=now, updated_at=now))
    s.flush()
    props = {"image_type": "snapshot", "instance_uuid": inst.id,
             "base_image_ref": inst.image_ref or "", "owner_user_name": inst.user_id,
             "user_id": inst.user_id}
    props.update({k: str(v) for k, v in metadata.items()})
    for key, value in props.items():
        s.add(m.ImageProperty(image_id=image_id, name=key, value=value))
    return image_id


def source_bytes(database_url: str, image_id: str) -> Iterable[bytes] | None:
    store, _ = filesystem_stores(database_url)
    try:
        return list(store.read(image_id))
    except DataNotFound:
        return None


def store_snapshot(db: Database, image_id: str, chunks: Iterable[bytes]) -> bool:
    """queued → saving → active with the given bytes; False when the image is gone."""
    store, _ = filesystem_stores(db.url)

    def begin(s: Session) -> bool:
        row = s.get(m.Image, image_id)
        if row is None or row.status not in ("queued", "saving"):
            return False
        row.status, row.updated_at = "saving", utcnow()
        return True

    if not db.write(begin):
        return False
    size, md5, sha512 = store.write(image_id, chunks)

    def finish(s: Session) -> bool:
        row = s.get(m.Image, image_id)
        if row is None:
            return False
        row.status, row.size, row.checksum = "active", size, md5
        row.os_hash_algo, row.os_hash_value = HASH_ALGO, sha512
        row.stores, row.updated_at = store.name, utcnow()
        return True

    if not db.write(finish):
        store.delete(image_id)
        return False
    return True


def delete_image(db: Database, image_id: str) -> None:
    """Remove an image the cloud made for itself (a shelved server's), rows and bytes."""
    store, _ = filesystem_stores(db.url)

    db.write(lambda s: _drop_rows(s, image_id))
    store.delete(image_id)


def rotate_backups(s: Session, instance_id: str, backup_type: str, rotation: int,
                   keep: str) -> None:
    import sqlalchemy as sa

    def prop(name: str, value: str):
        return sa.select(m.ImageProperty.image_id).where(m.ImageProperty.name == name,
                                                         m.ImageProperty.value == value)
    ids = set(s.scalars(prop("instance_uuid", instance_id))) & \
        set(s.scalars(prop("image_type", "backup"))) & \
        set(s.scalars(prop("backup_type", backup_type)))
    ids.discard(keep)
    rows = sorted(s.scalars(sa.select(m.Image).where(m.Image.id.in_(ids))),
                  key=lambda r: r.created_at, reverse=True)
    for row in rows[max(rotation - 1, 0):]:
        _drop_rows(s, row.id)


def _drop_rows(s: Session, image_id: str) -> None:
    """An image's rows (properties, tags, members, the image itself)."""
    import sqlalchemy as sa

    for model in (m.ImageProperty, m.ImageTag, m.ImageMember):
        s.execute(sa.delete(model).where(model.image_id == image_id))
    s.execute(sa.delete(m.Image).where(m.Image.id == image_id))

"""The compute ↔ image seam: everything compute asks of the image service, and nothing else
(compute never reads image tables itself).

Calls made inside one of compute's transactions take its ``Session`` (``find_for`` on boot
and rebuild, ``create_snapshot`` in the same transaction as the server's task,
``rotate_backups``); calls that move bytes go through ``ImageSeam``, which owns the stores:
``open_bytes`` streams an image chunk by chunk (never the whole image in memory),
``store_snapshot`` stores what a hypervisor produced, ``delete`` is the image API's own
delete path.
"""
from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.db import Database, utcnow
from onestack.image import models as m
from onestack.image import states
from onestack.image.drivers.base import DataNotFound, ImageStore
from onestack.image import schemas, stores
from onestack.image.service.common import is_uuid
from onestack.image.service.proxy import NovaProxy, ProxyImage  # noqa: F401 - seam types
from onestack.image.service.removal import discard_after_commit, discard_bytes, drop_rows
from onestack.image.visibility import may_see_row

if TYPE_CHECKING:
    from onestack.core.config import Settings

HASH_ALGO = "sha512"
# the properties a snapshot of a volume-backed server carries instead of bytes
MAPPING_PROPERTIES = ("block_device_mapping", "bdm_v2", "root_device_name")
# An image's own attributes: never custom properties (Nova's image metadata refuses them).
ATTRIBUTES = frozenset(("id",) + schemas.SETTABLE + schemas.READ_ONLY + schemas.RESERVED)


def is_reserved_key(key: str) -> bool:
    """Whether ``key`` names an image attribute or a Glance-reserved property."""
    return key in ATTRIBUTES or key.startswith(schemas.RESERVED_PREFIX)


def find_for(s: Session, project_id: str | None, admin: bool, image_id: str
             ) -> dict[str, Any] | None:
    """The image as compute needs it, or None when it does not exist *for this caller*
    (the image service's visibility rule: what ``GET /v2/images/{id}`` would 404)."""
    if not isinstance(image_id, str) or not is_uuid(image_id):
        return None
    row = s.get(m.Image, image_id)
    if row is None or not may_see_row(s, row, project_id or None, admin):
        return None
    found: dict[str, Any] = {"id": row.id, "status": row.status,
                             "min_disk": row.min_disk or 0, "min_ram": row.min_ram or 0,
                             "name": row.name, "size": row.size or 0}
    # a snapshot of a volume-backed server maps volume snapshots instead of holding bytes
    found.update({p.name: p.value for p in s.scalars(sa.select(m.ImageProperty).where(
        m.ImageProperty.image_id == row.id, m.ImageProperty.name.in_(MAPPING_PROPERTIES)))})
    return found


def create_snapshot(s: Session, inst: Any, name: str, metadata: dict[str, Any],
                    project_id: str) -> str:
    """Register the image a ``createImage``/``createBackup``/shelve produces: queued, owned
    by ``project_id``; the host agent stores its bytes later (``ImageSeam.store_snapshot``)."""
    source = s.get(m.Image, inst.image_ref) if inst.image_ref else None
    now = utcnow()
    image_id = str(uuid.uuid4())
    s.add(m.Image(id=image_id, name=name, status=states.QUEUED, visibility="private",
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


def create_volume_backed(s: Session, *, name: str, owner: str, min_disk: int, min_ram: int,
                         properties: dict[str, str]) -> str:
    """Register the image a ``createImage`` of a volume-backed server makes: no bytes (its
    ``block_device_mapping`` property names the volume snapshots that hold the disks), so
    it is active at once with size 0 — as an empty raw upload leaves an image."""
    now = utcnow()
    image_id = str(uuid.uuid4())
    empty = b""
    s.add(m.Image(id=image_id, name=name, status=states.ACTIVE, visibility="private",
                  owner=owner, disk_format="raw", container_format="bare", size=0,
                  virtual_size=0, checksum=hashlib.md5(empty).hexdigest(),
                  os_hash_algo=HASH_ALGO, os_hash_value=hashlib.sha512(empty).hexdigest(),
                  min_disk=min_disk, min_ram=min_ram, protected=False, os_hidden=False,
                  created_at=now, updated_at=now))
    s.flush()
    for key, value in properties.items():
        if not is_reserved_key(key):
            s.add(m.ImageProperty(image_id=image_id, name=key, value=str(value)))
    return image_id


def create_for_volume(s: Session, *, owner: str, name: str, disk_format: str,
                      container_format: str, visibility: str = "private",
                      protected: bool = False, min_disk: int = 0,
                      properties: dict[str, str] | None = None) -> dict[str, Any]:
    """Register the image a volume upload (``os-volume_upload_image``) fills: queued, owned
    by ``owner``; the volume agent stores its bytes later (``ImageSeam.store_snapshot``).
    Returns the attributes the volume API answers with."""
    now = utcnow()
    image_id = str(uuid.uuid4())
    s.add(m.Image(id=image_id, name=name, status=states.QUEUED, visibility=visibility,
                  owner=owner, disk_format=disk_format, container_format=container_format,
                  min_disk=min_disk, min_ram=0, protected=protected, os_hidden=False,
                  created_at=now, updated_at=now))
    s.flush()
    for key, value in (properties or {}).items():
        if not is_reserved_key(key):
            s.add(m.ImageProperty(image_id=image_id, name=key, value=str(value)))
    return {"id": image_id, "name": name, "disk_format": disk_format,
            "container_format": container_format, "visibility": visibility,
            "protected": protected, "status": states.QUEUED}


def rotate_backups(s: Session, instance_id: str, backup_type: str, rotation: int,
                   keep: str, within: ImageSeam) -> list[str]:
    """Keep the newest ``rotation`` backups of a server (``keep``, the new one, included);
    the older ones are deleted — rows now, bytes (from ``within``'s stores) once ``s``
    commits. Returns their ids."""
    def having(name: str, value: str) -> Any:
        return sa.select(m.ImageProperty.image_id).where(m.ImageProperty.name == name,
                                                         m.ImageProperty.value == value)
    ids = set(s.scalars(having("instance_uuid", instance_id))) & \
        set(s.scalars(having("image_type", "backup"))) & \
        set(s.scalars(having("backup_type", backup_type)))
    ids.discard(keep)
    rows = sorted(s.scalars(sa.select(m.Image).where(m.Image.id.in_(ids))),
                  key=lambda r: r.created_at, reverse=True)
    dropped = [row.id for row in rows[max(rotation - 1, 0):]]
    for image_id in dropped:
        drop_rows(s, image_id)
    discard_after_commit(s, (within.store, within.staging), dropped)
    return dropped


class ImageSeam:
    """The byte-moving half of the seam, over the image service's stores."""

    def __init__(self, db: Database, store: ImageStore, staging: ImageStore) -> None:
        self.db, self.store, self.staging = db, store, staging

    @staticmethod
    def stores_for_url(database_url: str) -> tuple[ImageStore, ImageStore]:
        return stores.filesystem_stores(database_url)

    @classmethod
    def for_database(cls, db: Database) -> ImageSeam:
        """Over the default (filesystem) stores the image API of this database uses."""
        return cls(db, *cls.stores_for_url(db.url))

    @classmethod
    def from_settings(cls, db: Database, settings: Settings) -> ImageSeam:
        """Over the stores the settings name, chosen once, when the service is built."""
        return cls(db, *stores.filesystem_stores(settings.database_url))

    @property
    def proxy(self) -> NovaProxy:
        """Nova's image proxy use cases, over this seam's database and stores."""
        return NovaProxy(self.db, (self.store, self.staging))

    def find_for(self, s: Session, project_id: str | None, admin: bool, image_id: str
                 ) -> dict[str, Any] | None:
        return find_for(s, project_id, admin, image_id)

    def create_snapshot(self, s: Session, inst: Any, name: str, metadata: dict[str, Any],
                        project_id: str) -> str:
        return create_snapshot(s, inst, name, metadata, project_id)

    def create_volume_backed(self, s: Session, **attrs: Any) -> str:
        return create_volume_backed(s, **attrs)

    def create_for_volume(self, s: Session, **attrs: Any) -> dict[str, Any]:
        return create_for_volume(s, **attrs)

    def rotate_backups(self, s: Session, instance_id: str, backup_type: str, rotation: int,
                       keep: str) -> list[str]:
        return rotate_backups(s, instance_id, backup_type, rotation, keep, within=self)

    def open_bytes(self, image_id: str) -> Iterator[bytes] | None:
        """The image's bytes as a lazy iterator of chunks (the file stays open until it is
        exhausted or closed); None when the store holds nothing for it."""
        try:
            return self.store.read(image_id)
        except (DataNotFound, ValueError):
            return None

    def describe(self, image_id: str) -> dict[str, Any] | None:
        """What a volume made from (or uploaded to) the image needs: its attributes
        (``id``, ``name``, ``status``, ``disk_format``, ``container_format``, ``size``,
        ``virtual_size``, ``checksum``, ``min_disk``, ``min_ram``) and its custom
        ``properties``; None when there is no such image. No visibility check: the
        volume API checked the caller when it accepted the request."""
        def work(s: Session) -> dict[str, Any] | None:
            row = s.get(m.Image, image_id)
            if row is None:
                return None
            props = {p.name: p.value for p in s.scalars(
                sa.select(m.ImageProperty).where(m.ImageProperty.image_id == image_id))}
            return {"id": row.id, "name": row.name, "status": row.status,
                    "disk_format": row.disk_format, "container_format": row.container_format,
                    "size": row.size, "virtual_size": row.virtual_size,
                    "checksum": row.checksum, "min_disk": row.min_disk or 0,
                    "min_ram": row.min_ram or 0,
                    "properties": {k: v for k, v in props.items() if not is_reserved_key(k)}}
        return self.db.read(work)

    def store_snapshot(self, image_id: str, chunks: Iterable[bytes]) -> bool:
        """queued → saving → active with the given bytes; False when the image is gone."""
        def begin(s: Session) -> bool:
            row = s.get(m.Image, image_id)
            if row is None or row.status not in (states.QUEUED, states.SAVING):
                return False
            row.status, row.updated_at = states.SAVING, utcnow()
            return True

        if not self.db.write(begin):
            return False
        size, md5, sha512 = self.store.write(image_id, chunks)

        def finish(s: Session) -> bool:
            row = s.get(m.Image, image_id)
            if row is None:
                return False
            row.status, row.size, row.checksum = states.ACTIVE, size, md5
            row.os_hash_algo, row.os_hash_value = HASH_ALGO, sha512
            row.stores, row.updated_at = self.store.name, utcnow()
            return True

        if not self.db.write(finish):
            self.store.delete(image_id)
            return False
        return True

    def delete(self, image_id: str) -> None:
        """Remove an image the cloud made for itself (a shelved server's), rows then bytes —
        the same steps as the image API's delete, without its caller checks."""
        self.db.write(lambda s: drop_rows(s, image_id))
        discard_bytes((self.store, self.staging), image_id)

"""Images made from servers, by the names the host agent calls (``source_bytes``,
``store_snapshot``, ``delete_image``); the work is ``image.seam``'s."""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy.orm import Session

from onestack.core.db import Database
from onestack.image import seam
from onestack.image.seam import HASH_ALGO, ImageSeam  # noqa: F401 - re-exported


def create_queued(s: Session, inst: Any, name: str, metadata: dict[str, Any],
                  project_id: str) -> str:
    return seam.create_snapshot(s, inst, name, metadata, project_id)


def source_bytes(database_url: str, image_id: str) -> Iterator[bytes] | None:
    """The image's bytes, streamed (a lazy iterator, never the whole image in memory)."""
    store, _ = ImageSeam.stores_for_url(database_url)
    try:
        return store.read(image_id)
    except Exception:  # noqa: BLE001 - nothing stored (or an unusable key): no source
        return None


def store_snapshot(db: Database, image_id: str, chunks: Iterable[bytes]) -> bool:
    return ImageSeam.for_database(db).store_snapshot(image_id, chunks)


def delete_image(db: Database, image_id: str) -> None:
    ImageSeam.for_database(db).delete(image_id)


def rotate_backups(s: Session, instance_id: str, backup_type: str, rotation: int,
                   keep: str) -> None:
    seam.rotate_backups(s, instance_id, backup_type, rotation, keep)

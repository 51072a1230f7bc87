"""The one way an image goes away: its rows in the caller's transaction, then its bytes
once that transaction has committed.

The image API's ``DELETE``, compute's deletes through ``image.seam`` (shelved servers'
images, rotated backups) all come here, so no path leaves rows without bytes or bytes
without rows.
"""
from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.image import models as m
from onestack.image.drivers.base import ImageStore


def drop_rows(s: Session, image_id: str) -> None:
    """An image's rows: properties, tags, members, then the image itself."""
    for model in (m.ImageProperty, m.ImageTag, m.ImageMember):
        s.execute(sa.delete(model).where(model.image_id == image_id))
    s.execute(sa.delete(m.Image).where(m.Image.id == image_id))


def discard_bytes(stores: Iterable[ImageStore], image_id: str) -> None:
    """After the rows are gone: an upload still streaming finds no row and cleans up by
    itself, so deleting the bytes here never races it into an orphan."""
    for store in stores:
        store.delete(image_id)


def discard_after_commit(s: Session, stores: Iterable[ImageStore], image_ids: list[str]
                         ) -> None:
    """Delete the bytes only if ``s`` commits (a rolled-back drop keeps its bytes)."""
    if not image_ids:
        return
    stores = tuple(stores)

    def discard(_session: Session) -> None:
        for image_id in image_ids:
            discard_bytes(stores, image_id)

    sa.event.listen(s, "after_commit", discard, once=True)

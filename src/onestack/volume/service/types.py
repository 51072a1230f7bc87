"""Volume types: the default type every deployment has."""
from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.db import Database, utcnow
from onestack.volume.models.types import VolumeType

DEFAULT_TYPE = "__DEFAULT__"


def ensure_default_type(db: Database) -> None:
    """``__DEFAULT__`` (Cinder creates it in its first migration); idempotent."""
    def work(s: Session) -> None:
        if s.scalar(sa.select(VolumeType.id).where(VolumeType.name == DEFAULT_TYPE)) is None:
            s.add(VolumeType(id=str(uuid.uuid4()), name=DEFAULT_TYPE,
                             description="Default Volume Type", is_public=True,
                             created_at=utcnow()))
    db.write(work)

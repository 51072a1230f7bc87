"""Token key repository in the database: every replica reads the same keys; rotation adds
a new primary key and drops the oldest beyond the configured number."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.db import Database, utcnow
from onestack.core.tokens import generate_key
from onestack.identity import catalog_models as cm


def active_keys(db: Database, purpose: str = "token") -> list[str]:
    """Newest first; the first one encrypts."""
    return db.read(lambda s: list(s.scalars(
        sa.select(cm.FernetKey.key).where(cm.FernetKey.purpose == purpose)
        .order_by(cm.FernetKey.id.desc()))))


def ensure_keys(s: Session) -> None:
    """One token key and one credential key exist."""
    for purpose in ("token", "credential"):
        if s.scalar(sa.select(sa.func.count()).select_from(cm.FernetKey)
                    .where(cm.FernetKey.purpose == purpose)) == 0:
            s.add(cm.FernetKey(key=generate_key(), purpose=purpose, created_at=utcnow()))


def rotate(db: Database, max_active: int) -> int:
    """Add a primary key and keep ``max_active`` keys; returns how many remain."""

    def work(s: Session) -> int:
        s.add(cm.FernetKey(key=generate_key(), purpose="token", created_at=utcnow()))
        s.flush()
        ids = list(s.scalars(sa.select(cm.FernetKey.id).where(cm.FernetKey.purpose == "token")
                             .order_by(cm.FernetKey.id.desc())))
        stale = ids[max(1, max_active):]
        if stale:
            s.execute(sa.delete(cm.FernetKey).where(cm.FernetKey.id.in_(stale)))
        return len(ids) - len(stale)

    return db.write(work)

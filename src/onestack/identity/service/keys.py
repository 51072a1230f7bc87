"""Token key repository in the database, shared by every replica.

Rotation follows the staged-key scheme: besides the primary keys there is always one
*staged* key that every replica already accepts for decryption but nobody encrypts with
yet. Rotating promotes the staged key to primary and stages a new one, so a replica that
has not re-read the keys since the last rotation still validates every token the others
issue; the oldest primaries beyond ``max_active`` are dropped.
"""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.db import Database, utcnow
from onestack.core.tokens import generate_key
from onestack.identity import catalog_models as cm

STAGED = "token-staged"


def active_keys(db: Database, purpose: str = "token") -> list[str]:
    """The key that encrypts first (the newest primary), then every key that decrypts."""
    def work(s: Session) -> list[str]:
        keys = list(s.scalars(sa.select(cm.FernetKey.key).where(cm.FernetKey.purpose == purpose)
                              .order_by(cm.FernetKey.id.desc())))
        if purpose == "token":
            keys += list(s.scalars(sa.select(cm.FernetKey.key)
                                   .where(cm.FernetKey.purpose == STAGED)))
        return keys
    return db.read(work)


def _count(s: Session, purpose: str) -> int:
    return s.scalar(sa.select(sa.func.count()).select_from(cm.FernetKey)
                    .where(cm.FernetKey.purpose == purpose)) or 0


def ensure_keys(s: Session) -> None:
    """A primary token key, a staged token key and a credential key exist."""
    for purpose in ("token", STAGED, "credential"):
        if _count(s, purpose) == 0:
            s.add(cm.FernetKey(key=generate_key(), purpose=purpose, created_at=utcnow()))


def rotate(db: Database, max_active: int) -> int:
    """Promote the staged key, stage a new one, keep ``max_active`` primaries; returns how
    many keys decrypt afterwards."""

    def work(s: Session) -> int:
        staged = s.scalar(sa.select(cm.FernetKey).where(cm.FernetKey.purpose == STAGED))
        if staged is not None:
            # a new row id makes it the newest primary
            s.add(cm.FernetKey(key=staged.key, purpose="token", created_at=utcnow()))
            s.delete(staged)
        else:
            s.add(cm.FernetKey(key=generate_key(), purpose="token", created_at=utcnow()))
        s.add(cm.FernetKey(key=generate_key(), purpose=STAGED, created_at=utcnow()))
        s.flush()
        ids = list(s.scalars(sa.select(cm.FernetKey.id).where(cm.FernetKey.purpose == "token")
                             .order_by(cm.FernetKey.id.desc())))
        stale = ids[max(1, max_active):]
        if stale:
            s.execute(sa.delete(cm.FernetKey).where(cm.FernetKey.id.in_(stale)))
        return len(ids) - len(stale) + 1

    return db.write(work)

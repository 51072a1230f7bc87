"""Volume types: lookups other areas use (``resolve_type``, ``default_type``,
``extra_specs``) and the ``__DEFAULT__`` type every deployment has."""
from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.context import RequestContext
from onestack.core.db import Database, utcnow
from onestack.core.errors import NotFound
from onestack.volume.models.types import (DefaultType, VolumeType, VolumeTypeExtraSpec,
                                          VolumeTypeProject)

DEFAULT_TYPE = "__DEFAULT__"


def ensure_default_type(db: Database) -> None:
    """``__DEFAULT__`` (Cinder creates it in its first migration); idempotent."""
    def work(s: Session) -> None:
        if s.scalar(sa.select(VolumeType.id).where(VolumeType.name == DEFAULT_TYPE)) is None:
            s.add(VolumeType(id=str(uuid.uuid4()), name=DEFAULT_TYPE,
                             description="Default Volume Type", is_public=True,
                             created_at=utcnow()))
    db.write(work)


def type_not_found(ident: str) -> NotFound:
    return NotFound(f"Volume type {ident} could not be found.")


def can_use(s: Session, ctx: RequestContext | None, row: VolumeType) -> bool:
    """Public types are everyone's; a private one is its access list's (and admins')."""
    if row.is_public or ctx is None or ctx.is_admin:
        return True
    return s.get(VolumeTypeProject, (row.id, ctx.project_id)) is not None


def resolve_type(s: Session, ctx: RequestContext | None, name_or_id: str) -> VolumeType:
    """The type with this id, else this name (Cinder's ``get_by_name_or_id``); a private
    type the caller has no access to is not found (404)."""
    ident = str(name_or_id)
    row = s.get(VolumeType, ident) if len(ident) <= 36 else None
    if row is None:
        row = s.scalar(sa.select(VolumeType).where(VolumeType.name == ident))
        if row is None:
            raise NotFound(f"Volume type with name {ident} could not be found.")
    if not can_use(s, ctx, row):
        raise type_not_found(ident)
    return row


def default_type(s: Session, project_id: str | None) -> VolumeType:
    """The project's default type (``/default-types``), else ``__DEFAULT__``."""
    if project_id:
        chosen = s.scalar(sa.select(VolumeType).join(
            DefaultType, DefaultType.volume_type_id == VolumeType.id).where(
            DefaultType.project_id == project_id))
        if chosen is not None:
            return chosen
    row = s.scalar(sa.select(VolumeType).where(VolumeType.name == DEFAULT_TYPE))
    if row is None:
        raise NotFound(f"Volume type with name {DEFAULT_TYPE} could not be found.")
    return row


def extra_specs(s: Session, type_id: str | None) -> dict[str, str]:
    """A type's extra specs (``{}`` for no type)."""
    if not type_id:
        return {}
    rows = s.execute(sa.select(VolumeTypeExtraSpec.key, VolumeTypeExtraSpec.value).where(
        VolumeTypeExtraSpec.volume_type_id == type_id))
    return {k: v for k, v in rows}

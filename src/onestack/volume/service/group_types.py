"""Group types and their specs (admin-managed; readers see public types)."""
from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.context import RequestContext
from onestack.core.db import utcnow
from onestack.core.errors import BadRequest, Conflict, NotFound
from onestack.core.platform import Platform
from onestack.volume.models.groups import Group, GroupType, GroupTypeSpec


def group_type_not_found(ident: str) -> NotFound:
    return NotFound(f"Group type {ident} could not be found.")


def resolve_group_type(s: Session, ctx: RequestContext | None, name_or_id: Any
                       ) -> GroupType:
    """By id, then by name; a private type is an admin's only (404 for others)."""
    ident = str(name_or_id)
    row = s.get(GroupType, ident) if len(ident) <= 36 else None
    if row is None:
        row = s.scalar(sa.select(GroupType).where(GroupType.name == ident))
    if row is None or (not row.is_public and ctx is not None and not ctx.is_admin):
        raise group_type_not_found(ident)
    return row


def specs_of(s: Session, type_ids: list[str]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {i: {} for i in type_ids}
    if type_ids:
        for tid, key, value in s.execute(sa.select(
                GroupTypeSpec.group_type_id, GroupTypeSpec.key, GroupTypeSpec.value)
                .where(GroupTypeSpec.group_type_id.in_(type_ids))):
            out[tid][key] = value
    return out


def check_specs(specs: Any) -> dict[str, str]:
    if not isinstance(specs, dict):
        raise BadRequest("Invalid input received: group_specs must be a dictionary.")
    for key, value in specs.items():
        if not isinstance(key, str) or not 0 < len(key) <= 255:
            raise BadRequest(f"Invalid input received: group spec key {key!r} must be "
                             "1 to 255 characters.")
        if not isinstance(value, str) or len(value) > 255:
            raise BadRequest(f"Invalid input received: group spec value of {key} must be "
                             "a string of at most 255 characters.")
    return dict(specs)


class GroupTypeService:
    def __init__(self, platform: Platform):
        self.platform = platform
        self.db = platform.db

    def enforce(self, rule: str, ctx: RequestContext) -> None:
        self.platform.policy.enforce(rule, ctx, {"project_id": ctx.project_id})

    def create(self, ctx: RequestContext, name: str, description: str | None,
               is_public: bool, specs: dict[str, str]) -> tuple[GroupType, dict[str, str]]:
        self.enforce("group:group_types_manage", ctx)

        def work(s: Session) -> GroupType:
            if s.scalar(sa.select(GroupType.id).where(GroupType.name == name)) is not None:
                raise Conflict(f"Group Type {name} already exists.")
            row = GroupType(id=str(uuid.uuid4()), name=name, description=description,
                            is_public=is_public, created_at=utcnow())
            s.add(row)
            s.flush()
            for key, value in specs.items():
                s.add(GroupTypeSpec(group_type_id=row.id, key=key, value=value))
            return row
        return self.db.write(work), dict(specs)

    def list(self, ctx: RequestContext, is_public: bool | None, sort: list[tuple[str, str]]
             ) -> list[tuple[GroupType, dict[str, str]]]:
        self.enforce("group:get_group_types", ctx)

        def work(s: Session) -> list[tuple[GroupType, dict[str, str]]]:
            stmt = sa.select(GroupType)
            if not ctx.is_admin:
                stmt = stmt.where(GroupType.is_public.is_(True))
            if is_public is not None:
                stmt = stmt.where(GroupType.is_public.is_(is_public))
            order = sort or [("created_at", "asc")]
            stmt = stmt.order_by(*[getattr(GroupType, k).desc() if d == "desc"
                                   else getattr(GroupType, k).asc() for k, d in order],
                                 GroupType.id)
            rows = list(s.scalars(stmt))
            specs = specs_of(s, [r.id for r in rows])
            return [(r, specs[r.id]) for r in rows]
        return self.db.read(work)

    def show(self, ctx: RequestContext, type_id: str) -> tuple[GroupType, dict[str, str]]:
        self.enforce("group:get_group_types", ctx)

        def work(s: Session) -> tuple[GroupType, dict[str, str]]:
            row = resolve_group_type(s, ctx, type_id)
            return row, specs_of(s, [row.id])[row.id]
        return self.db.read(work)

    def update(self, ctx: RequestContext, type_id: str, changes: dict[str, Any]
               ) -> tuple[GroupType, dict[str, str]]:
        self.enforce("group:group_types_manage", ctx)

        def work(s: Session) -> tuple[GroupType, dict[str, str]]:
            row = s.get(GroupType, type_id) if len(type_id) <= 36 else None
            if row is None:
                raise group_type_not_found(type_id)
            name = changes.get("name")
            if name is not None and name != row.name and s.scalar(
                    sa.select(GroupType.id).where(GroupType.name == name)) is not None:
                raise Conflict(f"Group Type {name} already exists.")
            for key, value in changes.items():
                setattr(row, key, value)
            row.updated_at = utcnow()
            return row, specs_of(s, [row.id])[row.id]
        return self.db.write(work)

    def delete(self, ctx: RequestContext, type_id: str) -> None:
        self.enforce("group:group_types_manage", ctx)

        def work(s: Session) -> None:
            row = s.get(GroupType, type_id) if len(type_id) <= 36 else None
            if row is None:
                raise group_type_not_found(type_id)
            if s.scalar(sa.select(Group.id).where(Group.group_type_id == row.id)
                        .limit(1)) is not None:
                raise BadRequest(f"Target group type with id {row.id} is still in use.")
            s.delete(row)
        self.db.write(work)

    # --- specs ----------------------------------------------------------------------
    def _type(self, s: Session, type_id: str) -> GroupType:
        row = s.get(GroupType, type_id) if len(type_id) <= 36 else None
        if row is None:
            raise group_type_not_found(type_id)
        return row

    def specs(self, ctx: RequestContext, type_id: str) -> dict[str, str]:
        self.enforce("group:access_group_types_specs", ctx)
        return self.db.read(lambda s: specs_of(s, [self._type(s, type_id).id])[type_id])

    def set_specs(self, ctx: RequestContext, type_id: str, specs: dict[str, str]) -> None:
        self.enforce("group:group_types_specs", ctx)

        def work(s: Session) -> None:
            row = self._type(s, type_id)
            for key, value in specs.items():
                item = s.get(GroupTypeSpec, (row.id, key))
                if item is None:
                    s.add(GroupTypeSpec(group_type_id=row.id, key=key, value=value))
                else:
                    item.value = value
            row.updated_at = utcnow()
        self.db.write(work)

    def delete_spec(self, ctx: RequestContext, type_id: str, key: str) -> None:
        self.enforce("group:group_types_specs", ctx)

        def work(s: Session) -> None:
            row = self._type(s, type_id)
            item = s.get(GroupTypeSpec, (row.id, key))
            if item is None:
                raise NotFound(f"Group Type {row.id} has no specs with key {key}.")
            s.delete(item)
        self.db.write(work)

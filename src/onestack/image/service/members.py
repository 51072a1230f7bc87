"""Image members: the owner shares a ``shared`` image with other projects; each member
project accepts or rejects it (only accepted images show up in its default list)."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.context import RequestContext
from onestack.core.db import utcnow
from onestack.core.errors import Conflict, Forbidden, NotFound, PayloadTooLarge
from onestack.image import models as m
from onestack.image import views
from onestack.image.service.common import MAX_MEMBERS, Deps, visible_image


def _member_not_found(image_id: str, member_id: str) -> NotFound:
    return NotFound(f"Member {member_id} not found for image {image_id}.")


class Members:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    def _sees_all(self, ctx: RequestContext, row: m.Image) -> bool:
        return self.deps.is_admin(ctx) or (bool(row.owner) and row.owner == ctx.project_id)

    def list(self, ctx: RequestContext, image_id: str) -> list[dict[str, Any]]:
        def work(s: Session) -> list[dict[str, Any]]:
            row = visible_image(s, self.deps, ctx, image_id)
            self.deps.enforce("image:get_members", ctx, row)
            if row.visibility != "shared":
                raise Forbidden("Only shared images have members.")
            q = sa.select(m.ImageMember).where(m.ImageMember.image_id == image_id)
            if not self._sees_all(ctx, row):
                q = q.where(m.ImageMember.member == ctx.project_id)
            return [views.member(x) for x in s.scalars(q.order_by(m.ImageMember.created_at))]

        return self.deps.db.read(work)

    def show(self, ctx: RequestContext, image_id: str, member_id: str) -> dict[str, Any]:
        def work(s: Session) -> dict[str, Any]:
            row = visible_image(s, self.deps, ctx, image_id)
            self.deps.enforce("image:get_member", ctx, row, member_id=member_id)
            found = s.get(m.ImageMember, (image_id, member_id))
            if found is None or not (self._sees_all(ctx, row) or member_id == ctx.project_id):
                raise _member_not_found(image_id, member_id)
            return views.member(found)

        return self.deps.db.read(work)

    def create(self, ctx: RequestContext, image_id: str, member_id: str) -> dict[str, Any]:
        def work(s: Session) -> dict[str, Any]:
            row = visible_image(s, self.deps, ctx, image_id, lock=True)
            self.deps.enforce("image:add_member", ctx, row)
            if row.visibility != "shared":
                raise Forbidden(f"Image {image_id} is not shared (its visibility is "
                                f"'{row.visibility}'): only shared images have members.")
            if s.get(m.ImageMember, (image_id, member_id)) is not None:
                raise Conflict(f"Member {member_id} already associated with image "
                               f"{image_id}.")
            count = s.scalar(sa.select(sa.func.count()).select_from(m.ImageMember)
                             .where(m.ImageMember.image_id == image_id)) or 0
            if count >= MAX_MEMBERS:
                raise PayloadTooLarge(f"Maximum number of image members exceeded "
                                      f"({MAX_MEMBERS}).")
            now = utcnow()
            found = m.ImageMember(image_id=image_id, member=member_id, status="pending",
                                  created_at=now, updated_at=now)
            s.add(found)
            s.flush()
            return views.member(found)

        return self.deps.db.write(work)

    def update(self, ctx: RequestContext, image_id: str, member_id: str, status: str
               ) -> dict[str, Any]:
        def work(s: Session) -> dict[str, Any]:
            row = visible_image(s, self.deps, ctx, image_id)
            found = s.get(m.ImageMember, (image_id, member_id))
            if found is None or not (self._sees_all(ctx, row) or member_id == ctx.project_id):
                raise _member_not_found(image_id, member_id)
            self.deps.enforce("image:modify_member", ctx, row, member_id=member_id)
            found.status = status
            found.updated_at = utcnow()
            s.flush()
            return views.member(found)

        return self.deps.db.write(work)

    def delete(self, ctx: RequestContext, image_id: str, member_id: str) -> None:
        def work(s: Session) -> None:
            row = visible_image(s, self.deps, ctx, image_id)
            self.deps.enforce("image:delete_member", ctx, row)
            found = s.get(m.ImageMember, (image_id, member_id))
            if found is None:
                raise _member_not_found(image_id, member_id)
            s.delete(found)

        self.deps.db.write(work)

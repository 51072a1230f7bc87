"""Image records: create, show, update (JSON patch), delete, tags, deactivate/reactivate.
Listing lives in ``listing``; image data in ``data``."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.context import RequestContext
from onestack.core.db import utcnow
from onestack.core.errors import BadRequest, Conflict, Forbidden, NotFound, PayloadTooLarge
from onestack.image import models as m
from onestack.image import schemas, states
from onestack.image.service import patch
from onestack.image.service.common import (MAX_PROPERTIES, MAX_TAGS, Deps, is_uuid,
                                           properties_of, render_one, set_properties,
                                           tags_of, visible_image)
from onestack.image.service.listing import ImageQuery, Page, list_images
from onestack.image.service.quotas import Quotas
from onestack.image.service.removal import discard_bytes, drop_rows

_CORE_COLUMNS = ("name", "visibility", "protected", "os_hidden", "owner", "container_format",
                 "disk_format", "min_ram", "min_disk")
_DEFAULTS: dict[str, Any] = {"name": None, "visibility": "shared", "protected": False,
                             "os_hidden": False, "container_format": None,
                             "disk_format": None, "min_ram": 0, "min_disk": 0, "tags": []}


def editable(row: m.Image, props: dict[str, str], tags: list[str]) -> dict[str, Any]:
    """The part of an image a caller may change: settable attributes and custom properties."""
    doc: dict[str, Any] = dict(props)
    doc.update({c: getattr(row, c) for c in _CORE_COLUMNS})
    doc["tags"] = sorted(tags)
    return doc


class ImageService:
    def __init__(self, deps: Deps, quotas: Quotas) -> None:
        self.deps = deps
        self.quotas = quotas

    # --- create / show / delete ---------------------------------------------------------
    def create(self, ctx: RequestContext, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise BadRequest("Image creation requires a JSON object in the request body.")
        for key in body:
            patch.check_name(key, creating=True)
        image_id = body.get("id")
        if image_id is None:
            image_id = str(uuid.uuid4())
        elif not isinstance(image_id, str) or not is_uuid(image_id):
            raise BadRequest(f"Provided object does not match schema 'image': "
                             f"{image_id!r} is not a valid image id (a UUID)")
        doc = {**_DEFAULTS, "owner": ctx.project_id or None,
               **{k: v for k, v in body.items() if k != "id"}}
        schemas.validate_image_fields(doc)
        doc["tags"] = list(dict.fromkeys(doc["tags"]))
        _check_counts(doc)
        self.deps.policy.enforce("image:add_image", ctx, {"owner": doc["owner"]})
        self._check_visibility(ctx, doc["owner"], None, doc["visibility"])
        now = utcnow()

        def work(s: Session) -> dict[str, Any]:
            if doc["owner"]:
                self.quotas.check_count(s, doc["owner"])
            if s.get(m.Image, image_id) is not None:
                raise Conflict(f"Image with identifier {image_id} already exists!")
            row = m.Image(id=image_id, status=states.QUEUED, created_at=now, updated_at=now,
                          **{c: doc.pop(c) for c in _CORE_COLUMNS})
            s.add(row)
            s.flush()
            for tag in doc.pop("tags"):
                s.add(m.ImageTag(image_id=image_id, value=tag))
            set_properties(s, image_id, doc)
            s.flush()
            return render_one(s, row)

        return self.deps.db.write(work)

    def show(self, ctx: RequestContext, image_id: str) -> dict[str, Any]:
        def work(s: Session) -> dict[str, Any]:
            row = visible_image(s, self.deps, ctx, image_id)
            self.deps.enforce("image:get_image", ctx, row)
            return render_one(s, row)

        return self.deps.db.read(work)

    def list(self, ctx: RequestContext, query: ImageQuery) -> Page:
        self.deps.policy.enforce("image:get_images", ctx, {})
        return self.deps.db.read(lambda s: list_images(s, self.deps, ctx, query))

    def usage(self, ctx: RequestContext) -> dict[str, dict[str, int]]:
        """``/v2/info/usage`` for the caller's project."""
        self.deps.policy.enforce("image:get_usage", ctx, {})
        return self.deps.db.read(lambda s: self.quotas.report(s, ctx.project_id))

    def delete(self, ctx: RequestContext, image_id: str) -> None:
        def work(s: Session) -> None:
            row = visible_image(s, self.deps, ctx, image_id, lock=True)
            self.deps.enforce("image:delete_image", ctx, row)
            if row.protected:
                raise Forbidden(f"Image {image_id} is protected and cannot be deleted.")
            drop_rows(s, image_id)

        self.deps.db.write(work)
        discard_bytes((self.deps.store, self.deps.staging), image_id)

    # --- update -----------------------------------------------------------------------
    def update(self, ctx: RequestContext, image_id: str, ops: list[patch.Op]
               ) -> dict[str, Any]:
        def work(s: Session) -> dict[str, Any]:
            row = visible_image(s, self.deps, ctx, image_id, lock=True)
            self.deps.enforce("image:modify_image", ctx, row)
            old = editable(row, properties_of(s, [row.id])[row.id], tags_of(s, [row.id])[row.id])
            new = patch.apply(old, ops)
            new["tags"] = list(dict.fromkeys(new["tags"]))
            _check_counts(new)
            if new["owner"] != old["owner"] and not self.deps.is_admin(ctx):
                raise Forbidden("Only an administrator may change the owner of an image.")
            self._check_visibility(ctx, new["owner"], old["visibility"], new["visibility"])
            _save(s, row, old, new, utcnow())
            return render_one(s, row)

        return self.deps.db.write(work)

    def _check_visibility(self, ctx: RequestContext, owner: str | None, old: str | None,
                          new: str) -> None:
        if new == old:
            return
        if new == "public":
            self.deps.policy.enforce("image:publicize_image", ctx, {"owner": owner})
        elif new == "community":
            self.deps.policy.enforce("image:communitize_image", ctx, {"owner": owner})

    # --- tags ---------------------------------------------------------------------------
    def add_tag(self, ctx: RequestContext, image_id: str, tag: str) -> None:
        if not tag or len(tag) > 255:
            raise BadRequest("Tags must be between 1 and 255 characters long.")

        def work(s: Session) -> None:
            row = visible_image(s, self.deps, ctx, image_id, lock=True)
            self.deps.enforce("image:modify_image", ctx, row)
            if s.get(m.ImageTag, (image_id, tag)) is not None:
                return
            count = s.scalar(sa.select(sa.func.count()).select_from(m.ImageTag)
                             .where(m.ImageTag.image_id == image_id)) or 0
            if count >= MAX_TAGS:
                raise PayloadTooLarge(f"Maximum number of tags exceeded ({MAX_TAGS}).")
            s.add(m.ImageTag(image_id=image_id, value=tag))
            row.updated_at = utcnow()

        self.deps.db.write(work)

    def delete_tag(self, ctx: RequestContext, image_id: str, tag: str) -> None:
        def work(s: Session) -> None:
            row = visible_image(s, self.deps, ctx, image_id, lock=True)
            self.deps.enforce("image:modify_image", ctx, row)
            found = s.get(m.ImageTag, (image_id, tag))
            if found is None:
                raise NotFound(f"Tag {tag} not found.")
            s.delete(found)
            row.updated_at = utcnow()

        self.deps.db.write(work)

    # --- actions ------------------------------------------------------------------------
    def deactivate(self, ctx: RequestContext, image_id: str) -> None:
        self._toggle(ctx, image_id, "image:deactivate", states.ACTIVE, states.DEACTIVATED,
                     "deactivate")

    def reactivate(self, ctx: RequestContext, image_id: str) -> None:
        self._toggle(ctx, image_id, "image:reactivate", states.DEACTIVATED, states.ACTIVE,
                     "reactivate")

    def _toggle(self, ctx: RequestContext, image_id: str, rule: str, src: str, dst: str,
                verb: str) -> None:
        def work(s: Session) -> None:
            row = visible_image(s, self.deps, ctx, image_id, lock=True)
            self.deps.enforce(rule, ctx, row)
            if row.status == dst:
                return
            if row.status != src:
                raise Forbidden(f"Not allowed to {verb} image in status '{row.status}'")
            row.status = dst
            row.updated_at = utcnow()

        self.deps.db.write(work)


def _check_counts(doc: dict[str, Any]) -> None:
    if len(doc["tags"]) > MAX_TAGS:
        raise PayloadTooLarge(f"Maximum number of tags exceeded ({MAX_TAGS}).")
    custom = [k for k in doc if k not in schemas.SETTABLE]
    if len(custom) > MAX_PROPERTIES:
        raise PayloadTooLarge(f"Maximum number of image properties exceeded "
                              f"({MAX_PROPERTIES}).")


def _save(s: Session, row: m.Image, old: dict[str, Any], new: dict[str, Any],
          now: datetime) -> None:
    for column in _CORE_COLUMNS:
        if new[column] != getattr(row, column):
            setattr(row, column, new[column])
    if sorted(new["tags"]) != old["tags"]:
        s.execute(sa.delete(m.ImageTag).where(m.ImageTag.image_id == row.id))
        s.flush()
        for tag in new["tags"]:
            s.add(m.ImageTag(image_id=row.id, value=tag))
    settable = set(schemas.SETTABLE)
    changes: dict[str, str | None] = {k: v for k, v in new.items()
                                      if k not in settable and old.get(k) != v}
    changes.update({k: None for k in old if k not in settable and k not in new})
    set_properties(s, row.id, changes)
    row.updated_at = now

"""Tasks: the record of each import (``GET /v2/images/{id}/tasks``) and the admin-only
``/v2/tasks`` resource. Creating a legacy ``import`` task would fetch an image from a URL,
which this cloud does not do; such requests are refused up front (as current Glance does
for URIs that fail its filtering)."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.context import RequestContext
from onestack.core.errors import BadRequest, NotFound
from onestack.image import models as m
from onestack.image import views
from onestack.image.service.common import Deps, is_uuid, visible_image


class Tasks:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    def for_image(self, ctx: RequestContext, image_id: str) -> list[dict[str, Any]]:
        def work(s: Session) -> list[dict[str, Any]]:
            row = visible_image(s, self.deps, ctx, image_id)
            self.deps.enforce("image:get_image_tasks", ctx, row)
            return [views.task(t) for t in s.scalars(
                sa.select(m.Task).where(m.Task.image_id == image_id)
                .order_by(m.Task.created_at, m.Task.id))]

        return self.deps.db.read(work)

    def create(self, ctx: RequestContext, body: Any) -> dict[str, Any]:
        self.deps.policy.enforce("image:tasks_api_access", ctx, {})
        if not isinstance(body, dict) or not isinstance(body.get("input"), dict):
            raise BadRequest("A task needs a 'type' and an 'input' object.")
        kind = body.get("type")
        if kind != "import":
            raise BadRequest(f"Invalid type value: {kind}")
        source = body["input"].get("import_from")
        raise BadRequest(f"Import from URI {source!r} does not pass filtering: this cloud "
                         "does not download images; stage the data and use the "
                         "glance-direct import method instead.")

    def list(self, ctx: RequestContext, filters: dict[str, str], limit: int
             ) -> list[dict[str, Any]]:
        self.deps.policy.enforce("image:tasks_api_access", ctx, {})

        def work(s: Session) -> list[dict[str, Any]]:
            q = sa.select(m.Task)
            for key in ("type", "status"):
                if filters.get(key):
                    q = q.where(getattr(m.Task, key) == filters[key])
            q = q.order_by(m.Task.created_at.desc(), m.Task.id).limit(limit)
            return [views.task(t) for t in s.scalars(q)]

        return self.deps.db.read(work)

    def show(self, ctx: RequestContext, task_id: str) -> dict[str, Any]:
        self.deps.policy.enforce("image:tasks_api_access", ctx, {})

        def work(s: Session) -> dict[str, Any]:
            task = s.get(m.Task, task_id) if is_uuid(task_id) else None
            if task is None:
                raise NotFound(f"Task with the given id {task_id} was not found.")
            return views.task(task)

        return self.deps.db.read(work)

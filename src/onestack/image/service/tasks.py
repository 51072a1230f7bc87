"""Tasks: the record of each import (``GET /v2/images/{id}/tasks``) and the admin-only
``/v2/tasks`` resource. A legacy ``import`` task is accepted (201, ``pending``) and run
afterwards, as Glance does: it makes the image from ``image_properties`` and fetches
``import_from`` through the ``web-download`` path — allowed hosts, size cap, format
inspection — and fails with a message when the URI is refused or unreachable."""
from __future__ import annotations

import functools
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.context import RequestContext
from onestack.core.db import utcnow
from onestack.core.errors import BadRequest, NotFound, OpenStackError
from onestack.image import models as m
from onestack.image import states, views
from onestack.image.service.common import Deps, is_uuid, visible_image


class Tasks:
    def __init__(self, deps: Deps, images: Any = None, data: Any = None) -> None:
        self.deps = deps
        self.images = images  # ImageService and ImageData, for legacy import tasks
        self.data = data

    def for_image(self, ctx: RequestContext, image_id: str) -> list[dict[str, Any]]:
        def work(s: Session) -> list[dict[str, Any]]:
            row = visible_image(s, self.deps, ctx, image_id)
            self.deps.enforce("image:get_image_tasks", ctx, row)
            return [views.task(t) for t in s.scalars(
                sa.select(m.Task).where(m.Task.image_id == image_id)
                .order_by(m.Task.created_at, m.Task.id))]

        return self.deps.db.read(work)

    def create(self, ctx: RequestContext, body: Any) -> dict[str, Any]:
        """Record a legacy ``import`` task (pending) and run it after answering."""
        self.deps.policy.enforce("image:tasks_api_access", ctx, {})
        task_input = _import_input(body)
        task_id, now = str(uuid.uuid4()), utcnow()

        def work(s: Session) -> dict[str, Any]:
            row = m.Task(id=task_id, type="import", status=states.TASK_PENDING,
                         owner=ctx.project_id or None, image_id=None,
                         request_id=ctx.request_id, user_id=ctx.user_id, input=task_input,
                         result=None, message="", created_at=now, updated_at=now)
            s.add(row)
            s.flush()
            return views.task(row)

        shown = self.deps.db.write(work)
        self.deps.run_later(functools.partial(self._run_import, ctx, task_id, task_input))
        return shown

    def _run_import(self, ctx: RequestContext, task_id: str, task_input: dict[str, Any]
                    ) -> None:
        uri = task_input["import_from"]
        self._set(task_id, states.TASK_PROCESSING, "", None)
        reason = self.deps.web.refusal(uri)
        if reason:
            self._set(task_id, states.TASK_FAILURE, reason, None)
            return
        try:
            image = self.images.create(ctx, task_input["image_properties"])
            self._set(task_id, states.TASK_PROCESSING, "", None, image["id"])
            self.data.import_image(ctx, image["id"], {"method": {
                "name": "web-download", "uri": uri}}, wait=True)
            shown = self.images.show(ctx, image["id"])
        except Exception as exc:  # noqa: BLE001 - whatever went wrong fails the task
            why = exc.message if isinstance(exc, OpenStackError) else str(exc)
            self._set(task_id, states.TASK_FAILURE, why or type(exc).__name__, None)
            return
        if shown["status"] == states.ACTIVE:
            self._set(task_id, states.TASK_SUCCESS, "", {"image_id": image["id"]})
        else:
            failed = self.for_image(ctx, image["id"])
            why = failed[-1]["message"] if failed else "The import did not complete."
            self._set(task_id, states.TASK_FAILURE, why, None)

    def _set(self, task_id: str, status: str, message: str, result: dict | None,
             image_id: str | None = None) -> None:
        def work(s: Session) -> None:
            task = s.get(m.Task, task_id)
            if task is None:
                return
            task.status, task.message, task.result = status, message, result
            if image_id:
                task.image_id = image_id
            task.updated_at = utcnow()

        self.deps.db.write(work)

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


def _import_input(body: Any) -> dict[str, Any]:
    """The ``input`` of an ``import`` task, or 400."""
    if not isinstance(body, dict) or not isinstance(body.get("input"), dict):
        raise BadRequest("A task needs a 'type' and an 'input' object.")
    kind = body.get("type")
    if kind != "import":
        raise BadRequest(f"Invalid type value: {kind}")
    task_input = body["input"]
    missing = [k for k in ("import_from", "import_from_format", "image_properties")
               if k not in task_input]
    if missing:
        raise BadRequest(f"Input does not contain '{missing[0]}' field")
    if not isinstance(task_input["import_from"], str) or \
            not isinstance(task_input["image_properties"], dict):
        raise BadRequest("'import_from' must be a URI and 'image_properties' an object.")
    return task_input

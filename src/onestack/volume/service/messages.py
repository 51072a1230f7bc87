"""User messages (Cinder's ``/messages``, 3.3+): what went wrong with an asynchronous
request, written by whoever saw it fail (the scheduler finding no backend, the agent
failing a create) and read by the project that asked.

``record`` is the one writer; other areas call it in the transaction that moves the
resource to ``error``. ``Action`` and ``Detail`` hold Cinder's event codes and texts
(``cinder/message/message_field.py``): the event id is
``VOLUME_<resource type>_<action id>_<detail id>`` and the user message
``"<action text>:<detail text>"`` (no space), as Cinder shows them.
"""
from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.db import utcnow
from onestack.core.errors import NotFound
from onestack.volume.models.messages import Message

TTL = timedelta(days=30)  # Cinder's message_ttl (2592000 s)


class Resource:
    VOLUME = "VOLUME"
    VOLUME_SNAPSHOT = "VOLUME_SNAPSHOT"
    VOLUME_BACKUP = "VOLUME_BACKUP"


class Action:
    SCHEDULE_ALLOCATE_VOLUME = ("001", "schedule allocate volume")
    ATTACH_VOLUME = ("002", "attach volume")
    COPY_VOLUME_TO_IMAGE = ("003", "copy volume to image")
    UPDATE_ATTACHMENT = ("004", "update attachment")
    COPY_IMAGE_TO_VOLUME = ("005", "copy image to volume")
    UNMANAGE_VOLUME = ("006", "unmanage volume")
    EXTEND_VOLUME = ("007", "extend volume")
    CREATE_VOLUME_FROM_BACKEND = ("008", "create volume from backend storage")
    SNAPSHOT_CREATE = ("009", "create snapshot")
    SNAPSHOT_DELETE = ("010", "delete snapshot")
    SNAPSHOT_UPDATE = ("011", "update snapshot")
    SNAPSHOT_METADATA_UPDATE = ("012", "update snapshot metadata")
    BACKUP_CREATE = ("013", "create backup")
    BACKUP_DELETE = ("014", "delete backup")
    BACKUP_RESTORE = ("015", "restore backup")
    REIMAGE_VOLUME = ("016", "reimage volume")


class Detail:
    UNKNOWN_ERROR = ("001", "An unknown error occurred.")
    DRIVER_NOT_INITIALIZED = ("002", "Driver is not initialized at present.")
    NO_BACKEND_AVAILABLE = ("003", "Could not find any available weighted backend.")
    FAILED_TO_UPLOAD_VOLUME = ("004", "Failed to upload volume to image at backend.")
    VOLUME_ATTACH_MODE_INVALID = ("005", "Volume's attach mode is invalid.")
    QUOTA_EXCEED = ("006", "Not enough quota resource for operation.")
    NOT_ENOUGH_SPACE_FOR_IMAGE = ("007", "Image used for creating volume exceeds "
                                         "available space.")
    DRIVER_FAILED_EXTEND = ("010", "Volume Driver failed to extend volume.")
    DRIVER_FAILED_CREATE = ("012", "Driver failed to create the volume.")
    SNAPSHOT_CREATE_ERROR = ("013", "Snapshot failed to create.")
    SNAPSHOT_IS_BUSY = ("015", "Snapshot is busy.")
    SNAPSHOT_DELETE_ERROR = ("016", "Snapshot failed to delete.")
    BACKUP_INVALID_STATE = ("017", "Backup status is invalid.")
    BACKUP_SERVICE_DOWN = ("018", "Backup service is down.")
    BACKUP_CREATE_DRIVER_ERROR = ("020", "Backup driver failed to create backup.")
    ATTACH_ERROR = ("021", "Failed to attach volume.")
    DETACH_ERROR = ("022", "Failed to detach volume.")
    BACKUP_DELETE_DRIVER_ERROR = ("025", "Backup driver failed to delete backup.")
    BACKUP_RESTORE_ERROR = ("026", "Backup driver failed to restore backup.")
    VOLUME_INVALID_STATE = ("027", "Volume status is invalid.")


Code = tuple[str, str]


def make_event_id(resource_type: str, action: Code, detail: Code) -> str:
    return f"VOLUME_{resource_type}_{action[0]}_{detail[0]}"


def record(s: Session, project_id: str, resource_type: str, resource_id: str | None,
           event_id: str | None, message: str | Code, action: str | Code | None = None,
           *, request_id: str | None = None, level: str = "ERROR") -> str:
    """Add a user message for ``project_id`` in ``s``'s transaction; returns its id.

    ``resource_type`` is ``Resource.VOLUME`` / ``VOLUME_SNAPSHOT`` / ``VOLUME_BACKUP``;
    ``message`` a ``Detail`` pair (or plain text), ``action`` an ``Action`` pair (or the
    action's text). With both as pairs and ``event_id`` None, the event id is Cinder's
    ``VOLUME_<type>_<action>_<detail>``. The user message reads
    ``"<action>:<message>"`` (just the message without an action).
    """
    text = message[1] if isinstance(message, tuple) else str(message)
    action_text = action[1] if isinstance(action, tuple) else action
    if event_id is None:
        act = action if isinstance(action, tuple) else Action.SCHEDULE_ALLOCATE_VOLUME
        det = message if isinstance(message, tuple) else Detail.UNKNOWN_ERROR
        event_id = make_event_id(resource_type, act, det)
    now = utcnow()
    ident = str(uuid.uuid4())
    s.add(Message(id=ident, project_id=project_id,
                  request_id=request_id or f"req-{uuid.uuid4()}",
                  resource_type=resource_type, resource_uuid=resource_id,
                  event_id=event_id, message_level=level,
                  user_message=f"{action_text}:{text}" if action_text else text,
                  created_at=now, expires_at=now + TTL))
    return ident


# --- reading (the /messages API) -------------------------------------------------------------
SORT_KEYS = ("id", "event_id", "resource_type", "resource_uuid", "message_level",
             "created_at", "expires_at", "request_id")
FILTERS = ("event_id", "resource_type", "resource_uuid", "message_level", "request_id")


class Messages:
    """List, show and delete the caller's project's messages (admins: any project's;
    ``all_tenants`` lists every project's). A message past ``guaranteed_until`` may go:
    listing removes the expired ones first, as Cinder's periodic cleanup would."""

    def __init__(self, platform: Any) -> None:
        self.db = platform.db
        self.policy = platform.policy

    def _is_admin(self, ctx: Any) -> bool:
        return self.policy.allowed("volume:context_is_admin", ctx, {})

    def _visible(self, s: Session, ctx: Any, message_id: str) -> Message:
        row = s.get(Message, message_id)
        if row is None or (row.project_id != ctx.project_id and not self._is_admin(ctx)):
            raise NotFound(f"Message {message_id} could not be found.")
        return row

    def show(self, ctx: Any, message_id: str) -> Message:
        def work(s: Session) -> Message:
            row = self._visible(s, ctx, message_id)
            self.policy.enforce("message:get", ctx, {"project_id": row.project_id})
            return row
        return self.db.read(work)

    def delete(self, ctx: Any, message_id: str) -> None:
        def work(s: Session) -> None:
            row = self._visible(s, ctx, message_id)
            self.policy.enforce("message:delete", ctx, {"project_id": row.project_id})
            s.delete(row)
        self.db.write(work)

    def list(self, ctx: Any, *, filters: dict[str, str], all_tenants: bool = False,
             limit: int | None = None, marker: str | None = None,
             sort: list[tuple[str, str]] | None = None) -> list[Message]:
        self.policy.enforce("message:get_all", ctx, {"project_id": ctx.project_id})
        self.db.write(lambda s: s.execute(sa.delete(Message).where(
            Message.expires_at < utcnow())))

        def work(s: Session) -> list[Message]:
            stmt = sa.select(Message)
            if not (all_tenants and self._is_admin(ctx)):
                stmt = stmt.where(Message.project_id == ctx.project_id)
            for key, value in filters.items():
                stmt = stmt.where(getattr(Message, key) == value)
            order = sort or [("created_at", "desc")]
            if marker is not None:
                anchor = s.get(Message, marker)
                if anchor is None or (anchor.project_id != ctx.project_id
                                      and not self._is_admin(ctx)):
                    raise NotFound(f"Marker {marker} could not be found.")
                stmt = stmt.where(_after(anchor, order))
            cols = [getattr(getattr(Message, k), d)() for k, d in order]
            if "id" not in [k for k, _ in order]:
                cols.append(getattr(Message.id, order[0][1])())
            stmt = stmt.order_by(*cols)
            if limit is not None:
                stmt = stmt.limit(limit)
            return list(s.scalars(stmt))
        return self.db.read(work)


def _after(anchor: Message, order: list[tuple[str, str]]) -> Any:
    """Rows after ``anchor`` in ``order`` (ties broken by id in the first key's direction)."""
    keys = list(order)
    if "id" not in [k for k, _ in keys]:
        keys.append(("id", order[0][1]))
    clauses = []
    for i, (key, direction) in enumerate(keys):
        col = getattr(Message, key)
        value = getattr(anchor, key)
        earlier = [getattr(Message, k) == getattr(anchor, k) for k, _ in keys[:i]]
        step = col > value if direction == "asc" else col < value
        clauses.append(sa.and_(*earlier, step))
    return sa.or_(*clauses)

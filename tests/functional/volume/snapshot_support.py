"""Arranging rows for the snapshot, transfer and group tests without a volume agent: a
volume row written as the agent would leave it, a snapshot moved on as the agent would."""
from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa

from onestack.core.db import utcnow
from tests.functional.volume.conftest import BACKEND, VolApi
from tests.support.api import assert_status
from tests.support.identity import unique


def volume_row(vol: VolApi, project_id: str, *, status: str = "available", size: int = 1,
               user_id: str = "", **columns: Any) -> str:
    """An existing volume of ``project_id`` on the test backend (of the default type)."""
    from onestack.volume.models.types import VolumeType
    from onestack.volume.models.volumes import Volume

    ident = str(uuid.uuid4())

    def work(s: Any) -> None:
        type_id = s.scalar(sa.select(VolumeType.id).where(VolumeType.name == "__DEFAULT__"))
        s.add(Volume(id=ident, project_id=project_id, user_id=user_id, name=unique("vol"),
                     size=size, status=status, host=BACKEND, volume_type_id=type_id,
                     availability_zone="nova", created_at=utcnow(), **columns))
    vol.db.write(work)
    return ident


def volume_columns(vol: VolApi, volume_id: str) -> dict[str, Any] | None:
    from onestack.volume.models.volumes import Volume

    def work(s: Any) -> dict[str, Any] | None:
        row = s.get(Volume, volume_id)
        return None if row is None else {"status": row.status, "project_id": row.project_id,
                                         "user_id": row.user_id, "size": row.size}
    return vol.db.read(work)


def set_snapshot(vol: VolApi, snapshot_id: str, **columns: Any) -> None:
    from onestack.volume.models.snapshots import Snapshot

    vol.db.write(lambda s: s.execute(sa.update(Snapshot).where(Snapshot.id == snapshot_id)
                                     .values(**columns)))


def snapshot(vol: VolApi, volume_id: str, token: str | None = None, settle: bool = True,
             **attrs: Any) -> dict[str, Any]:
    """A snapshot made through the API, moved to ``available`` as the agent would."""
    attrs.setdefault("name", unique("snap"))
    body = assert_status(vol.post("/snapshots", token, json={"snapshot": {
        "volume_id": volume_id, **attrs}}), 202)["snapshot"]
    if settle:
        set_snapshot(vol, body["id"], status="available", progress="100%")
        body["status"] = "available"
    return body


def usage(vol: VolApi, project_id: str) -> dict[str, int]:
    from onestack.volume.service import quotas

    return vol.db.read(lambda s: quotas.usage(s, project_id))

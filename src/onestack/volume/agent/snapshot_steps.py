"""The volume agent's steps for snapshots: ``creating`` → the driver's point-in-time copy
→ ``available`` (progress ``100%``, ``provider_location``), a failure → ``error`` + a
user message; ``deleting`` → the driver's delete, then the quota the snapshot held given
back and its rows gone, a failure → ``error_deleting`` + a user message; ``managing``
(admin manage) → the bytes ``provider_location`` names adopted → ``available``."""
from __future__ import annotations

import logging
from types import SimpleNamespace
from typing import Any, Callable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.volume import states as st
from onestack.volume.models.snapshots import Snapshot, SnapshotMetadata

log = logging.getLogger(__name__)
MANAGING = "managing"
SNAPSHOT_STATUSES = (st.CREATING, st.DELETING, MANAGING)  # what the agent acts on


class SnapshotSteps:
    db: Any
    driver: Any
    _move: Callable[..., bool]
    _message: Callable[..., None]

    def create_snapshot(self, snap: SimpleNamespace) -> None:
        try:
            location = self.driver.create_snapshot(snap.id, snap.volume_id)
        except Exception as exc:  # noqa: BLE001 - whatever the backend says ends in error
            log.warning("snapshot %s: create failed: %s", snap.id, exc)
            self._fail_snapshot(snap, st.ERROR, "SNAPSHOT_CREATE", "SNAPSHOT_CREATE_ERROR")
            return
        self.db.write(lambda s: self._move(s, Snapshot, snap.id, st.CREATING,
                                           status=st.AVAILABLE, progress="100%",
                                           provider_location=location))

    def manage_snapshot(self, snap: SimpleNamespace) -> None:
        """``managing`` (admin manage): adopt the bytes ``provider_location`` names."""
        try:
            location = self.driver.manage_existing_snapshot(snap.id,
                                                            snap.provider_location or "")
        except Exception as exc:  # noqa: BLE001
            log.warning("snapshot %s: manage failed: %s", snap.id, exc)
            self._fail_snapshot(snap, st.ERROR, "SNAPSHOT_CREATE", "SNAPSHOT_CREATE_ERROR")
            return
        self.db.write(lambda s: self._move(s, Snapshot, snap.id, MANAGING,
                                           status=st.AVAILABLE, progress="100%",
                                           provider_location=location))

    def delete_snapshot(self, snap: SimpleNamespace) -> None:
        try:
            self.driver.delete_snapshot(snap.id)
        except Exception as exc:  # noqa: BLE001
            log.warning("snapshot %s: delete failed: %s", snap.id, exc)
            self._fail_snapshot(snap, st.ERROR_DELETING, "SNAPSHOT_DELETE",
                                "SNAPSHOT_DELETE_ERROR")
            return

        def finish(s: Session) -> None:
            row = s.scalar(sa.select(Snapshot).where(Snapshot.id == snap.id,
                                                     Snapshot.status == st.DELETING)
                           .with_for_update())
            if row is None:
                return
            from onestack.volume.service.snapshots import release_quota

            release_quota(s, row)
            s.execute(sa.delete(SnapshotMetadata).where(SnapshotMetadata.snapshot_id == row.id))
            s.delete(row)
        self.db.write(finish)

    def _fail_snapshot(self, snap: SimpleNamespace, status: str, action: str,
                       detail: str) -> None:
        def work(s: Session) -> None:
            if self._move(s, Snapshot, snap.id, snap.status, status=status):
                self._message(s, snap.project_id, "VOLUME_SNAPSHOT", snap.id, action,
                              detail)
        self.db.write(work)

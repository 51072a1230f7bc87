"""Manage and unmanage (admin): hand a volume or snapshot's bytes over to, or take them
back from, the backend without touching them.

Unmanage drops the row (its quota and, for a volume, the backend's allocated capacity
given back) and leaves the bytes where the driver keeps them (the file backend:
``volume-<id>`` / ``snapshot-<id>``), so a later manage can adopt them.

Manage writes a row in ``managing`` on the named backend with ``provider_location`` = the
reference's ``source-name`` (or ``source-id``) and wakes the backend's agent, whose
``managing`` step adopts those bytes under the new id, sets the size the bytes have
(a volume's quota ``gigabytes`` and the backend's capacity are charged then) and moves the
row to ``available`` (``error_managing`` when the bytes are not there). The volume quota
count (``volumes`` / ``snapshots``) is charged here, in the request's transaction.
"""
from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.context import RequestContext
from onestack.core.db import utcnow
from onestack.core.errors import BadRequest
from onestack.core.platform import Platform
from onestack.volume import states
from onestack.volume.models.backends import Backend
from onestack.volume.models.snapshots import Snapshot, SnapshotMetadata
from onestack.volume.models.volumes import Volume, VolumeAdminMetadata, VolumeMetadata
from onestack.volume.service.snapshots import SnapshotService, release_quota, type_name
from onestack.volume.wake import wake

MANAGING = "managing"  # the row waits for its agent to adopt the bytes
ERROR_MANAGING = "error_managing"
UNMANAGEABLE_VOLUME = (states.AVAILABLE, states.ERROR, ERROR_MANAGING)
UNMANAGEABLE_SNAPSHOT = (states.AVAILABLE, states.ERROR)


def source_name(ref: Any) -> str:
    """The reference a driver finds existing bytes by (``{"source-name": …}`` or
    ``{"source-id": …}``); 400 for anything else."""
    if not isinstance(ref, dict) or not ref:
        raise BadRequest("Manage existing requires a 'ref' object naming the existing "
                         "storage object.")
    for key in ("source-name", "source-id"):
        value = ref.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    raise BadRequest("Manage existing volume failed due to invalid backend reference "
                     f"{ref}: a 'source-name' or 'source-id' is required.")


def find_backend(s: Session, host: Any) -> Backend:
    """A backend named ``host@backend#pool``, or the one pool of ``host@backend``."""
    if not isinstance(host, str) or not host.strip():
        raise BadRequest("Invalid input for field/attribute host: 'host' is a required "
                         "property")
    row = s.get(Backend, host)
    if row is None:
        row = s.scalar(sa.select(Backend).where(Backend.name.like(f"{host}#%"))
                       .order_by(Backend.name).limit(1))
    if row is None:
        raise BadRequest(f"Invalid input received: Service {host} not found.")
    return row


class ManageService:
    def __init__(self, platform: Platform):
        self.platform = platform
        self.db = platform.db
        self.snapshots = SnapshotService(platform)

    def enforce(self, rule: str, ctx: RequestContext, project_id: str) -> None:
        self.platform.policy.enforce(rule, ctx, {"project_id": project_id})

    # --- unmanage -------------------------------------------------------------------
    def unmanage_volume(self, ctx: RequestContext, volume_id: str) -> None:
        from onestack.volume.service import quotas
        from onestack.volume.service.scheduler import release

        def work(s: Session) -> None:
            row = self.snapshots.volumes.visible_volume(s, ctx, volume_id, lock=True)
            self.enforce("volume_extension:volume_unmanage", ctx, row.project_id)
            if row.status not in UNMANAGEABLE_VOLUME or row.attach_status == \
                    states.ATTACHED:
                raise BadRequest(f"Invalid volume: Volume {row.id} status must be "
                                 f"available or error, but current status is: "
                                 f"{row.status}.")
            if row.migration_status not in (None, "", "success", "error"):
                raise BadRequest("Invalid volume: Volume cannot be unmanaged while "
                                 "migrating.")
            if row.group_id:
                raise BadRequest(f"Invalid volume: Volume {row.id} is in a group; remove "
                                 "it from the group first.")
            if s.scalar(sa.select(Snapshot.id).where(Snapshot.volume_id == row.id)
                        .limit(1)) is not None:
                raise BadRequest(f"Invalid volume: Volume {row.id} has snapshots and "
                                 "cannot be unmanaged.")
            if row.use_quota:
                quotas.charge(s, row.project_id, {"volumes": -1, "gigabytes": -row.size},
                              volume_type_name=type_name(s, row.volume_type_id))
            release(s, row.host, row.size)
            for model in (VolumeMetadata, VolumeAdminMetadata):
                s.execute(sa.delete(model).where(model.volume_id == row.id))
            s.delete(row)
        self.db.write(work)

    def unmanage_snapshot(self, ctx: RequestContext, snapshot_id: str) -> None:
        def work(s: Session) -> None:
            row = self.snapshots.visible(s, ctx, snapshot_id, lock=True)
            self.enforce("snapshot_extension:snapshot_unmanage", ctx, row.project_id)
            if row.status not in UNMANAGEABLE_SNAPSHOT:
                raise BadRequest(f"Invalid snapshot: Snapshot {row.id} status must be "
                                 f"available or error, but current status is: "
                                 f"{row.status}.")
            if row.group_snapshot_id:
                raise BadRequest(f"Invalid snapshot: Snapshot {row.id} is part of a group "
                                 "snapshot.")
            release_quota(s, row)
            s.execute(sa.delete(SnapshotMetadata).where(
                SnapshotMetadata.snapshot_id == row.id))
            s.delete(row)
        self.db.write(work)

    # --- manage ---------------------------------------------------------------------
    def manage_volume(self, ctx: RequestContext, *, host: Any, ref: Any,
                      name: str | None, description: str | None, volume_type: Any,
                      availability_zone: str | None, metadata: dict[str, str],
                      bootable: bool, who: Any = None) -> dict[str, Any]:
        """The new ``managing`` volume as ``who`` (the request) sees it."""
        from onestack.volume.service import quotas
        from onestack.volume.service.types import default_type, resolve_type

        self.enforce("volume_extension:volume_manage", ctx, ctx.project_id)
        location = source_name(ref)

        def work(s: Session) -> Volume:
            backend = find_backend(s, host)
            vtype = (resolve_type(s, ctx, volume_type) if volume_type
                     else default_type(s, ctx.project_id))
            zone = availability_zone or backend.availability_zone
            if zone != backend.availability_zone:
                raise BadRequest(f"Invalid input received: Availability zone '{zone}' is "
                                 f"not that of backend {backend.name}.")
            quotas.charge(s, ctx.project_id, {"volumes": 1}, volume_type_name=vtype.name)
            row = Volume(id=str(uuid.uuid4()), project_id=ctx.project_id,
                         user_id=ctx.user_id or "", name=name, description=description,
                         size=0, status=MANAGING, attach_status=states.DETACHED,
                         availability_zone=zone, host=backend.name,
                         volume_type_id=vtype.id, bootable=bootable,
                         provider_location=location, use_quota=True, created_at=utcnow())
            s.add(row)
            s.flush()
            for key, value in metadata.items():
                s.add(VolumeMetadata(volume_id=row.id, key=key, value=value))
            return row

        row = self.db.write(work)
        wake(self.platform.bus, row.host, row.id)
        volumes = self.snapshots.volumes
        return self.db.read(lambda s: volumes.render(s, who or ctx, [row])[0])

    def manage_snapshot(self, ctx: RequestContext, *, volume_id: Any, ref: Any,
                        name: str | None, description: str | None,
                        metadata: dict[str, str]) -> Snapshot:
        from onestack.volume.service import quotas

        location = source_name(ref)

        def work(s: Session) -> Snapshot:
            volume = self.snapshots.volumes.visible_volume(s, ctx, volume_id, lock=True)
            self.enforce("snapshot_extension:snapshot_manage", ctx, volume.project_id)
            if volume.status not in (states.AVAILABLE, states.IN_USE):
                raise BadRequest(f"Invalid volume: Volume {volume.id} status must be "
                                 f"available or in-use, but current status is: "
                                 f"{volume.status}.")
            quotas.charge(s, volume.project_id, {"snapshots": 1, "gigabytes": volume.size},
                          volume_type_name=type_name(s, volume.volume_type_id))
            row = Snapshot(id=str(uuid.uuid4()), volume_id=volume.id,
                           project_id=volume.project_id, user_id=ctx.user_id or "",
                           name=name, description=description, status=MANAGING,
                           progress="0%", size=volume.size, host=volume.host or "",
                           volume_type_id=volume.volume_type_id,
                           provider_location=location, use_quota=True, created_at=utcnow())
            s.add(row)
            s.flush()
            for key, value in metadata.items():
                s.add(SnapshotMetadata(snapshot_id=row.id, key=key, value=value))
            return row

        row = self.db.write(work)
        wake(self.platform.bus, row.host, row.id)
        return row

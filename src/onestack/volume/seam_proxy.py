"""The volume half of Nova's pre-2.36 proxies (``os-volumes``, ``os-snapshots``), reached
by compute as ``VolumeSeam.proxy``: the caller's own volumes and snapshots, created and
deleted through the volume service's use cases (quota, policy, the agent's wake-up), and
returned as plain dicts in Nova's proxy shapes (``displayName``, ``createdAt``, …)."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.context import RequestContext
from onestack.core.errors import NotFound
from onestack.volume.models.snapshots import Snapshot
from onestack.volume.models.types import VolumeType
from onestack.volume.models.volumes import Attachment, Volume, VolumeMetadata


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


class NovaProxy:
    def __init__(self, seam: Any) -> None:
        self.seam = seam

    @property
    def db(self) -> Any:
        return self.seam.platform.db

    # --- volumes ------------------------------------------------------------------------
    def _volume_view(self, s: Session, vol: Volume) -> dict[str, Any]:
        attachments = [{"id": vol.id, "volumeId": vol.id, "serverId": a.instance_uuid,
                        "device": a.mountpoint}
                       for a in s.scalars(sa.select(Attachment).where(
                           Attachment.volume_id == vol.id,
                           Attachment.attach_status == "attached"))
                       if a.instance_uuid and a.mountpoint]
        type_name = s.scalar(sa.select(VolumeType.name).where(
            VolumeType.id == vol.volume_type_id)) if vol.volume_type_id else None
        meta = {m.key: m.value for m in s.scalars(sa.select(VolumeMetadata).where(
            VolumeMetadata.volume_id == vol.id))}
        return {"id": vol.id, "status": vol.status, "size": vol.size,
                "availabilityZone": vol.availability_zone or "",
                "createdAt": _iso(vol.created_at), "attachments": attachments or [{}],
                "displayName": vol.name, "displayDescription": vol.description,
                "volumeType": type_name, "snapshotId": vol.snapshot_id, "metadata": meta}

    def list_volumes(self, ctx: RequestContext) -> list[dict[str, Any]]:
        def work(s: Session) -> list[dict[str, Any]]:
            rows = s.scalars(sa.select(Volume).where(
                Volume.project_id == ctx.project_id, Volume.status != "deleted")
                .order_by(Volume.created_at.desc(), Volume.id.desc()))
            return [self._volume_view(s, v) for v in rows]
        return self.db.read(work)

    def show_volume(self, ctx: RequestContext, volume_id: str) -> dict[str, Any]:
        def work(s: Session) -> dict[str, Any]:
            return self._volume_view(s, self.seam.volumes.visible_volume(s, ctx, volume_id))
        return self.db.read(work)

    def create_volume(self, ctx: RequestContext, size: int, *, name: str | None,
                      description: str | None, volume_type: str | None,
                      metadata: dict[str, str], availability_zone: str | None,
                      snapshot_id: str | None, image_id: str | None) -> dict[str, Any]:
        from onestack.volume.service.volume_input import CreateRequest

        req = CreateRequest(name=name, description=description, size=size,
                            availability_zone=availability_zone, volume_type=volume_type,
                            metadata=dict(metadata), snapshot_id=snapshot_id,
                            image_ref=image_id)
        created = self.seam.volumes.create(ctx, req)
        return self.show_volume(ctx, created.volume.id)

    def delete_volume(self, ctx: RequestContext, volume_id: str) -> None:
        self.seam.volumes.delete(ctx, volume_id)

    # --- snapshots ----------------------------------------------------------------------
    @staticmethod
    def _snapshot_view(row: Snapshot) -> dict[str, Any]:
        return {"id": row.id, "volumeId": row.volume_id, "status": row.status,
                "size": row.size, "createdAt": _iso(row.created_at),
                "displayName": row.name, "displayDescription": row.description}

    def _snapshots(self) -> Any:
        from onestack.volume.service.snapshots import SnapshotService

        return SnapshotService(self.seam.platform)

    def list_snapshots(self, ctx: RequestContext) -> list[dict[str, Any]]:
        def work(s: Session) -> list[dict[str, Any]]:
            rows = s.scalars(sa.select(Snapshot).where(
                Snapshot.project_id == ctx.project_id, Snapshot.status != "deleted")
                .order_by(Snapshot.created_at.desc(), Snapshot.id.desc()))
            return [self._snapshot_view(r) for r in rows]
        return self.db.read(work)

    def show_snapshot(self, ctx: RequestContext, snapshot_id: str) -> dict[str, Any]:
        row, _meta = self._snapshots().show(ctx, snapshot_id)
        return self._snapshot_view(row)

    def create_snapshot(self, ctx: RequestContext, volume_id: str, *, force: bool,
                        name: str | None, description: str | None) -> dict[str, Any]:
        row, _meta = self._snapshots().create(ctx, volume_id, name=name,
                                              description=description, force=force,
                                              metadata={})
        return self._snapshot_view(row)

    def delete_snapshot(self, ctx: RequestContext, snapshot_id: str) -> None:
        try:
            self._snapshots().delete(ctx, snapshot_id)
        except NotFound:
            raise NotFound(f"Snapshot {snapshot_id} could not be found.") from None

"""The compute ↔ volume seam: everything compute asks of the block storage service when a
server uses volumes (``os-volume_attachments``, block device mappings on boot, server
delete), and nothing else — compute never reads ``volume_*`` tables.

The flow is the attachments API's (Nova's "new style" attach), one call per step:

1. ``reserve(ctx, volume_id, server_id)`` in the compute API, before the request is
   accepted: a reserved attachment; the volume ``reserved``. A volume the caller may not
   see is ``NotFound`` (404); a non-multiattach volume already attached, or one in the
   wrong status, ``BadRequest`` (400, Cinder's message) — compute answers with those.
2. ``attach(ctx, attachment_id, connector)`` on the compute host once it knows where the
   server runs: ``connection_info`` back (volume ``attaching``), what the virt driver
   consumes. ``connector`` is os-brick's shape: ``{"host": <compute host>, "mountpoint":
   "/dev/vdb", "mode": "rw"|"ro", …}``. For the file backend::

       {"driver_volume_type": "file", "serial": <volume id>,
        "data": {"device_path": "/…/volumes/volume-<id>", "format": "raw",
                 "access_mode": "rw"|"ro", "volume_id": <id>, "qos_specs": None}}

   (``drivers.base`` documents the contract; other backends answer their own
   ``driver_volume_type``.)
3. ``complete(ctx, attachment_id)`` once the guest has the disk: attachment ``attached``,
   volume ``in-use``.
4. ``detach(ctx, attachment_id)`` after the guest let go (or to roll back a failed 2/3):
   the attachment goes; the volume is ``available`` when none remain.
Block device mappings that make a volume (``source_type`` image/snapshot/blank,
``destination_type`` volume) call ``create_volume`` first and wait (``get``) until it is
``available`` (``error`` fails the build), then reserve/attach/complete it as above.

5. ``terminate(ctx, server_id, delete_volumes)`` when a server is deleted: every
   attachment of the server goes, then the volumes whose mapping said
   ``delete_on_termination`` are deleted (``deleting`` for the volume agent).

``createImage`` of a volume-backed server snapshots each of its volumes
(``create_snapshot``, forced as the volume is attached; ``discard_snapshot`` takes one back
when the image could not be registered); a boot from a snapshot checks it with
``get_snapshot`` (its size sizes the new volume).

Not in the seam yet (compute's later work will need them): telling compute that the agent
grew an attached volume (Nova's ``volume-extended`` event, which Tempest's attached-extend
test waits for as the ``extend_volume`` instance action), and swap/migration between
backends (``os-migrate_volume`` only checks its input today).

``ctx`` is the caller's ``RequestContext`` when compute acts for a user (the user's
visibility and the attachment rules apply), or ``None`` when compute's own agent acts for
the service (no policy: the server's owner already asked for it). Each call is one
transaction of its own and is safe to repeat: a second ``detach`` of a gone attachment,
a second ``terminate``, a ``complete`` of an attached one do nothing more.
"""
from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.context import RequestContext
from onestack.core.errors import NotFound
from onestack.core.platform import Platform
from onestack.volume.models.volumes import Attachment, Volume
from onestack.volume.states import DELETING
from onestack.volume.service import attach_ops as ops

SERVICE_REQUEST = "req-volume-seam"


class VolumeSeam:
    def __init__(self, platform: Platform | Any, volumes: Any = None) -> None:
        """``platform``: the API's ``Platform``, or an agent's context (``db``, ``bus``,
        ``settings``, no policy: an agent acts for the service, every call with ``ctx``
        None). ``volumes``: the volumes area's ``VolumeService`` (visibility, delete);
        built from ``platform`` when not given."""
        if getattr(platform, "policy", None) is None:
            platform = SimpleNamespace(db=platform.db, bus=platform.bus,
                                       settings=platform.settings, policy=_ServicePolicy(),
                                       identity=None, services=None,
                                       seams=getattr(platform, "seams", {}))
        self.platform = platform
        self._volumes = volumes

    @property
    def volumes(self) -> Any:
        if self._volumes is None:
            from onestack.volume.service.volumes import VolumeService

            self._volumes = VolumeService(self.platform)
        return self._volumes

    @property
    def proxy(self) -> Any:
        """Nova's pre-2.36 ``os-volumes`` / ``os-snapshots`` proxies (``seam_proxy``)."""
        from onestack.volume.seam_proxy import NovaProxy

        return NovaProxy(self)

    # --- reading ----------------------------------------------------------------------
    def get(self, ctx: RequestContext | None, volume_id: str) -> dict[str, Any]:
        """What compute checks before using a volume (size for BDM, status, multiattach,
        bootable, zone, image metadata for boot from volume); 404 as the volume API."""
        def work(s: Session) -> dict[str, Any]:
            from onestack.volume.service.actions import image_metadata

            vol = self._volume(s, ctx, volume_id)
            return {"id": vol.id, "status": vol.status, "size": vol.size,
                    "name": vol.name, "description": vol.description,
                    "attach_status": vol.attach_status, "multiattach": vol.multiattach,
                    "bootable": vol.bootable, "availability_zone": vol.availability_zone,
                    "project_id": vol.project_id,
                    "volume_image_metadata": image_metadata(s, vol.id),
                    "attachments": [_attachment(a) for a in ops.attachments_of(s, vol.id)]}

        return self.platform.db.read(work)

    def server_attachments(self, server_id: str) -> list[dict[str, Any]]:
        """Every attachment of the server (any status), oldest first."""
        def work(s: Session) -> list[dict[str, Any]]:
            return [_attachment(a) for a in s.scalars(
                sa.select(Attachment).where(Attachment.instance_uuid == server_id)
                .order_by(Attachment.created_at, Attachment.id))]

        return self.platform.db.read(work)

    # --- volumes for block device mappings ------------------------------------------------
    def create_volume(self, ctx: RequestContext, size: int, *, image_id: str | None = None,
                      snapshot_id: str | None = None, source_volid: str | None = None,
                      name: str | None = None, description: str | None = None,
                      availability_zone: str | None = None,
                      volume_type: str | None = None) -> dict[str, Any]:
        """A new volume of the server owner's project (``ctx``: the user's context, or one
        compute builds for the owner — project and user ids, role ``member``), as
        ``POST /volumes`` makes it: quota charged, a backend claimed, the agent woken.
        Returns ``{"id", "status"}``: ``creating`` (poll ``get`` until ``available``) or
        ``error`` when no backend fits. Bad input and quota are the API's 400/404/413."""
        from onestack.volume.service.volume_input import CreateRequest

        req = CreateRequest(name=name, description=description, size=size,
                            availability_zone=availability_zone, volume_type=volume_type,
                            snapshot_id=snapshot_id, source_volid=source_volid,
                            image_ref=image_id)
        created = self.volumes.create(ctx, req)
        return {"id": created.volume.id, "status": created.volume.status}

    def delete_volume(self, ctx: RequestContext | None, volume_id: str) -> None:
        """``deleting`` for the agent (a BDM volume whose server failed to build); a
        volume already gone or already deleting is fine."""
        current = self.platform.db.read(lambda s: s.get(Volume, volume_id))
        if current is None or current.status == DELETING:
            return
        try:
            self.volumes.delete(ctx or _service_context(), volume_id)
        except NotFound:
            pass

    # --- snapshots of a volume-backed server (createImage) ---------------------------------
    def create_snapshot(self, ctx: RequestContext, volume_id: str, *, name: str | None,
                        description: str | None) -> dict[str, Any]:
        """A snapshot of the (attached) volume for the caller, as ``POST /snapshots`` with
        ``force`` makes it: quota charged (the volume API's 413 when over), the agent
        woken. Returns ``{"id", "status", "size"}`` (``creating``)."""
        from onestack.volume.service.snapshots import SnapshotService

        row, _meta = SnapshotService(self.platform).create(
            ctx, volume_id, name=name, description=description, force=True, metadata={})
        return {"id": row.id, "status": row.status, "size": row.size}

    def get_snapshot(self, ctx: RequestContext | None, snapshot_id: str) -> dict[str, Any]:
        """What a boot from a snapshot needs (its size); 404 as the snapshots API."""
        from onestack.volume.service.snapshots import SnapshotService

        row, _meta = SnapshotService(self.platform).show(ctx or _service_context(),
                                                         snapshot_id)
        return {"id": row.id, "status": row.status, "size": row.size,
                "volume_id": row.volume_id}

    def discard_snapshot(self, snapshot_id: str) -> None:
        """Take back a snapshot compute made for an image it then could not register
        (whatever its status: a force delete); one already gone is fine."""
        from onestack.volume.service.snapshots import SnapshotService

        try:
            SnapshotService(self.platform).delete(_service_context(), snapshot_id,
                                                  force=True)
        except NotFound:
            pass

    # --- the attach flow ----------------------------------------------------------------
    def reserve(self, ctx: RequestContext | None, volume_id: str, server_id: str) -> str:
        """A reserved attachment of the volume to the server; its id."""
        def work(s: Session) -> str:
            vol = self._volume(s, ctx, volume_id, lock=True)
            self._enforce("volume:attachment_create", ctx, vol.project_id)
            ops.check_not_error(vol)
            return ops.reserve(s, vol, server_id, vol.project_id).id

        return self.platform.db.write(work)

    def attach(self, ctx: RequestContext | None, attachment_id: str,
               connector: dict[str, Any]) -> dict[str, Any]:
        """The connector recorded, ``connection_info`` answered."""
        def work(s: Session) -> dict[str, Any]:
            att = self._attachment_row(s, ctx, attachment_id)
            self._enforce("volume:attachment_update", ctx, att.project_id)
            vol = ops.lock_volume(s, att.volume_id)
            return ops.connect(s, vol, att, connector)

        return self.platform.db.write(work)

    def complete(self, ctx: RequestContext | None, attachment_id: str) -> None:
        def work(s: Session) -> None:
            att = self._attachment_row(s, ctx, attachment_id)
            self._enforce("volume:attachment_complete", ctx, att.project_id)
            vol = ops.lock_volume(s, att.volume_id)
            ops.complete(s, vol, att)

        self.platform.db.write(work)

    def detach(self, ctx: RequestContext | None, attachment_id: str) -> None:
        """The attachment goes (a missing one is fine: already detached)."""
        def work(s: Session) -> None:
            try:
                att = self._attachment_row(s, ctx, attachment_id)
            except NotFound:
                return
            self._enforce("volume:attachment_delete", ctx, att.project_id)
            vol = ops.lock_volume(s, att.volume_id)
            ops.remove(s, vol, att)

        self.platform.db.write(work)

    def terminate(self, ctx: RequestContext | None, server_id: str,
                  delete_volumes: list[str] | tuple[str, ...] = ()) -> list[str]:
        """A deleted server's volumes: its attachments go, then ``delete_volumes`` (the
        ``delete_on_termination`` ones) are deleted. Returns the volume ids detached."""
        def work(s: Session) -> list[str]:
            detached = []
            for att in list(s.scalars(sa.select(Attachment).where(
                    Attachment.instance_uuid == server_id).with_for_update())):
                vol = ops.lock_volume(s, att.volume_id)
                ops.remove(s, vol, att)
                detached.append(vol.id)
            return detached

        detached = self.platform.db.write(work)
        for volume_id in delete_volumes:
            self.delete_volume(ctx, volume_id)
        return detached

    # --- helpers ------------------------------------------------------------------------
    def _volume(self, s: Session, ctx: RequestContext | None, volume_id: str,
                lock: bool = False) -> Volume:
        return self.volumes.visible_volume(s, ctx, volume_id, lock=lock)

    def _attachment_row(self, s: Session, ctx: RequestContext | None,
                        attachment_id: str) -> Attachment:
        admin = ctx is None or self.platform.policy.allowed("volume:context_is_admin", ctx)
        owner = None if admin else ctx.project_id  # type: ignore[union-attr]
        return ops.get_attachment(s, attachment_id, project_id=owner, lock=True)

    def _enforce(self, rule: str, ctx: RequestContext | None, project_id: str) -> None:
        if ctx is not None:
            self.platform.policy.enforce(rule, ctx, {"project_id": project_id})


def _attachment(a: Attachment) -> dict[str, Any]:
    return {"id": a.id, "volume_id": a.volume_id, "server_id": a.instance_uuid,
            "status": a.attach_status, "mode": a.attach_mode, "device": a.mountpoint,
            "host": a.attached_host, "connection_info": a.connection_info}


class _ServicePolicy:
    """An agent's policy: it acts for the service, never for a user (``ctx`` is None)."""

    def allowed(self, rule: str, ctx: Any, target: Any = None) -> bool:
        return True

    def enforce(self, rule: str, ctx: Any, target: Any = None) -> None:
        return None


def _service_context() -> RequestContext:
    """Compute's agent acting for the service (a server's owner already asked)."""
    return RequestContext(request_id=SERVICE_REQUEST, user_id="compute", roles=["admin"])

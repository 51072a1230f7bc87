"""Volumes: create (placed by the scheduler in the same transaction that charges quota
and writes the row ``creating``), show, list, update, delete (``deleting`` for the agent;
an unplaced volume goes at once) and the user metadata API.

Visibility comes before policy: another project's volume is a 404 for anyone but an
admin, never a 403. The agent of the volume's backend does the work the statuses ask for;
this service wakes it after the transaction commits.
"""
from __future__ import annotations

import json
import logging
import math
import uuid
from dataclasses import dataclass, replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.context import RequestContext
from onestack.core.db import utcnow
from onestack.core.errors import BadRequest, NotFound
from onestack.core.platform import Platform
from onestack.volume import states
from onestack.volume.models.snapshots import Snapshot
from onestack.volume.models.types import VolumeType
from onestack.volume.models.volumes import Volume, VolumeMetadata
from onestack.volume.service import scheduler
from onestack.volume.service.volume_input import CreateRequest, check_metadata
from onestack.volume.service.volume_views import Viewer, render
from onestack.volume.wake import wake

log = logging.getLogger(__name__)
GIB = 1 << 30
# statuses a volume may be deleted from without force (Cinder's volume API)
DELETABLE = (states.AVAILABLE, states.ERROR, states.ERROR_RESTORING,
             states.ERROR_EXTENDING, "error_managing")
DELETE_REFUSED = ("Invalid volume: Volume status must be available or error or "
                  "error_restoring or error_extending or error_managing and must not be "
                  "migrating, attached, belong to a group, have snapshots, awaiting a "
                  "transfer, or be disassociated from snapshots after volume transfer.")


def volume_not_found(volume_id: str) -> NotFound:
    return NotFound(f"Volume {volume_id} could not be found.")


def boot_snapshot_id(mapping: Any) -> str | None:
    """The snapshot an image's ``block_device_mapping`` property (stored as JSON) boots
    from: its ``source_type`` snapshot entry at boot index 0; None when it maps none."""
    if isinstance(mapping, str):
        try:
            mapping = json.loads(mapping)
        except ValueError:
            return None
    for bdm in mapping if isinstance(mapping, list) else ():
        if isinstance(bdm, dict) and bdm.get("source_type") == "snapshot" and \
                str(bdm.get("boot_index")) == "0" and bdm.get("snapshot_id"):
            return str(bdm["snapshot_id"])
    return None


@dataclass
class Created:
    volume: Volume
    backend: str  # empty when the scheduler found none (the volume is in error)
    body: dict[str, Any] | None = None  # the create answer, when asked for (``render_for``)


class VolumeService:
    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.db = platform.db
        self.policy = platform.policy

    # --- who may see what -------------------------------------------------------------
    def is_admin(self, ctx: RequestContext | None) -> bool:
        return ctx is not None and self.policy.allowed("volume:context_is_admin", ctx)

    def enforce(self, rule: str, ctx: RequestContext, project_id: str | None) -> None:
        self.policy.enforce(rule, ctx, {"project_id": project_id or ctx.project_id})

    def visible_volume(self, s: Session, ctx: RequestContext | None, volume_id: Any,
                       lock: bool = False) -> Volume:
        """The volume when the caller may see it (its project's, or any for an admin);
        404 otherwise — never a 403, so ids of other projects don't leak."""
        if not isinstance(volume_id, str) or not volume_id or len(volume_id) > 36:
            raise volume_not_found(str(volume_id))
        row = s.get(Volume, volume_id, with_for_update=lock or None,
                    populate_existing=lock or None)
        if row is None or (ctx is not None and row.project_id != ctx.project_id
                           and not self.is_admin(ctx)):
            raise volume_not_found(volume_id)
        return row

    def viewer(self, who: Any) -> Viewer:
        """How ``who`` (a ``Call``, or a ``RequestContext``) sees volumes."""
        ctx = getattr(who, "ctx", who)
        if hasattr(who, "base_url"):
            version = who.__dict__.get("_volume_microversion")
            if version is None:
                from onestack.volume.api import microversion
                from onestack.volume.app import MICROVERSIONS

                version = microversion.negotiate(who, microversion.parse(
                    MICROVERSIONS.maximum))
            base = who.base_url
            project = who.params.get("project_id") or ""
        else:
            version, project = (3, 0), ""
            base = str(getattr(self.platform.settings, "public_url", "") or "").rstrip("/")
        admin = self.is_admin(ctx)
        target = {"project_id": getattr(ctx, "project_id", None)}
        tenant = admin or (ctx is not None and self.policy.allowed(
            "volume_extension:volume_tenant_attribute", ctx, target))
        return Viewer(version=version, admin=admin, base_url=base, link_project=project,
                      tenant_attr=tenant, image_meta=True)

    def render(self, s: Session, who: Any, rows: list[Volume], detail: bool = True,
               *, extended: bool = True) -> list[dict[str, Any]]:
        """The API's view of ``rows`` for ``who``; ``extended=False`` for create and
        update answers (Cinder adds its extension attributes to show and lists only)."""
        viewer = self.viewer(who)
        if not extended:
            viewer = replace(viewer, extended=False)
        return render(s, viewer, rows, detail)

    # --- create -----------------------------------------------------------------------
    def create(self, ctx: RequestContext, req: CreateRequest, render_for: Any = None
               ) -> Created:
        """The volume row (``creating`` on a backend, or ``error`` with a user message
        when none fits), quota charged, in one transaction; the agent is woken after it.
        ``render_for`` (a call): the create answer is rendered in that same transaction."""
        self.enforce("volume:create", ctx, ctx.project_id)
        if req.image_ref:
            self.enforce("volume:create_from_image", ctx, ctx.project_id)
        now = utcnow()
        volume_id = str(uuid.uuid4())

        def work(s: Session) -> Created:
            vol = Volume(id=volume_id, project_id=ctx.project_id, user_id=ctx.user_id,
                         name=req.name, description=req.description,
                         status=states.CREATING, attach_status=states.DETACHED,
                         created_at=now, updated_at=None, use_quota=True,
                         replication_status=None, group_id=req.group_id)
            only, zone = self._sources(s, ctx, req, vol)
            vtype = self._type(s, ctx, req, vol)
            vol.size = req.size if req.size is not None else vol.size
            self._check_size(s, ctx, req, vol)
            vol.volume_type_id = vtype.id
            from onestack.volume.service.types import extra_specs

            specs = extra_specs(s, vtype.id)
            vol.multiattach = self._multiattach(s, ctx, vtype, specs)
            zone = self._zone(s, req.availability_zone, zone)
            from onestack.volume.service import quotas

            quotas.charge(s, ctx.project_id, {"volumes": 1, "gigabytes": vol.size,
                                              "per_volume_gigabytes": vol.size},
                          volume_type_name=vtype.name)
            backend = self._place(s, ctx, vol, zone, vtype, only, specs)
            s.add(vol)
            s.flush()
            for key, value in req.metadata.items():
                s.add(VolumeMetadata(volume_id=vol.id, key=key, value=value))
            s.flush()
            body = None if render_for is None else self._fresh(s, render_for, vol, vtype,
                                                                 req.metadata)
            return Created(vol, backend, body)

        created = self.db.write(work)
        if created.backend:
            wake(self.platform.bus, created.backend, created.volume.id)
        return created

    def _fresh(self, s: Session, who: Any, vol: Volume, vtype: VolumeType,
               metadata: dict[str, str]) -> dict[str, Any]:
        """The create answer from what the transaction just wrote: no attachments, no
        admin or image metadata yet, the type known (only its encryption is read)."""
        from onestack.volume.models.types import Encryption
        from onestack.volume.service.volume_views import detail_of

        viewer = replace(self.viewer(who), extended=False)
        encrypted = s.scalar(sa.select(Encryption.volume_type_id).where(
            Encryption.volume_type_id == vtype.id)) is not None
        return detail_of(viewer, vol, dict(metadata), {}, [], (vtype.name, encrypted))

    def _sources(self, s: Session, ctx: RequestContext, req: CreateRequest, vol: Volume
                 ) -> tuple[str | None, str | None]:
        """Checks the source of the bytes; returns (the backend the new volume must stay
        on, the source's zone)."""
        if req.image_ref and req.boot_snapshot_images:
            self._boot_snapshot_of_image(s, ctx, req)
        if req.snapshot_id:
            snap = s.get(Snapshot, req.snapshot_id) if len(req.snapshot_id) <= 36 else None
            if snap is None or (snap.project_id != ctx.project_id and not self.is_admin(ctx)):
                raise NotFound(f"Snapshot {req.snapshot_id} could not be found.")
            if snap.status != states.AVAILABLE:
                raise BadRequest("Invalid snapshot: Originating snapshot status must be "
                                 "'available' to create a volume.")
            source = s.get(Volume, snap.volume_id)
            vol.snapshot_id, vol.size = snap.id, snap.size
            vol.volume_type_id = snap.volume_type_id
            if req.size is not None and req.size < snap.size:
                raise BadRequest(f"Invalid input received: Volume size '{req.size}' must be "
                                 f"an integer and greater than 0 and at least the snapshot "
                                 f"size {snap.size}GB.")
            return snap.host or (source.host if source else None), \
                source.availability_zone if source else None
        if req.source_volid:
            try:
                src = self.visible_volume(s, ctx, req.source_volid)
            except NotFound:
                raise NotFound(f"Volume {req.source_volid} could not be found.") from None
            if src.status not in (states.AVAILABLE, states.IN_USE):
                raise BadRequest("Invalid volume: Unable to create volume from source "
                                 f"volume {src.id}: status must be available or in-use, "
                                 f"not {src.status}.")
            vol.source_volid, vol.size = src.id, src.size
            vol.volume_type_id = src.volume_type_id
            if req.size is not None and req.size < src.size:
                raise BadRequest(f"Invalid input received: Volume size '{req.size}' must be "
                                 f"at least the source volume size {src.size}GB.")
            return src.host or None, src.availability_zone
        if req.backup_id:
            self._backup(s, ctx, req, vol)
        if req.image_ref:
            self._image(s, ctx, req, vol)
        return None, None

    def _boot_snapshot_of_image(self, s: Session, ctx: RequestContext, req: CreateRequest
                                ) -> None:
        """An image that maps a boot volume snapshot (``createImage`` of a volume-backed
        server) turns the request into one from that snapshot."""
        seam = self.platform.seams.get("image")
        found = seam.find_for(s, ctx.project_id, self.is_admin(ctx), req.image_ref) \
            if seam is not None else None
        if found is None:
            raise NotFound(f"Image {req.image_ref} could not be found.")
        snapshot_id = boot_snapshot_id(found.get("block_device_mapping"))
        if snapshot_id is None:
            return
        snap = s.get(Snapshot, snapshot_id) if len(snapshot_id) <= 36 else None
        if snap is None or (snap.project_id != ctx.project_id and not self.is_admin(ctx)):
            raise NotFound(f"Nova specific image is found, but boot volume snapshot "
                           f"id:{snapshot_id} not found.")
        req.snapshot_id, req.image_ref = snapshot_id, None

    def _backup(self, s: Session, ctx: RequestContext, req: CreateRequest, vol: Volume
                ) -> None:
        try:
            from onestack.volume.models.backups import Backup  # type: ignore[import-not-found]
        except ImportError:
            raise NotFound(f"Backup {req.backup_id} could not be found.") from None
        row = s.get(Backup, req.backup_id) if len(req.backup_id or "") <= 36 else None
        if row is None or (row.project_id != ctx.project_id and not self.is_admin(ctx)):
            raise NotFound(f"Backup {req.backup_id} could not be found.")
        if row.status != states.AVAILABLE:
            raise BadRequest(f"Invalid backup: Backup status must be available, not "
                             f"{row.status}.")
        vol.backup_id, vol.size = row.id, row.size
        if req.size is not None and req.size < row.size:
            raise BadRequest(f"Invalid input received: Volume size '{req.size}' must be at "
                             f"least the backup size {row.size}GB.")

    def _image(self, s: Session, ctx: RequestContext, req: CreateRequest, vol: Volume
               ) -> None:
        seam = self.platform.seams.get("image")
        found = seam.find_for(s, ctx.project_id, self.is_admin(ctx), req.image_ref) \
            if seam is not None else None
        if found is None:
            raise NotFound(f"Image {req.image_ref} could not be found.")
        if found.get("status") != "active":
            raise BadRequest(f"Invalid input received: Image {req.image_ref} is not active.")
        size = req.size or 0
        described = seam.describe(found["id"]) if hasattr(seam, "describe") else None
        image_bytes = (described or found).get("size") or 0
        image_gb = math.ceil(image_bytes / GIB)
        if image_gb > size:
            raise BadRequest(f"Invalid input received: Size of specified image "
                             f"{image_gb}GB is larger than volume size {size}GB.")
        min_disk = int(found.get("min_disk") or 0)
        if min_disk > size:
            raise BadRequest(f"Invalid input received: Image minDisk size {min_disk} is "
                             f"larger than the volume size {size}.")
        vol.image_id = found["id"]

    def _type(self, s: Session, ctx: RequestContext, req: CreateRequest, vol: Volume
              ) -> VolumeType:
        from onestack.volume.service.types import default_type, resolve_type

        if req.volume_type:
            chosen = resolve_type(s, ctx, req.volume_type)
            if vol.volume_type_id and chosen.id != vol.volume_type_id and \
                    (req.snapshot_id or req.source_volid):
                source = s.get(VolumeType, vol.volume_type_id)
                if source is not None:
                    raise BadRequest("Invalid input received: Invalid volume_type provided: "
                                     f"{chosen.name} (requested type is not compatible; "
                                     "recommend omitting the type argument).")
            return chosen
        if vol.volume_type_id:
            found = s.get(VolumeType, vol.volume_type_id)
            if found is not None:
                return found
        return default_type(s, ctx.project_id)

    def _check_size(self, s: Session, ctx: RequestContext, req: CreateRequest, vol: Volume
                    ) -> None:
        if vol.size is None or vol.size < 1:
            raise BadRequest(f"Invalid input received: Volume size '{vol.size}' must be an "
                             "integer and greater than 0")

    def _multiattach(self, s: Session, ctx: RequestContext, vtype: VolumeType,
                     specs: dict[str, str]) -> bool:
        wanted = specs.get("multiattach", "").strip().lower() == "<is> true"
        if wanted:
            self.enforce("volume:multiattach", ctx, ctx.project_id)
        return wanted

    def _zone(self, s: Session, asked: str | None, inherited: str | None) -> str | None:
        if asked:
            if asked not in scheduler.zones(s):
                raise BadRequest(f"Invalid input received: Availability zone '{asked}' is "
                                 "invalid.")
            if inherited and asked != inherited:
                raise BadRequest("Invalid input received: The availability zone of a volume "
                                 "created from a snapshot or a volume must match its "
                                 f"source's ({inherited}).")
            return asked
        return inherited

    def _place(self, s: Session, ctx: RequestContext, vol: Volume, zone: str | None,
               vtype: VolumeType, only: str | None, specs: dict[str, str] | None = None
               ) -> str:
        try:
            backend = scheduler.place(s, vol.size, zone, vtype, only=only, specs=specs)
        except scheduler.NoValidBackend as exc:
            from onestack.volume.service import messages

            vol.status, vol.host = states.ERROR, ""
            vol.availability_zone = zone or "nova"
            s.add(vol)
            s.flush()
            messages.record(s, ctx.project_id, messages.Resource.VOLUME, vol.id, None,
                            messages.Detail.NO_BACKEND_AVAILABLE,
                            messages.Action.SCHEDULE_ALLOCATE_VOLUME,
                            request_id=ctx.request_id)
            log.info("volume %s: %s", vol.id, exc)
            return ""
        vol.host, vol.availability_zone = backend.name, backend.availability_zone
        return backend.name

    # --- read -------------------------------------------------------------------------
    def show(self, ctx: RequestContext, volume_id: str, who: Any) -> dict[str, Any]:
        def work(s: Session) -> dict[str, Any]:
            row = self.visible_volume(s, ctx, volume_id)
            self.enforce("volume:get", ctx, row.project_id)
            return self.render(s, who, [row])[0]
        return self.db.read(work)

    # --- update -----------------------------------------------------------------------
    def update(self, ctx: RequestContext, volume_id: str, changes: dict[str, Any],
               who: Any) -> dict[str, Any]:
        def work(s: Session) -> dict[str, Any]:
            row = self.visible_volume(s, ctx, volume_id, lock=True)
            self.enforce("volume:update", ctx, row.project_id)
            if row.status == states.MAINTENANCE:
                raise BadRequest("Invalid volume: The volume cannot be updated during "
                                 "maintenance.")
            for column in ("name", "description"):
                if column in changes:
                    setattr(row, column, changes[column])
            if "metadata" in changes:
                replace_metadata(s, row.id, changes["metadata"])
            row.updated_at = utcnow()
            s.flush()
            return self.render(s, who, [row], extended=False)[0]
        return self.db.write(work)

    # --- delete -----------------------------------------------------------------------
    def delete(self, ctx: RequestContext, volume_id: str, *, cascade: bool = False,
               force: bool = False) -> None:
        """``deleting`` for the agent (which frees the bytes, the capacity and the quota
        and drops the row); a volume never placed on a backend goes at once. ``force``
        (os-force_delete, whose caller checks its own rule) skips the status check."""
        def work(s: Session) -> str:
            row = self.visible_volume(s, ctx, volume_id, lock=True)
            self.enforce("volume:delete", ctx, row.project_id)
            if not row.host:
                if row.status not in DELETABLE and not force:
                    raise BadRequest(DELETE_REFUSED)
                drop_unplaced(s, row)
                return ""
            refusal = self._delete_refusal(s, row, cascade, force)
            if refusal:
                raise BadRequest(refusal)
            if cascade:
                s.execute(sa.update(Snapshot).where(Snapshot.volume_id == row.id).values(
                    status=states.DELETING, updated_at=utcnow())
                    .execution_options(synchronize_session=False))
            row.previous_status, row.status = row.status, states.DELETING
            row.updated_at = utcnow()
            return row.host

        backend = self.db.write(work)
        if backend:
            wake(self.platform.bus, backend, volume_id)

    def _delete_refusal(self, s: Session, row: Volume, cascade: bool, force: bool) -> str:
        if not force and row.status not in DELETABLE:
            return DELETE_REFUSED
        if row.attach_status == states.ATTACHED or row.group_id or \
                row.migration_status not in (None, "", "success", "error"):
            return DELETE_REFUSED
        snaps = list(s.scalars(sa.select(Snapshot.status).where(
            Snapshot.volume_id == row.id)))
        if snaps and not cascade:
            return DELETE_REFUSED
        if cascade and any(st not in (states.AVAILABLE, states.ERROR) for st in snaps):
            return ("Invalid volume: Snapshot of volume must be in available or error "
                    "state to cascade delete.")
        return ""

    # --- metadata ---------------------------------------------------------------------
    def metadata(self, ctx: RequestContext, volume_id: str) -> dict[str, str]:
        def work(s: Session) -> dict[str, str]:
            row = self.visible_volume(s, ctx, volume_id)
            self.enforce("volume:get_volume_metadata", ctx, row.project_id)
            return metadata_of(s, row.id)
        return self.db.read(work)

    def metadata_item(self, ctx: RequestContext, volume_id: str, key: str) -> str:
        found = self.metadata(ctx, volume_id)
        if key not in found:
            raise NotFound("Metadata item was not found")
        return found[key]

    def set_metadata(self, ctx: RequestContext, volume_id: str, meta: dict[str, str],
                     *, replace: bool) -> dict[str, str]:
        """Merge (POST, PUT of one key) or replace (PUT) the user metadata; returns all
        of it."""
        meta = check_metadata(meta)
        rule = "volume:update_volume_metadata" if replace else \
            "volume:create_volume_metadata"

        def work(s: Session) -> dict[str, str]:
            row = self.visible_volume(s, ctx, volume_id, lock=True)
            self.enforce(rule, ctx, row.project_id)
            check_metadata_status(row)
            if replace:
                replace_metadata(s, row.id, meta)
            else:
                merge_metadata(s, row.id, meta)
            row.updated_at = utcnow()
            s.flush()
            return metadata_of(s, row.id)
        return self.db.write(work)

    def delete_metadata_item(self, ctx: RequestContext, volume_id: str, key: str) -> None:
        def work(s: Session) -> None:
            row = self.visible_volume(s, ctx, volume_id, lock=True)
            self.enforce("volume:delete_volume_metadata", ctx, row.project_id)
            check_metadata_status(row)
            found = s.get(VolumeMetadata, (row.id, key))
            if found is None:
                raise NotFound("Metadata item was not found")
            s.delete(found)
            row.updated_at = utcnow()
        self.db.write(work)


def check_metadata_status(row: Volume) -> None:
    if row.status == states.MAINTENANCE:
        raise BadRequest("Invalid volume: The volume metadata cannot be updated when the "
                         "volume is in maintenance mode.")


def metadata_of(s: Session, volume_id: str) -> dict[str, str]:
    return dict(s.execute(sa.select(VolumeMetadata.key, VolumeMetadata.value).where(
        VolumeMetadata.volume_id == volume_id)).all())


def merge_metadata(s: Session, volume_id: str, meta: dict[str, str]) -> None:
    for key, value in meta.items():
        found = s.get(VolumeMetadata, (volume_id, key))
        if found is None:
            s.add(VolumeMetadata(volume_id=volume_id, key=key, value=value))
        else:
            found.value = value


def replace_metadata(s: Session, volume_id: str, meta: dict[str, str]) -> None:
    s.execute(sa.delete(VolumeMetadata).where(VolumeMetadata.volume_id == volume_id,
                                              VolumeMetadata.key.notin_(list(meta) or [""]))
              .execution_options(synchronize_session=False))
    merge_metadata(s, volume_id, meta)


def drop_unplaced(s: Session, row: Volume) -> None:
    """A volume no backend holds (the scheduler found none): its quota back, row gone."""
    from onestack.volume.service import quotas

    if row.use_quota:
        vtype = s.get(VolumeType, row.volume_type_id) if row.volume_type_id else None
        quotas.charge(s, row.project_id, {"volumes": -1, "gigabytes": -row.size},
                      volume_type_name=vtype.name if vtype else None)
    s.delete(row)

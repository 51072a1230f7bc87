"""Volume actions that hand work to the volume agent or change what the volume is:
``os-extend`` (status ``extending``, ``target_size``), ``os-volume_upload_image``
(status ``uploading``, ``task_image_id``: the image record is made here, queued, and the
agent stores the bytes), ``os-revert`` (3.40: volume ``reverting``, its latest snapshot
``restoring``), ``os-retype`` (same backend: only the type changes) and
``os-migrate_volume`` (checks only: moving bytes between backends is not done yet).

The API validates, charges quota and writes the wanted transition in one transaction;
``ActionService.run(..., agent=True)`` wakes the agent of the volume's backend after the
commit. The agent writes what it observed: the new ``size`` then ``previous_status``
(extend), the image active then ``previous_status`` (upload), ``available`` for both rows
(revert) — or an ``error_*`` status with a user message.
"""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.context import RequestContext
from onestack.core.db import utcnow
from onestack.core.errors import BadRequest, NotFound
from onestack.volume import states as st
from onestack.volume.models.snapshots import Snapshot
from onestack.volume.models.volumes import Volume
from onestack.volume.service import attach_ops as ops
from onestack.volume.service.actions import (ACTIONS, ADMIN_ACTIONS, ActionService,
                                             image_metadata, parse_bool, type_name)

MAX_SIZE = 2 ** 31 - 1
DISK_FORMATS = ("raw", "vmdk", "vdi", "qcow2", "vhd", "vhdx", "ploop")
CONTAINER_FORMATS = ("bare", "ovf", "ova", "ami", "aki", "ari", "docker", "compressed")
VISIBILITIES = ("public", "private", "shared", "community")
# properties the image gets as attributes, never copied from volume_image_metadata
# (Cinder's glance_core_properties)
GLANCE_CORE = ("checksum", "container_format", "disk_format", "image_name", "image_id",
               "min_disk", "min_ram", "name", "size")
REVERTING = "reverting"
SNAPSHOT_RESTORING = "restoring"


def parse_size(field: str, value: Any) -> int:
    """Cinder's ``volume_size``: an integer (or a string of digits) from 1 to 2**31-1."""
    if isinstance(value, bool) or value is None:
        raise BadRequest(f"Invalid input for field/attribute {field}. Value: {value}. "
                         f"{value!r} is not valid under any of the given schemas")
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if not isinstance(value, int):
        raise BadRequest(f"Invalid input for field/attribute {field}. Value: {value}. "
                         f"{value!r} is not valid under any of the given schemas")
    if value < 1 or value > MAX_SIZE:
        raise BadRequest(f"Invalid input for field/attribute {field}. Value: {value}. "
                         f"{value} is {'less' if value < 1 else 'greater'} than the "
                         f"{'minimum of 1' if value < 1 else f'maximum of {MAX_SIZE}'}")
    return value


def type_view(s: Session, type_id: str | None) -> dict[str, Any] | None:
    from onestack.volume.models.types import VolumeType
    from onestack.volume.service.types import extra_specs

    row = s.get(VolumeType, type_id) if type_id else None
    if row is None:
        return None
    return {"id": row.id, "name": row.name, "description": row.description,
            "is_public": row.is_public, "qos_specs_id": row.qos_specs_id,
            "extra_specs": extra_specs(s, row.id), "created_at": ops.iso(row.created_at),
            "updated_at": ops.iso(row.updated_at), "deleted": False, "deleted_at": None}


class VolumeWork:
    """The agent-bound actions, over the same ``run`` as ``ActionService``."""

    def __init__(self, actions: ActionService) -> None:
        self.actions = actions
        self.platform = actions.platform

    # --- extend ---------------------------------------------------------------------------
    def extend(self, ctx: RequestContext, volume_id: str, body: Any, *,
               attached_ok: bool) -> None:
        if not isinstance(body, dict) or "new_size" not in body:
            raise BadRequest("Invalid input for field/attribute os-extend. 'new_size' is a "
                             "required property")
        new_size = parse_size("new_size", body["new_size"])
        policy = self.platform.policy

        def step(s: Session, vol: Volume) -> None:
            from onestack.volume.service.quotas import charge

            attached = vol.status == st.IN_USE and attached_ok
            rule = "volume:extend_attached_volume" if attached else "volume:extend"
            policy.enforce(rule, ctx, {"project_id": vol.project_id})
            if new_size <= vol.size:
                raise BadRequest("Invalid input received: New size for extend must be "
                                 f"greater than current size. (current: {vol.size}, "
                                 f"extended: {new_size}).")
            expected = st.IN_USE if attached else st.AVAILABLE
            if vol.status != expected:
                raise ops.invalid_volume(f"Volume {vol.id} status must be '{expected}' to "
                                         f"extend, currently {vol.status}.")
            charge(s, vol.project_id, {"gigabytes": new_size - vol.size,
                                       "per_volume_gigabytes": new_size},
                   type_name(s, vol.volume_type_id))
            _claim_capacity(s, vol, new_size - vol.size)
            vol.previous_status, vol.status = vol.status, st.EXTENDING
            vol.target_size, vol.updated_at = new_size, utcnow()

        self.actions.run(ctx, volume_id, None, step, agent=True)

    # --- upload to image ------------------------------------------------------------------
    def upload_image(self, ctx: RequestContext, volume_id: str, body: Any, *,
                     visibility_ok: bool) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise BadRequest("Invalid input for field/attribute os-volume_upload_image.")
        name = body.get("image_name")
        if not isinstance(name, str) or not name.strip() or len(name) > 255:
            raise BadRequest("Invalid input for field/attribute image_name. Value: "
                             f"{name}. 'image_name' must be a string of 1 to 255 "
                             "characters")
        disk_format = body.get("disk_format", "raw")
        if disk_format not in DISK_FORMATS:
            raise BadRequest(f"Invalid disk-format '{disk_format}' is specified. Allowed "
                             f"disk-formats are {', '.join(DISK_FORMATS)}.")
        container_format = body.get("container_format", "bare")
        if container_format not in CONTAINER_FORMATS:
            raise BadRequest(f"Invalid container-format '{container_format}' is "
                             f"specified. Allowed container-formats are "
                             f"{', '.join(CONTAINER_FORMATS)}.")
        parse_bool("force", body.get("force", False))  # Cinder ignores force (disabled)
        visibility, protected = "private", False
        if visibility_ok:
            visibility = body.get("visibility", "private")
            if visibility not in VISIBILITIES:
                raise BadRequest(f"Invalid input for field/attribute visibility. Value: "
                                 f"{visibility}. '{visibility}' is not one of "
                                 f"{list(VISIBILITIES)}")
            protected = parse_bool("protected", body.get("protected", False))
        policy, seam = self.platform.policy, self._image_seam()

        def step(s: Session, vol: Volume) -> dict[str, Any]:
            target = {"project_id": vol.project_id}
            policy.enforce(f"{ACTIONS}:upload_image", ctx, target)
            if visibility == "public":
                policy.enforce(f"{ACTIONS}:upload_public", ctx, target)
            if vol.status != st.AVAILABLE:
                raise ops.invalid_volume(f"Volume {vol.id} status must be available")
            props = {k: v for k, v in image_metadata(s, vol.id).items()
                     if k not in GLANCE_CORE}
            image = seam.create_for_volume(
                s, owner=vol.project_id, name=name, disk_format=disk_format,
                container_format=container_format, visibility=visibility,
                protected=protected, min_disk=vol.size, properties=props)
            vol.previous_status, vol.status = vol.status, st.UPLOADING
            vol.task_image_id, vol.updated_at = image["id"], utcnow()
            return {"id": vol.id, "updated_at": ops.iso(vol.updated_at),
                    "status": st.UPLOADING, "display_description": vol.description,
                    "size": vol.size, "volume_type": type_view(s, vol.volume_type_id),
                    "image_id": image["id"], "container_format": container_format,
                    "disk_format": disk_format, "image_name": name,
                    "protected": protected, "visibility": visibility}

        return self.actions.run(ctx, volume_id, None, step, agent=True)

    def _image_seam(self) -> Any:
        found = self.platform.seams.get("image") if self.platform.seams else None
        if found is not None and hasattr(found, "create_for_volume"):
            return found
        from onestack.image import seam as image_seam  # same database, module functions

        return image_seam

    # --- retype ---------------------------------------------------------------------------
    def retype(self, ctx: RequestContext, volume_id: str, body: Any) -> None:
        if not isinstance(body, dict) or not body.get("new_type"):
            raise BadRequest("New volume type must be specified.")
        new_type = str(body["new_type"])
        policy_name = body.get("migration_policy") or "never"
        if policy_name not in ("never", "on-demand"):
            raise BadRequest(f"Invalid input for field/attribute migration_policy. Value: "
                             f"{policy_name}. '{policy_name}' is not one of "
                             "['on-demand', 'never']")
        policy = self.platform.policy

        def step(s: Session, vol: Volume) -> None:
            from onestack.volume.service.types import extra_specs, resolve_type

            policy.enforce("volume:retype", ctx, {"project_id": vol.project_id})
            target = resolve_type(s, ctx, new_type)
            specs = extra_specs(s, target.id)
            multiattach = specs.get("multiattach", "").strip().lower() == "<is> true"
            if multiattach != vol.multiattach and vol.status != st.AVAILABLE:
                raise BadRequest("Invalid input received: Invalid volume_type passed, "
                                 "retypes affecting multiattach are only allowed on "
                                 "available volumes, the specified volume however "
                                 f"currently has a status of: {vol.status}.")
            migrating = vol.migration_status not in (None, "", "error", "success")
            if (vol.status not in (st.AVAILABLE, st.IN_USE) or migrating or vol.group_id
                    or vol.volume_type_id == target.id):
                raise ops.invalid_volume(
                    "Retype needs volume to be in available or in-use state, not be part "
                    "of an active migration or a consistency group, requested type has to "
                    "be different that the one from the volume, and for in-use volumes "
                    "front-end qos specs cannot change.")
            wanted_backend = specs.get("volume_backend_name")
            if wanted_backend and wanted_backend != _backend_name(vol.host):
                if policy_name == "never":
                    raise ops.invalid_volume("Retype requires migration but is not "
                                             "allowed.")
                raise ops.invalid_volume("Retype to another backend needs a migration, "
                                         "which this cloud does not do yet.")
            _move_type_quota(s, vol, type_name(s, vol.volume_type_id), target.name)
            vol.volume_type_id, vol.multiattach = target.id, multiattach
            vol.updated_at = utcnow()

        self.actions.run(ctx, volume_id, None, step)

    # --- revert to snapshot (3.40) ----------------------------------------------------------
    def revert(self, ctx: RequestContext, volume_id: str, body: Any) -> None:
        if not isinstance(body, dict) or not isinstance(body.get("snapshot_id"), str):
            raise BadRequest("Invalid input for field/attribute revert. 'snapshot_id' is a "
                             "required property")
        snapshot_id = body["snapshot_id"]
        policy = self.platform.policy

        def step(s: Session, vol: Volume) -> None:
            policy.enforce("volume:revert_to_snapshot", ctx, {"project_id": vol.project_id})
            snap = s.get(Snapshot, snapshot_id)
            if snap is None or snap.project_id != vol.project_id and \
                    not self.actions.is_admin(ctx):
                raise NotFound(f"Snapshot {snapshot_id} could not be found.")
            latest = s.scalar(sa.select(Snapshot).where(Snapshot.volume_id == vol.id)
                              .order_by(Snapshot.created_at.desc(), Snapshot.id.desc())
                              .limit(1).with_for_update())
            if latest is None:
                raise NotFound(f"No snapshots could be found on volume {vol.id}.")
            if latest.id != snapshot_id:
                raise BadRequest(f"Specified snapshot {snapshot_id} is not the latest one "
                                 f"of volume {vol.id}.")
            if vol.size != latest.size:
                raise BadRequest("Reverting volume is not supported if the volume is "
                                 "extended after taking snapshot.")
            if vol.status != st.AVAILABLE or latest.status != st.AVAILABLE:
                raise ops.invalid_volume(
                    f"Volume {vol.id} status must be available and snapshot "
                    f"{latest.id} status must be available to revert, but the current "
                    f"statuses are {vol.status} and {latest.status}.")
            vol.previous_status, vol.status = vol.status, REVERTING
            latest.status = SNAPSHOT_RESTORING
            vol.updated_at = latest.updated_at = utcnow()

        self.actions.run(ctx, volume_id, None, step, agent=True)

    # --- migrate (admin) ----------------------------------------------------------------
    def migrate(self, ctx: RequestContext, volume_id: str, body: Any) -> None:
        if not isinstance(body, dict) or not (body.get("host") or body.get("cluster")):
            raise BadRequest("Must specify 'host' or 'cluster'.")
        host = str(body.get("host") or body.get("cluster"))
        for flag in ("force_host_copy", "lock_volume"):
            if flag in body:
                parse_bool(flag, body[flag])

        def step(s: Session, vol: Volume) -> None:
            from onestack.volume.models.backends import Backend

            backend = s.get(Backend, host) or s.scalar(
                sa.select(Backend).where(Backend.name.startswith(host + "#")).limit(1))
            if backend is None or backend.disabled:
                raise BadRequest(f"Invalid host: No available service named '{host}'")
            if backend.name.partition("#")[0] == (vol.host or "").partition("#")[0]:
                raise ops.invalid_volume(
                    f"Volume {vol.id} status must be available or in-use, must not be "
                    "migrating, have snapshots, be replicated, be part of a group and "
                    "destination host/cluster must be different than the current one")
            raise ops.invalid_volume("Migrating a volume to another backend is not done by "
                                     "this cloud yet.")

        self.actions.run(ctx, volume_id, f"{ADMIN_ACTIONS}:migrate_volume", step)


def _backend_name(host: str | None) -> str:
    """``backend`` of ``host@backend#pool``."""
    return (host or "").partition("@")[2].partition("#")[0]


def _move_type_quota(s: Session, vol: Volume, old: str | None, new: str) -> None:
    """Retype moves the per-type counters only (the project's totals stay)."""
    from onestack.volume.service.quotas import charge

    if not vol.use_quota:
        return
    charge(s, vol.project_id, {f"volumes_{new}": 1, f"gigabytes_{new}": vol.size})
    if old:
        charge(s, vol.project_id, {f"volumes_{old}": -1, f"gigabytes_{old}": -vol.size})


def _claim_capacity(s: Session, vol: Volume, delta_gb: int) -> None:
    """The extra GiB on the volume's own backend, claimed as the scheduler claims a
    create (one conditional UPDATE); 400 when the backend is down or has no room (Cinder's
    scheduler refuses such an extend)."""
    from onestack.volume.service.scheduler import NoValidBackend, place

    if not vol.host:
        return
    try:
        place(s, delta_gb, None, None, only=vol.host)
    except NoValidBackend as exc:
        raise ops.invalid_volume(f"Unable to extend volume {vol.id}: {exc}") from exc

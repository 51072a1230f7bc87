"""Volume actions (``POST /volumes/{id}/action``): the attach family of the older API
(``os-reserve``, ``os-attach``, ``os-detach``, ``os-initialize_connection``, …), flags
(``os-set_bootable``, ``os-update_readonly_flag``), image metadata and the admin actions
(``os-reset_status``, ``os-force_delete``, ``os-force_detach``). The actions that hand
work to the volume agent (extend, upload, retype, revert, migrate) are in ``volume_work``.

Each action runs in one transaction: the volume is read under a row lock (404 when the
caller may not see it), the rule is checked against its project, Cinder's state check
refuses with ``Invalid volume: …`` (400), and the change is written. An action that gives
the agent work wakes it after the commit.
"""
from __future__ import annotations

from typing import Any, Callable, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.context import RequestContext
from onestack.core.db import utcnow
from onestack.core.errors import BadRequest, NotFound
from onestack.core.platform import Platform
from onestack.volume import states as st
from onestack.volume.models.volumes import Attachment, Volume, VolumeImageMetadata
from onestack.volume.service import attach_ops as ops
from onestack.volume.wake import wake

T = TypeVar("T")
ACTIONS = "volume_extension:volume_actions"
ADMIN_ACTIONS = "volume_extension:volume_admin_actions"

# os-reset_status accepts these (Cinder's admin_actions)
RESET_STATUSES = ("creating", "available", "deleting", "error", "error_deleting",
                  "error_managing", "managing", "attaching", "in-use", "detaching",
                  "maintenance", "reserved", "error_extending", "extending",
                  "downloading", "uploading", "retyping", "backing-up",
                  "restoring-backup", "error_restoring", "awaiting-transfer")
RESET_ATTACH_STATUSES = ("attached", "detached")
RESET_MIGRATION_STATUSES = ("migrating", "error", "success", "completing", "none",
                            "starting")
# a force delete refuses only these (Cinder: attached, migrating, in a group, snapshots)
_TRUE = ("true", "1", "on", "yes", "y", "t")
_FALSE = ("false", "0", "off", "no", "n", "f")


def parse_bool(field: str, value: Any) -> bool:
    """Cinder's ``parameter_types.boolean``: a JSON boolean or one of its strings."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in _TRUE:
        return True
    if isinstance(value, str) and value.lower() in _FALSE:
        return False
    raise BadRequest(f"Invalid input for field/attribute {field}. Value: {value}. "
                     f"{value!r} is not one of [True, 'True', 'TRUE', 'true', '1', 'ON', "
                     "'On', 'on', 'YES', 'Yes', 'yes', 'y', 't', False, 'False', 'FALSE', "
                     "'false', '0', 'OFF', 'Off', 'off', 'NO', 'No', 'no', 'n', 'f']")


def check_maintenance(vol: Volume, what: str) -> None:
    if vol.status == st.MAINTENANCE:
        raise ops.invalid_volume(f"The volume {what} in maintenance mode.")


def check_metadata(metadata: Any) -> dict[str, str]:
    """Cinder's metadata rules: an object of strings, keys 1–255 long, values ≤ 255."""
    if not isinstance(metadata, dict):
        raise BadRequest("Malformed request body: metadata must be an object.")
    for key, value in metadata.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise BadRequest("Invalid input received: Metadata property key and value "
                             "must be strings.")
        if not key or len(key) > 255:
            raise BadRequest("Invalid input received: Metadata property key must be 1 "
                             "to 255 characters long.")
        if len(value) > 255:
            raise BadRequest(f"Invalid input received: Metadata property value of key "
                             f"{key} is longer than 255 characters.")
    return dict(metadata)


class ActionService:
    def __init__(self, platform: Platform, volumes: Any = None) -> None:
        """``volumes``: the volumes area's ``VolumeService`` (its ``visible_volume`` and
        ``delete``); built here when not given."""
        self.platform = platform
        self._volumes = volumes

    @property
    def volumes(self) -> Any:
        if self._volumes is None:
            from onestack.volume.service.volumes import VolumeService

            self._volumes = VolumeService(self.platform)
        return self._volumes

    @property
    def visible_volume(self) -> Callable[..., Volume]:
        return self.volumes.visible_volume

    def is_admin(self, ctx: RequestContext) -> bool:
        return self.platform.policy.allowed("volume:context_is_admin", ctx)

    def run(self, ctx: RequestContext, volume_id: str, rule: str | None,
            step: Callable[[Session, Volume], T], *, agent: bool = False) -> T:
        """``step`` on the locked, visible volume after the policy check, in one
        transaction; with ``agent``, the volume's agent is woken after the commit."""
        hosts: list[str] = []

        def work(s: Session) -> T:
            vol = self.visible_volume(s, ctx, volume_id, lock=True)
            if rule:
                self.platform.policy.enforce(rule, ctx, {"project_id": vol.project_id})
            out = step(s, vol)
            hosts.append(vol.host)
            return out

        result = self.platform.db.write(work)
        if agent and hosts and hosts[0]:
            wake(self.platform.bus, hosts[0], volume_id)
        return result

    # --- the older attach API ---------------------------------------------------------
    def reserve(self, ctx: RequestContext, volume_id: str) -> None:
        def step(s: Session, vol: Volume) -> None:
            allowed = (st.AVAILABLE, st.IN_USE) if vol.multiattach else (st.AVAILABLE,)
            if vol.status not in allowed:
                raise ops.invalid_volume(f"Volume status must be {ops.or_list(allowed)} to "
                                         f"reserve, but the status is {vol.status}.")
            vol.status, vol.updated_at = st.ATTACHING, utcnow()

        self.run(ctx, volume_id, f"{ACTIONS}:reserve", step)

    def unreserve(self, ctx: RequestContext, volume_id: str) -> None:
        self.run(ctx, volume_id, f"{ACTIONS}:unreserve", _unreserve)

    def begin_detaching(self, ctx: RequestContext, volume_id: str) -> None:
        def step(s: Session, vol: Volume) -> None:
            if not (vol.status == st.IN_USE and vol.attach_status == st.ATTACHED
                    and vol.migration_status in (None, "", "error", "success")):
                raise ops.invalid_volume("Unable to detach volume. Volume status must be "
                                         "'in-use' and attach_status must be 'attached' "
                                         "to detach.")
            vol.status, vol.updated_at = st.DETACHING, utcnow()

        self.run(ctx, volume_id, f"{ACTIONS}:begin_detaching", step)

    def roll_detaching(self, ctx: RequestContext, volume_id: str) -> None:
        def step(s: Session, vol: Volume) -> None:
            if vol.status == st.DETACHING:
                vol.status, vol.updated_at = st.IN_USE, utcnow()

        self.run(ctx, volume_id, f"{ACTIONS}:roll_detaching", step)

    def attach(self, ctx: RequestContext, volume_id: str, body: dict[str, Any]) -> None:
        instance_uuid = ops.uuid_field("instance_uuid", body.get("instance_uuid"),
                                       required=False)
        host_name = ops.string_field("host_name", body.get("host_name"))
        mountpoint = ops.string_field("mountpoint", body.get("mountpoint"))
        mode = body.get("mode", "rw")
        if not instance_uuid and not host_name:
            raise BadRequest("Invalid request to attach volume to an invalid target")
        if mode not in ops.MODES:
            raise BadRequest("Invalid request to attach volume with an invalid mode. "
                             "Attaching mode should be 'rw' or 'ro'")

        def step(s: Session, vol: Volume) -> None:
            check_maintenance(vol, "cannot be attached")
            readonly = ops.set_admin_metadata(s, vol.id, "readonly", "False",
                                              overwrite=False)
            if readonly == "True" and mode != "ro":
                raise BadRequest(f"Invalid attaching mode '{mode}' for volume {vol.id}.")
            attach_legacy(s, vol, instance_uuid, host_name, mountpoint, mode)

        self.run(ctx, volume_id, f"{ACTIONS}:attach", step)

    def detach(self, ctx: RequestContext, volume_id: str, attachment_id: Any) -> None:
        def step(s: Session, vol: Volume) -> None:
            check_maintenance(vol, "cannot be detached")
            detach_legacy(s, vol, attachment_id)

        self.run(ctx, volume_id, f"{ACTIONS}:detach", step)

    def initialize_connection(self, ctx: RequestContext, volume_id: str,
                              connector: Any) -> dict[str, Any]:
        if not isinstance(connector, dict):
            raise BadRequest("Must specify 'connector'")

        def step(s: Session, vol: Volume) -> dict[str, Any]:
            check_maintenance(vol, "connection cannot be initialized")
            mode = "ro" if ops.is_readonly(s, vol.id) else "rw"
            return ops.connection_info(s, vol, mode)

        return self.run(ctx, volume_id, f"{ACTIONS}:initialize_connection", step)

    def terminate_connection(self, ctx: RequestContext, volume_id: str,
                             connector: Any) -> None:
        if not isinstance(connector, dict):
            raise BadRequest("Must specify 'connector'")
        # the file backend has nothing to undo for a host; then Cinder unreserves
        self.run(ctx, volume_id, f"{ACTIONS}:terminate_connection", _unreserve)

    # --- flags and image metadata -------------------------------------------------------
    def set_bootable(self, ctx: RequestContext, volume_id: str, body: Any) -> None:
        if not isinstance(body, dict) or "bootable" not in body:
            raise BadRequest("Must specify bootable in request.")
        bootable = parse_bool("bootable", body["bootable"])

        def step(s: Session, vol: Volume) -> None:
            check_maintenance(vol, "cannot be updated during maintenance; it is")
            vol.bootable, vol.updated_at = bootable, utcnow()

        self.run(ctx, volume_id, f"{ACTIONS}:set_bootable", step)

    def update_readonly_flag(self, ctx: RequestContext, volume_id: str, body: Any) -> None:
        if not isinstance(body, dict) or "readonly" not in body:
            raise BadRequest("Must specify readonly in request.")
        readonly = parse_bool("readonly", body["readonly"])

        def step(s: Session, vol: Volume) -> None:
            if vol.status != st.AVAILABLE:
                raise ops.invalid_volume(
                    f"Volume {vol.id} status must be available to update readonly flag, "
                    f"but current status is: {vol.status}.")
            ops.set_admin_metadata(s, vol.id, "readonly", str(readonly))
            vol.updated_at = utcnow()

        self.run(ctx, volume_id, "volume:update_readonly_flag", step)

    def show_image_metadata(self, ctx: RequestContext, volume_id: str) -> dict[str, str]:
        return self.run(ctx, volume_id, "volume_extension:volume_image_metadata:show",
                        lambda s, vol: image_metadata(s, vol.id))

    def set_image_metadata(self, ctx: RequestContext, volume_id: str, body: Any
                           ) -> dict[str, str]:
        if not isinstance(body, dict) or "metadata" not in body:
            raise BadRequest("Malformed request body: 'metadata' is a required property")
        metadata = check_metadata(body["metadata"])

        def step(s: Session, vol: Volume) -> dict[str, str]:
            if vol.status in (st.MAINTENANCE, st.UPLOADING):
                raise ops.invalid_volume("Updating volume metadata is not allowed for "
                                         f"volumes in {vol.status} status.")
            for key, value in metadata.items():
                row = s.get(VolumeImageMetadata, (vol.id, key))
                if row is None:
                    s.add(VolumeImageMetadata(volume_id=vol.id, key=key, value=value))
                else:
                    row.value = value
            s.flush()
            return image_metadata(s, vol.id)

        return self.run(ctx, volume_id, "volume_extension:volume_image_metadata:set", step)

    def unset_image_metadata(self, ctx: RequestContext, volume_id: str, body: Any) -> None:
        if not isinstance(body, dict) or not isinstance(body.get("key"), str):
            raise BadRequest("Malformed request body: 'key' is a required property")
        key = body["key"]

        def step(s: Session, vol: Volume) -> None:
            row = s.get(VolumeImageMetadata, (vol.id, key))
            if row is None:
                raise NotFound(f"Glance metadata for volume {vol.id} with key {key} "
                               "cannot be found.")
            s.delete(row)

        self.run(ctx, volume_id, "volume_extension:volume_image_metadata:remove", step)

    # --- admin actions --------------------------------------------------------------------
    def reset_status(self, ctx: RequestContext, volume_id: str, body: Any) -> None:
        if not isinstance(body, dict):
            raise BadRequest("Must specify 'status', 'attach_status' or 'migration_status' "
                             "for update.")
        status, attach = body.get("status"), body.get("attach_status")
        migration = body.get("migration_status")
        if status is None and attach is None and migration is None:
            raise BadRequest("Must specify 'status', 'attach_status' or 'migration_status' "
                             "for update.")
        if status is not None and (not isinstance(status, str)
                                   or status.lower() not in RESET_STATUSES):
            raise BadRequest("Must specify a valid status")
        if attach is not None and (not isinstance(attach, str)
                                   or attach.lower() not in RESET_ATTACH_STATUSES):
            raise BadRequest("Must specify a valid attach status")
        if migration is not None and (not isinstance(migration, str)
                                      or migration.lower() not in RESET_MIGRATION_STATUSES):
            raise BadRequest("Must specify a valid migration status")

        def step(s: Session, vol: Volume) -> None:
            if status is not None:
                vol.status = status.lower()
            if attach is not None:
                vol.attach_status = attach.lower()
                if vol.attach_status == st.DETACHED:
                    for att in ops.attachments_of(s, vol.id):
                        s.delete(att)
                    ops.set_admin_metadata(s, vol.id, "attached_mode", None)
            if migration is not None:
                vol.migration_status = None if migration.lower() == "none" \
                    else migration.lower()
            vol.updated_at = utcnow()

        self.run(ctx, volume_id, f"{ADMIN_ACTIONS}:reset_status", step)

    def force_detach(self, ctx: RequestContext, volume_id: str, body: Any) -> None:
        body = body if isinstance(body, dict) else {}
        attachment_id = body.get("attachment_id")

        def step(s: Session, vol: Volume) -> None:
            detach_legacy(s, vol, attachment_id, force=True)

        self.run(ctx, volume_id, f"{ADMIN_ACTIONS}:force_detach", step)

    def force_delete(self, ctx: RequestContext, volume_id: str) -> None:
        """The admin rule here, then the volumes area's delete without its status check
        (attached, migrating, grouped or snapshotted volumes are still refused)."""
        self.run(ctx, volume_id, f"{ADMIN_ACTIONS}:force_delete", lambda s, vol: None)
        self.volumes.delete(ctx, volume_id, force=True)


# --- steps shared with the seam ---------------------------------------------------------------
def _unreserve(s: Session, vol: Volume) -> None:
    if vol.status != st.ATTACHING:
        return  # Cinder: nothing to do for a volume that was not reserved
    attached = any(a.attach_status == st.ATTACHED for a in ops.attachments_of(s, vol.id))
    vol.status = st.IN_USE if attached else st.AVAILABLE
    vol.updated_at = utcnow()


def attach_legacy(s: Session, vol: Volume, instance_uuid: str | None,
                  host_name: str | None, mountpoint: str | None, mode: str) -> Attachment:
    """``os-attach`` as Cinder's volume manager does it (one step, no connector): a
    non-multiattach volume already in use by another server is refused; attaching the
    same server again answers the existing attachment."""
    existing = ops.instance_attachment(s, vol.id, instance_uuid, host_name)
    if existing is not None and existing.attach_status == st.ATTACHED:
        return existing
    if vol.status == st.IN_USE and not vol.multiattach and not vol.migration_status:
        raise ops.invalid_volume("volume is already attached")
    allowed = (st.AVAILABLE, st.ATTACHING, ops.RESERVED, st.IN_USE)
    if vol.status not in allowed:
        raise ops.invalid_volume(f"Volume {vol.id} status must be {ops.or_list(allowed)} "
                                 f"to attach, but the current status is {vol.status}.")
    att = existing
    if att is None:
        now = utcnow()
        att = Attachment(id=_new_id(), volume_id=vol.id, project_id=vol.project_id,
                         instance_uuid=instance_uuid, attached_host=host_name,
                         attach_status=st.ATTACHING, attach_mode=mode, created_at=now,
                         updated_at=now)
        s.add(att)
    att.attach_mode = mode
    ops.complete(s, vol, att, mountpoint=mountpoint)
    s.flush()
    return att


def detach_legacy(s: Session, vol: Volume, attachment_id: Any, *, force: bool = False
                  ) -> None:
    """``os-detach``: the named attachment (or the only one) goes; the volume's status
    follows what remains."""
    attachments = ops.attachments_of(s, vol.id)
    if attachment_id:
        found = [a for a in attachments if a.id == attachment_id]
        if not found:
            raise ops.attachment_not_found(str(attachment_id))
        att = found[0]
    elif len(attachments) > 1:
        raise ops.invalid_volume("Detach volume failed: More than one attachment, but no "
                                 "attachment_id provided.")
    elif attachments:
        att = attachments[0]
    else:
        ops.settle_status(s, vol, [])
        return
    att.detach_time = utcnow()
    ops.remove(s, vol, att)


def type_name(s: Session, type_id: str | None) -> str | None:
    from onestack.volume.models.types import VolumeType

    row = s.get(VolumeType, type_id) if type_id else None
    return row.name if row is not None else None


def image_metadata(s: Session, volume_id: str) -> dict[str, str]:
    return {r.key: r.value for r in s.scalars(
        sa.select(VolumeImageMetadata).where(VolumeImageMetadata.volume_id == volume_id))}


def _new_id() -> str:
    import uuid

    return str(uuid.uuid4())

"""The attach steps every caller shares — the attachments API (3.27+), the older volume
actions (``os-reserve``, ``os-attach``, ``os-detach``, …) and compute's seam — as functions
over one ``Session``: no policy here (the callers check it), no commit (the caller's
transaction), no I/O (connection info is computed from the backend row and the volume's
``provider_location``; the file backend needs nothing else).

Statuses move as Cinder shows them: a volume is ``reserved`` once an attachment is
reserved, ``attaching`` once a connector is given, ``in-use`` once an attachment is
complete; removing the last attachment leaves it ``available``/``detached``. The volume's
status after a removal is derived from what attachments remain (attached > attaching >
detaching > reserved), so the order in which a multiattach volume's attachments go does
not matter.
"""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.db import utcnow
from onestack.core.errors import BadRequest, NotFound
from onestack.volume import states as st
from onestack.volume.models.volumes import Attachment, Volume, VolumeAdminMetadata

RESERVED = "reserved"  # an attachment's (and a volume's) status before a connector comes
MODES = ("rw", "ro")


def invalid_volume(reason: str) -> BadRequest:
    """Cinder's ``InvalidVolume`` (400)."""
    return BadRequest(f"Invalid volume: {reason}")


def uuid_field(field: str, value: Any, *, required: bool = True) -> str | None:
    """Cinder's ``parameter_types.uuid``: a string UUID (``None`` allowed when optional)."""
    if value is None and not required:
        return None
    try:
        return str(uuid.UUID(value)) if isinstance(value, str) else _bad_uuid(field, value)
    except ValueError:
        return _bad_uuid(field, value)


def _bad_uuid(field: str, value: Any) -> str:
    raise BadRequest(f"Invalid input for field/attribute {field}. Value: {value}. "
                     f"{value!r} is not a 'uuid'")


def string_field(field: str, value: Any, *, max_length: int = 255) -> str | None:
    """An optional string of at most ``max_length`` characters."""
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > max_length:
        raise BadRequest(f"Invalid input for field/attribute {field}. Value: {value}. "
                         f"{value!r} is not a string of at most {max_length} characters")
    return value


def attachment_not_found(attachment_id: str) -> NotFound:
    return NotFound(f"Volume attachment could not be found with filter: attachment_id = "
                    f"{attachment_id}.")


def iso(moment: datetime | None) -> str | None:
    """Cinder's timestamps: ``2026-11-27T19:07:05.000000`` (no zone)."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f") if moment else None


def or_list(values: tuple[str, ...] | list[str]) -> str:
    """Cinder's ``build_or_str``: ``available or in-use``."""
    return " or ".join(values)


# --- admin metadata (readonly, attached_mode) -------------------------------------------
def admin_metadata(s: Session, volume_id: str) -> dict[str, str]:
    return {r.key: r.value for r in s.scalars(
        sa.select(VolumeAdminMetadata).where(VolumeAdminMetadata.volume_id == volume_id))}


def set_admin_metadata(s: Session, volume_id: str, key: str, value: str | None,
                       *, overwrite: bool = True) -> str | None:
    """Set (``None``: remove) one admin metadata key; returns the value now in force."""
    row = s.get(VolumeAdminMetadata, (volume_id, key))
    if value is None:
        if row is not None:
            s.delete(row)
        return None
    if row is None:
        s.add(VolumeAdminMetadata(volume_id=volume_id, key=key, value=value))
        return value
    if overwrite:
        row.value = value
    return row.value


def is_readonly(s: Session, volume_id: str) -> bool:
    row = s.get(VolumeAdminMetadata, (volume_id, "readonly"))
    return row is not None and row.value == "True"


# --- lookups ------------------------------------------------------------------------------
def attachments_of(s: Session, volume_id: str) -> list[Attachment]:
    return list(s.scalars(sa.select(Attachment).where(Attachment.volume_id == volume_id)
                          .order_by(Attachment.created_at, Attachment.id)))


def get_attachment(s: Session, attachment_id: str, *, project_id: str | None = None,
                   lock: bool = False) -> Attachment:
    """The attachment; 404 when missing or (``project_id`` given) another project's."""
    query = sa.select(Attachment).where(Attachment.id == attachment_id)
    if lock:
        query = query.with_for_update()
    row = s.scalar(query)
    if row is None or (project_id is not None and row.project_id != project_id):
        raise attachment_not_found(attachment_id)
    return row


def lock_volume(s: Session, volume_id: str) -> Volume:
    row = s.scalar(sa.select(Volume).where(Volume.id == volume_id).with_for_update())
    if row is None:
        raise NotFound(f"Volume {volume_id} could not be found.")
    return row


# --- connection info ----------------------------------------------------------------------
def connection_info(s: Session, vol: Volume, mode: str) -> dict[str, Any]:
    """What the volume's backend driver answers to ``initialize_connection``, computed
    without I/O (``drivers.base.connection_info``) from the backend row's driver and the
    volume's ``provider_location``; 400 when the volume has no bytes on a backend yet."""
    from onestack.volume.drivers.base import VolumeDriverError
    from onestack.volume.drivers.base import connection_info as driver_answer
    from onestack.volume.models.backends import Backend

    backend = s.get(Backend, vol.host) if vol.host else None
    driver = backend.driver if backend is not None else ""
    try:
        info = driver_answer(driver, vol.id, vol.provider_location, mode)
    except VolumeDriverError as exc:
        raise invalid_volume(f"Unable to initialize the connection of volume {vol.id}: "
                             f"{exc}") from exc
    info.setdefault("data", {})
    info["data"].setdefault("access_mode", mode)
    info["data"].setdefault("qos_specs", None)
    info.setdefault("serial", vol.id)
    return info


def connector_mode(connector: dict[str, Any] | None, default: str = "rw") -> str:
    mode = (connector or {}).get("mode") or default
    return mode if mode in MODES else default


# --- the steps ------------------------------------------------------------------------------
def check_not_error(vol: Volume, verb: str = "created") -> None:
    if "error" in vol.status:
        raise invalid_volume(f"Volume attachments can not be {verb} if the volume is in an "
                             f"error state. The Volume {vol.id} currently has a status of: "
                             f"{vol.status} ")


def reserve(s: Session, vol: Volume, instance_uuid: str | None, project_id: str,
            *, attached_host: str | None = None) -> Attachment:
    """A new attachment in ``reserved`` and the volume ``reserved`` (Cinder's
    ``_attachment_reserve``). A non-multiattach volume must be ``available``; a
    multiattach one may already be ``in-use`` or ``reserved``. A second attachment of the
    same server to the same volume (a server moving hosts) is allowed."""
    allowed: tuple[str, ...] = ((st.AVAILABLE, st.IN_USE, RESERVED) if vol.multiattach
                                else (st.AVAILABLE,))
    if vol.status in allowed:
        vol.status = RESERVED if vol.status == st.AVAILABLE else vol.status
    elif not (instance_uuid and vol.status in (st.IN_USE, RESERVED) and any(
            a.instance_uuid == instance_uuid for a in attachments_of(s, vol.id))):
        raise invalid_volume(f"Volume {vol.id} status must be {or_list(allowed)} to reserve, "
                             f"but the current status is {vol.status}.")
    if vol.attach_status == st.DETACHED:
        vol.attach_status = RESERVED
    now = utcnow()
    row = Attachment(id=str(uuid.uuid4()), volume_id=vol.id, project_id=project_id,
                     instance_uuid=instance_uuid, attached_host=attached_host,
                     attach_status=RESERVED, attach_mode="null", created_at=now,
                     updated_at=now)
    s.add(row)
    vol.updated_at = now
    s.flush()
    return row


def connect(s: Session, vol: Volume, att: Attachment, connector: dict[str, Any],
            mode: str | None = None) -> dict[str, Any]:
    """Record the connector on the attachment and answer its connection info; the
    attachment and the volume go ``attaching`` (unless the volume is already attached
    elsewhere, a multiattach volume staying ``in-use``)."""
    if not isinstance(connector, dict):
        raise BadRequest("Invalid input for field/attribute connector. Value: "
                         f"{connector}. {connector!r} is not of type 'object'")
    host = string_field("connector.host", connector.get("host"))
    mountpoint = string_field("connector.mountpoint", connector.get("mountpoint"))
    check_not_error(vol, "updated")
    others = [a for a in attachments_of(s, vol.id) if a.id != att.id]
    if others and not vol.multiattach:
        hosts = {(a.connector or {}).get("host") for a in others if a.connection_info}
        if hosts and host not in hosts:
            raise invalid_volume(f"duplicate connectors detected on volume {vol.id}")
    if is_readonly(s, vol.id):
        mode = "ro"
    mode = mode if mode in MODES else connector_mode(connector,
                                                    att.attach_mode if att.attach_mode
                                                    in MODES else "rw")
    info = connection_info(s, vol, mode)
    att.connector = dict(connector)
    att.connection_info = info
    att.attach_mode = mode
    att.attached_host = host or att.attached_host
    att.mountpoint = mountpoint or att.mountpoint
    if att.attach_status != st.ATTACHED:
        att.attach_status = st.ATTACHING
    att.updated_at = utcnow()
    if vol.status in (st.AVAILABLE, RESERVED):
        vol.status = st.ATTACHING
    if vol.attach_status in (st.DETACHED, RESERVED):
        vol.attach_status = st.ATTACHING
    vol.updated_at = att.updated_at
    return info


def complete(s: Session, vol: Volume, att: Attachment, *, mountpoint: str | None = None,
             now: datetime | None = None) -> None:
    """The attachment is in use: attachment ``attached``, volume ``in-use``/``attached``,
    admin metadata ``attached_mode``."""
    now = now or utcnow()
    att.attach_status = st.ATTACHED
    att.attach_time = att.attach_time or now
    if mountpoint:
        att.mountpoint = mountpoint
    if att.attach_mode not in MODES:
        att.attach_mode = "ro" if is_readonly(s, vol.id) else "rw"
    att.updated_at = now
    vol.status, vol.attach_status = st.IN_USE, st.ATTACHED
    vol.updated_at = now
    set_admin_metadata(s, vol.id, "attached_mode", att.attach_mode)


def remove(s: Session, vol: Volume, att: Attachment) -> list[Attachment]:
    """Drop the attachment; the volume's status follows what remains (attached >
    attaching > detaching > reserved, else ``available``/``detached``). Returns the
    remaining attachments."""
    s.delete(att)
    s.flush()
    remaining = attachments_of(s, vol.id)
    settle_status(s, vol, remaining)
    return remaining


def settle_status(s: Session, vol: Volume, remaining: list[Attachment]) -> None:
    pending = {a.attach_status for a in remaining}
    for status, volume_status in ((st.ATTACHED, st.IN_USE), (st.ATTACHING, st.ATTACHING),
                                  (st.DETACHING, st.DETACHING), (RESERVED, RESERVED)):
        if status in pending:
            vol.attach_status = status
            vol.status = volume_status if vol.status not in (st.ERROR,) else vol.status
            break
    else:
        vol.attach_status = st.DETACHED
        if vol.status in (st.IN_USE, st.ATTACHING, st.DETACHING, RESERVED, st.ERROR):
            vol.status = st.AVAILABLE
        set_admin_metadata(s, vol.id, "attached_mode", None)
    vol.updated_at = utcnow()


def instance_attachment(s: Session, volume_id: str, instance_uuid: str | None,
                        host_name: str | None) -> Attachment | None:
    for att in attachments_of(s, volume_id):
        if instance_uuid and att.instance_uuid == instance_uuid:
            return att
        if not instance_uuid and host_name and att.attached_host == host_name \
                and att.instance_uuid is None:
            return att
    return None

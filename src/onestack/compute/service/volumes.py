"""A server's volumes, as Nova offers them: ``os-volume_attachments`` (list, show, attach,
update, detach) and the block device mappings a boot asks for. The API validates, reserves
the volume through the volume seam and writes a ``BlockDevice`` row with the wanted state;
the host agent (``compute.agent.volumes``) connects the volume and hands it to the guest.
Compute never reads the volume service's tables: everything goes through
``platform.seams["volume"]`` (``onestack.volume.seam.VolumeSeam``)."""
from __future__ import annotations

import string
import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.compute import models as cm
from onestack.compute import states as st
from onestack.compute.service.servers import Deps, check_lock, visible_instance
from onestack.compute.volume_models import (ATTACHED, CREATING, DETACHING, RESERVED,
                                            BlockDevice)
from onestack.core.context import RequestContext
from onestack.core.db import utcnow
from onestack.core.errors import BadRequest, Conflict, NotFound

RULE = "os_compute_api:os-volumes-attachments:"
ROOT_DEVICE = "/dev/vda"
# vm states a volume may be attached to or detached from (Nova's check_instance_state)
ATTACHABLE = frozenset({st.ACTIVE, st.PAUSED, st.STOPPED, st.SUSPENDED, st.SHELVED,
                        st.SHELVED_OFFLOADED, st.RESIZED, st.SOFT_DELETED})


@dataclass
class Requested:
    """One block device mapping of a boot, validated (Nova's BDM v2 fields)."""

    source_type: str
    destination_type: str
    uuid: str | None
    boot_index: int | None
    volume_size: int | None = None
    delete_on_termination: bool = False
    device_name: str | None = None
    tag: str | None = None
    volume_type: str | None = None


def seam_of(deps: Deps) -> Any:
    seam = getattr(deps, "volume", None)
    if seam is None:
        raise BadRequest("Block device mapping is not available: no volume service.")
    return seam


# --- reads ------------------------------------------------------------------------------
def rows_of(s: Session, instance_id: str) -> list[BlockDevice]:
    return list(s.scalars(sa.select(BlockDevice).where(
        BlockDevice.instance_id == instance_id).order_by(BlockDevice.created_at,
                                                         BlockDevice.id)))


def attached_of(s: Session, instance_ids: list[str]) -> dict[str, list[tuple[str, bool]]]:
    """``os-extended-volumes:volumes_attached`` of each server: (volume id,
    delete_on_termination), boot order first."""
    out: dict[str, list[tuple[str, bool]]] = {i: [] for i in instance_ids}
    for chunk in range(0, len(instance_ids), 500):
        rows = s.scalars(sa.select(BlockDevice).where(
            BlockDevice.instance_id.in_(instance_ids[chunk:chunk + 500]),
            BlockDevice.volume_id.is_not(None)).order_by(BlockDevice.created_at,
                                                        BlockDevice.id))
        for row in rows:
            out[row.instance_id].append((row.volume_id, bool(row.delete_on_termination)))
    return out


def volumes_attached(deps: Deps, instance_ids: list[str]) -> dict[str, list[tuple[str, bool]]]:
    if not instance_ids:
        return {}
    return deps.db.read(lambda s: attached_of(s, instance_ids))


def list_attachments(deps: Deps, ctx: RequestContext, server_id: str) -> list[BlockDevice]:
    def work(s: Session) -> list[BlockDevice]:
        inst = visible_instance(deps, s, ctx, server_id, RULE + "index")
        return [r for r in rows_of(s, inst.id) if r.volume_id]
    return deps.db.read(work)


def _row(s: Session, instance_id: str, volume_id: str, lock: bool = False) -> BlockDevice:
    q = sa.select(BlockDevice).where(BlockDevice.instance_id == instance_id,
                                     BlockDevice.volume_id == volume_id)
    row = s.scalar(q.with_for_update() if lock else q)
    if row is None:
        raise NotFound(f"Instance {instance_id} is not attached.")
    return row


def show_attachment(deps: Deps, ctx: RequestContext, server_id: str,
                    volume_id: str) -> BlockDevice:
    def work(s: Session) -> BlockDevice:
        inst = visible_instance(deps, s, ctx, server_id, RULE + "show")
        return _row(s, inst.id, volume_id)
    return deps.db.read(work)


# --- attach / detach ----------------------------------------------------------------------
def _check_state(inst: cm.Instance, method: str) -> None:
    if inst.task_state is not None:
        raise Conflict(f"Cannot '{method}' instance {inst.id} while it is in task_state "
                       f"{inst.task_state}")
    if inst.vm_state not in ATTACHABLE:
        raise Conflict(f"Cannot '{method}' instance {inst.id} while it is in vm_state "
                       f"{inst.vm_state}")


def next_device(used: set[str], wanted: str | None = None) -> str:
    """``wanted`` when free, else the first free ``/dev/vdX`` after the root disk."""
    if wanted:
        name = wanted if wanted.startswith("/dev/") else "/dev/" + wanted
        if name not in used:
            return name
    for letter in string.ascii_lowercase[1:]:
        name = "/dev/vd" + letter
        if name not in used:
            return name
    raise BadRequest("No free disk device names for prefix 'vd'")


def attach(deps: Deps, ctx: RequestContext, server_id: str, volume_id: str, *,
           device: str | None = None, tag: str | None = None,
           delete_on_termination: bool = False) -> BlockDevice:
    """Reserve the volume for the server (the volume seam's 404/400 answer as they are),
    then write the mapping the server's host agent connects; a server that runs nowhere
    (shelved offloaded) gets the volume at once, as Nova attaches it."""
    seam = seam_of(deps)
    rule = RULE + "create"

    def check(s: Session) -> None:
        inst = visible_instance(deps, s, ctx, server_id, rule)
        check_lock(deps, ctx, inst)
        _check_state(inst, "attach_volume")
        if s.scalar(sa.select(BlockDevice.id).where(BlockDevice.instance_id == inst.id,
                                                    BlockDevice.volume_id == volume_id)):
            raise BadRequest(f"Invalid volume: volume {volume_id} already attached")
    deps.db.read(check)
    attachment_id = seam.reserve(ctx, volume_id, server_id)

    def work(s: Session) -> tuple[BlockDevice, str | None]:
        inst = visible_instance(deps, s, ctx, server_id, rule, lock=True)
        _check_state(inst, "attach_volume")
        used = {r.device_name for r in rows_of(s, inst.id) if r.device_name}
        used.add(ROOT_DEVICE)
        row = BlockDevice(id=str(uuid.uuid4()), instance_id=inst.id, source_type="volume",
                          uuid=volume_id, volume_id=volume_id, boot_index=None,
                          device_name=next_device(used, device), tag=tag,
                          delete_on_termination=bool(delete_on_termination),
                          attachment_id=attachment_id, state=RESERVED,
                          created_at=utcnow())
        if not inst.host:
            row.state = ATTACHED
        s.add(row)
        return row, inst.host

    try:
        row, host = deps.db.write(work)
    except Exception:
        seam.detach(ctx, attachment_id)  # roll the reservation back
        raise
    if host:
        deps.bus.notify("compute." + host, server_id)
    else:
        seam.complete(None, attachment_id)
    return row


def detach(deps: Deps, ctx: RequestContext, server_id: str, volume_id: str) -> None:
    """Ask the host agent to take the volume from the guest (root disks stay: 400)."""
    seam = seam_of(deps)

    def work(s: Session) -> tuple[str | None, BlockDevice | None]:
        inst = visible_instance(deps, s, ctx, server_id, RULE + "delete", lock=True)
        check_lock(deps, ctx, inst)
        _check_state(inst, "detach_volume")
        row = _row(s, inst.id, volume_id, lock=True)
        if row.boot_index == 0:
            raise BadRequest("Cannot detach a root device volume")
        if row.state == DETACHING:
            return None, None
        if not inst.host or row.attachment_id is None:
            s.delete(row)
            return None, row
        row.state = DETACHING
        return inst.host, None

    host, gone = deps.db.write(work)
    if host:
        deps.bus.notify("compute." + host, server_id)
    elif gone is not None and gone.attachment_id:
        seam.detach(None, gone.attachment_id)


def update(deps: Deps, ctx: RequestContext, server_id: str, volume_id: str,
           new_volume_id: str, delete_on_termination: bool | None) -> BlockDevice:
    """PUT (2.85): ``delete_on_termination`` of the attached volume. Swapping to another
    volume (admin) is not offered yet: 400 once the request is otherwise valid (the
    server and the attached volume found, as Nova checks them first)."""
    swap = new_volume_id != volume_id
    rule = RULE + ("swap" if swap else "update")

    def work(s: Session) -> BlockDevice:
        inst = visible_instance(deps, s, ctx, server_id, rule, lock=True)
        check_lock(deps, ctx, inst)
        _check_state(inst, "swap_volume" if swap else "update_volume")
        row = _row(s, inst.id, volume_id, lock=True)
        if swap:
            raise BadRequest("Swapping a volume is not supported by this cloud.")
        if delete_on_termination is not None:
            row.delete_on_termination = bool(delete_on_termination)
        return row
    return deps.db.write(work)


# --- block device mappings of a boot ---------------------------------------------------------
def check_boot_volumes(deps: Deps, ctx: RequestContext, requested: list[Requested],
                       count: int) -> None:
    """What Nova checks before accepting a boot: existing volumes visible (else 400) and
    free; one server only when an existing volume is mapped; snapshots visible (a volume
    made from one is the snapshot's size unless a size was asked)."""
    if not requested:
        return
    seam = seam_of(deps)
    for bdm in requested:
        if bdm.source_type == "snapshot":
            try:
                snap = seam.get_snapshot(ctx, bdm.uuid)
            except NotFound as exc:
                raise BadRequest(f"Block Device Mapping is Invalid: failed to get snapshot "
                                 f"{bdm.uuid}.") from exc
            bdm.volume_size = bdm.volume_size or int(snap["size"])
        if bdm.source_type != "volume":
            continue
        if count > 1:
            raise BadRequest("Cannot attach one or more volumes to multiple instances")
        try:
            vol = seam.get(ctx, bdm.uuid)
        except NotFound as exc:
            raise BadRequest(f"Block Device Mapping is Invalid: failed to get volume "
                             f"{bdm.uuid}.") from exc
        if vol["status"] != "available" and not (vol["multiattach"] and
                                                 vol["status"] == "in-use"):
            raise BadRequest(f"Invalid volume: volume '{bdm.uuid}' status must be "
                             f"'available'. Currently in '{vol['status']}'")
        if bdm.boot_index == 0 and str(vol.get("bootable")).lower() not in ("true", "1"):
            raise BadRequest(f"Block Device {bdm.uuid} is not bootable.")


def record(s: Session, inst: cm.Instance, requested: list[Requested]) -> None:
    """The boot's mappings as rows: volumes to make are ``creating``, existing ones
    ``reserved`` (the host agent reserves them; the API checked they were free)."""
    used = {ROOT_DEVICE}
    now = utcnow()
    ordered = sorted(requested, key=lambda b: (b.boot_index is None or b.boot_index < 0,
                                               b.boot_index or 0))
    for bdm in ordered:
        if bdm.destination_type != "volume":
            continue
        if bdm.boot_index == 0:
            device = ROOT_DEVICE
        else:
            device = next_device(used, bdm.device_name)
            used.add(device)
        existing = bdm.source_type == "volume"
        s.add(BlockDevice(
            id=str(uuid.uuid4()), instance_id=inst.id, source_type=bdm.source_type,
            uuid=bdm.uuid, volume_id=bdm.uuid if existing else None,
            volume_size=bdm.volume_size, volume_type=bdm.volume_type,
            boot_index=bdm.boot_index if bdm.boot_index is not None and bdm.boot_index >= 0
            else None, device_name=device, tag=bdm.tag,
            delete_on_termination=bool(bdm.delete_on_termination), attachment_id=None,
            state=RESERVED if existing else CREATING, created_at=now))
        # rows of one boot keep their order: created_at ties are broken by id, so space them
        now = now.replace(microsecond=min(now.microsecond + 1, 999999))


def release_all(deps: Deps, server_id: str) -> None:
    """A server deleted where it ran nowhere: its attachments go, the
    ``delete_on_termination`` volumes are deleted, the rows go."""
    seam = getattr(deps, "volume", None)
    if seam is None:
        return
    drop(deps.db, seam, server_id)


def drop(db: Any, seam: Any, server_id: str) -> None:
    """Every attachment of the server and the rows (agent and API alike; idempotent)."""
    rows = db.read(lambda s: rows_of(s, server_id))
    doomed = [r.volume_id for r in rows if r.volume_id and r.delete_on_termination]
    seam.terminate(None, server_id, doomed)

    def work(s: Session) -> None:
        s.execute(sa.delete(BlockDevice).where(BlockDevice.instance_id == server_id))
    db.write(work)


# --- os-assisted-volume-snapshots ---------------------------------------------------------------
def require_mapped(deps: Deps, ctx: RequestContext, volume_id: str, rule: str) -> str:
    """The server a volume is mapped to (the assisted snapshot's subject); 404 when none.
    The snapshot itself is the hypervisor's work on the volume's file chain: the fake
    driver keeps no chain, so nothing more happens here."""
    deps.enforce(rule, ctx)

    def work(s: Session) -> str:
        found = s.scalar(sa.select(BlockDevice.instance_id).where(
            BlockDevice.volume_id == volume_id).limit(1))
        if found is None:
            raise NotFound(f"No volume Block Device Mapping with id {volume_id}.")
        return found
    return deps.db.read(work)

"""Images of volume-backed servers, as Nova makes and boots them ("image-defined block
device mappings").

``createImage`` of a server whose root disk is a volume stores no bytes: each of its
volumes is snapshotted through the volume seam, and the image — active at once, size 0 —
maps those snapshots in its properties: ``block_device_mapping`` (a JSON list of BDM v2
entries with ``source_type`` snapshot), ``bdm_v2`` and ``root_device_name``. No task goes
to the host agent. Deleting the image leaves the snapshots (their owner deletes them).

A boot from such an image (as ``imageRef``, or as the image of an image-to-volume root
mapping) gets the image's mappings merged under the request's own (a request mapping
overrides the image's on the same device; the image's root replaces a requested image
root), so its volumes are made from the snapshots instead of from the image's bytes.

The volume seam writes in transactions of its own, so the snapshots are taken between the
read that checks the request and the write that records the action and the image; when
that write fails they are taken back.
"""
from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.compute import images
from onestack.compute.service import volumes
from onestack.compute.service.actions import (ActionSpec, Outcome, Step, StepFn,
                                              check_admissible, request_action)
from onestack.compute.service.servers import Deps, visible_instance
from onestack.compute.volume_models import BlockDevice
from onestack.core.context import RequestContext
from onestack.core.errors import BadRequest, Forbidden, PayloadTooLarge

ALLOW_RULE = "os_compute_api:servers:create_image:allow_volume_backed"
# a volume's image metadata keys that are image attributes, not properties
VOLUME_IMAGE_ATTRIBUTES = frozenset(("image_id", "image_name", "size", "checksum",
                                     "container_format", "disk_format", "min_ram",
                                     "min_disk"))
# properties a snapshot never inherits (Nova's defaults)
NOT_INHERITED = frozenset(("cinder_encryption_key_id", "cinder_encryption_key_deletion_policy",
                           "img_signature", "img_signature_hash_method",
                           "img_signature_key_type", "img_signature_certificate_uuid",
                           "cache_in_nova", "bittorrent", "block_device_mapping", "bdm_v2",
                           "root_device_name"))
# every field of an image's BDM v2 entry, as Nova writes them (unused ones null)
MAPPING_FIELDS = ("source_type", "destination_type", "guest_format", "device_type",
                  "disk_bus", "boot_index", "device_name", "delete_on_termination",
                  "snapshot_id", "volume_id", "volume_size", "image_id", "no_device", "tag",
                  "volume_type", "encrypted", "encryption_secret_uuid", "encryption_format",
                  "encryption_options")


def is_volume_backed(s: Session, instance_id: str) -> bool:
    """Whether the server's root disk is a volume (a mapping at boot index 0)."""
    return s.scalar(sa.select(BlockDevice.id).where(
        BlockDevice.instance_id == instance_id, BlockDevice.boot_index == 0).limit(1)) \
        is not None


# --- createImage -------------------------------------------------------------------------
def create_image(deps: Deps, ctx: RequestContext, sid: str, spec: ActionSpec,
                 step: StepFn | None, args: Any, version: tuple[int, int]) -> Outcome:
    """``createImage``: a volume-backed server's image maps snapshots of its volumes; any
    other server's goes the usual way (``step``: its host agent stores the disk)."""
    def check(s: Session) -> list[BlockDevice] | None:
        inst = visible_instance(deps, s, ctx, sid, spec.rule)
        if not is_volume_backed(s, inst.id):
            return None
        deps.enforce(ALLOW_RULE, ctx, inst)
        check_admissible(deps, ctx, inst, spec)
        if not args["name"].strip():
            raise BadRequest("createImage requires a 'name' of 1 to 255 characters.")
        return [r for r in volumes.rows_of(s, inst.id) if r.volume_id]

    rows = deps.db.read(check)
    if rows is None:
        return request_action(deps, ctx, sid, spec, step, args, version)
    seam = volumes.seam_of(deps)
    made: list[str] = []
    try:
        mapping, root = [], None
        for row in rows:
            vol = seam.get(ctx, row.volume_id)
            snap = seam.create_snapshot(ctx, row.volume_id, name=f"snapshot for {args['name']}",
                                        description=vol.get("description"))
            made.append(snap["id"])
            mapping.append(snapshot_mapping(row, snap["id"], int(vol["size"])))
            if row.boot_index == 0:
                root = vol
        properties = image_properties(root or {}, mapping, args.get("metadata") or {})

        def register(step: Step) -> None:
            meta = (root or {}).get("volume_image_metadata") or {}
            step.data = images.create_volume_backed(
                step.s, name=args["name"], owner=ctx.project_id,
                min_disk=max(_int(meta.get("min_disk")), int(step.inst.flavor.get("disk", 0))),
                min_ram=_int(meta.get("min_ram")), properties=properties)

        return request_action(deps, ctx, sid, replace(spec, task=None, wake=None), register,
                              args, version)
    except PayloadTooLarge as exc:
        _discard(seam, made)
        raise Forbidden("Quota exceeded for resources: snapshots") from exc
    except BaseException:
        _discard(seam, made)
        raise


def _discard(seam: Any, snapshot_ids: list[str]) -> None:
    for snapshot_id in snapshot_ids:
        seam.discard_snapshot(snapshot_id)


def _int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def snapshot_mapping(row: BlockDevice, snapshot_id: str, size: int) -> dict[str, Any]:
    """The image's BDM v2 entry for a volume snapshotted as ``snapshot_id``."""
    entry: dict[str, Any] = dict.fromkeys(MAPPING_FIELDS)
    entry.update(source_type="snapshot", destination_type="volume", snapshot_id=snapshot_id,
                 boot_index=row.boot_index, delete_on_termination=bool(
                     row.delete_on_termination), volume_size=size,
                 device_name=row.device_name, device_type="disk")
    return entry


def image_properties(root: dict[str, Any], mapping: list[dict[str, Any]],
                     metadata: dict[str, Any]) -> dict[str, str]:
    """What the image says: the root volume's image properties it may inherit, the
    caller's ``metadata`` over them, and the mapping."""
    inherited = {k: v for k, v in (root.get("volume_image_metadata") or {}).items()
                 if k not in VOLUME_IMAGE_ATTRIBUTES and k not in NOT_INHERITED and
                 not k.startswith("os_glance")}
    props = {**inherited, **{k: str(v) for k, v in metadata.items()},
             "root_device_name": volumes.ROOT_DEVICE}
    if mapping:
        props["block_device_mapping"] = json.dumps(mapping)
        props["bdm_v2"] = "True"
    return props


# --- a boot from such an image -------------------------------------------------------------
def defined_by(image: dict[str, Any] | None) -> list[volumes.Requested]:
    """The volume mappings an image's properties define (none for an ordinary image)."""
    raw = (image or {}).get("block_device_mapping")
    try:
        entries = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        return []
    if not isinstance(entries, list):
        return []
    v2 = str((image or {}).get("bdm_v2", "")).lower() in ("true", "1", "yes")
    root = _device((image or {}).get("root_device_name") or volumes.ROOT_DEVICE)
    out = []
    for entry in entries:
        if not isinstance(entry, dict) or entry.get("no_device"):
            continue
        found = _v2(entry) if v2 else _legacy(entry, root)
        if found is not None:
            out.append(found)
    return out


def _device(name: Any) -> str | None:
    if not isinstance(name, str) or not name:
        return None
    return name if name.startswith("/dev/") else "/dev/" + name


def _size(value: Any) -> int | None:
    return _int(value) or None


def _v2(entry: dict[str, Any]) -> volumes.Requested | None:
    if entry.get("destination_type") != "volume":
        return None  # local disks (swap, ephemeral) come from the flavor here
    source = entry.get("source_type")
    ident = {"snapshot": entry.get("snapshot_id"), "volume": entry.get("volume_id"),
             "image": entry.get("image_id")}.get(source)
    if source not in ("snapshot", "volume", "image", "blank") or \
            (source != "blank" and not ident):
        return None
    boot = entry.get("boot_index")
    boot_index = None if boot in (None, "", "none", "None") else _int(boot)
    return volumes.Requested(source, "volume", ident, boot_index,
                             _size(entry.get("volume_size")),
                             bool(entry.get("delete_on_termination")),
                             _device(entry.get("device_name")), entry.get("tag"),
                             entry.get("volume_type"))


def _legacy(entry: dict[str, Any], root: str | None) -> volumes.Requested | None:
    """A pre-v2 entry (``snapshot_id`` or ``volume_id`` on a device)."""
    ident = entry.get("snapshot_id") or entry.get("volume_id")
    if not ident:
        return None
    device = _device(entry.get("device_name"))
    return volumes.Requested("snapshot" if entry.get("snapshot_id") else "volume", "volume",
                             ident, 0 if device and device == root else None,
                             _size(entry.get("volume_size")),
                             bool(entry.get("delete_on_termination")), device)


def merged(defined: list[volumes.Requested], requested: list[volumes.Requested]
           ) -> list[volumes.Requested]:
    """The request's mappings over the image's: the image's root replaces a requested
    image root; a request mapping on a device overrides the image's on it."""
    if any(b.boot_index == 0 for b in defined):
        requested = [b for b in requested
                     if not (b.boot_index == 0 and b.source_type == "image")]
    taken = {_device(b.device_name) for b in requested if b.device_name}
    return requested + [b for b in defined if b.device_name is None or
                        b.device_name not in taken]


def boot_mappings(deps: Deps, ctx: RequestContext, image_ref: str,
                  requested: list[volumes.Requested]) -> list[volumes.Requested]:
    """A boot's volume mappings once its image's own are merged in: the image is the
    ``imageRef``, or else the image of a requested image-to-volume root."""
    ref = image_ref or next((b.uuid for b in requested if b.boot_index == 0 and
                             b.source_type == "image" and b.uuid), "")
    if not ref:
        return requested
    image = deps.db.read(lambda s: images.find_image(s, ref, ctx.project_id,
                                                     deps.is_admin(ctx)))
    defined = defined_by(image)
    return merged(defined, requested) if defined else requested

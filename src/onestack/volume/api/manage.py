"""Manage/unmanage (admin): ``POST /os-volume-manage``, ``POST /os-snapshot-manage``, and
the ``os-unmanage`` action of volumes (served on ``/volumes/{id}/action`` through
``volume_actions``) and of snapshots (in ``api.snapshots``). The use cases are in
``volume.service.manage``."""
from __future__ import annotations

from functools import partial
from typing import Any, Callable

from onestack.core.errors import BadRequest
from onestack.core.http import Call, Reply
from onestack.volume.api.common import Cinder, VolumeRoutes
from onestack.volume.api.snapshots import detail as snapshot_view
from onestack.volume.api.snapshots import parse_bool
from onestack.volume.service.manage import ManageService
from onestack.volume.service.snapshots import check_metadata


def manage_service(c: Cinder) -> ManageService:
    return c.service("manage", ManageService)


def _text(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is not None and (not isinstance(value, str) or len(value) > 255):
        raise BadRequest(f"Invalid input for field/attribute {key}. Value: {value}.")
    return value


def _part(call: Call, key: str) -> dict[str, Any]:
    body = call.json
    if not isinstance(body, dict) or not isinstance(body.get(key), dict):
        raise BadRequest(f"Missing required element '{key}' in request body.")
    return body[key]


def manage_volume(c: Cinder, call: Call) -> Reply:
    data = _part(call, "volume")
    meta = data.get("metadata")
    row = manage_service(c).manage_volume(
        call.ctx, host=data.get("host"), ref=data.get("ref"), name=_text(data, "name"),
        description=_text(data, "description"), volume_type=data.get("volume_type"),
        availability_zone=_text(data, "availability_zone"),
        metadata=check_metadata(meta) if meta is not None else {},
        bootable=parse_bool("bootable", data.get("bootable", False)), who=call)
    return c.reply(call, 202, {"volume": row})


def manage_snapshot(c: Cinder, call: Call) -> Reply:
    data = _part(call, "snapshot")
    meta = data.get("metadata")
    meta = check_metadata(meta) if meta is not None else {}
    row = manage_service(c).manage_snapshot(
        call.ctx, volume_id=data.get("volume_id"), ref=data.get("ref"),
        name=_text(data, "name"), description=_text(data, "description"), metadata=meta)
    return c.reply(call, 202, {"snapshot": snapshot_view(c, call, row, meta)})


def volume_actions(c: Cinder) -> dict[str, Callable[[Call, str, Any], Reply]]:
    """``os-unmanage`` on ``/volumes/{id}/action`` (the actions module dispatches it)."""
    def unmanage(call: Call, volume_id: str, body: Any) -> Reply:
        manage_service(c).unmanage_volume(call.ctx, volume_id)
        return c.reply(call, 202)

    return {"os-unmanage": unmanage}


def routes(c: Cinder) -> VolumeRoutes:
    r = VolumeRoutes()
    r.add("POST", "/os-volume-manage", partial(manage_volume, c))
    r.add("POST", "/os-snapshot-manage", partial(manage_snapshot, c))
    return r

"""Volume transfers: ``/os-volume-transfer`` (every microversion) and ``/volume-transfers``
(3.55+, with ``no_snapshots``); create, list (summary and detail), show, delete, accept.
The use cases are in ``volume.service.transfers``."""
from __future__ import annotations

from functools import partial
from typing import Any

from onestack.core.errors import BadRequest, NotFound
from onestack.core.http import Call, Reply
from onestack.volume.api.common import Cinder, VolumeRoutes, iso, links
from onestack.volume.api.snapshots import parse_bool
from onestack.volume.models.transfers import Transfer
from onestack.volume.service.transfers import TransferService

OLD, NEW = "/os-volume-transfer", "/volume-transfers"


def transfers(c: Cinder) -> TransferService:
    return c.service("transfers", TransferService)


def view(c: Cinder, call: Call, row: Transfer, *, full: bool = True) -> dict[str, Any]:
    """``full``: the show / detail / create view; otherwise the list summary."""
    out: dict[str, Any] = {"id": row.id, "name": row.name, "volume_id": row.volume_id,
                           "links": links(call, "os-volume-transfer", row.id)}
    if full:
        out["created_at"] = iso(row.created_at)
        if c.at_least(call, "3.55"):
            out["no_snapshots"] = bool(row.no_snapshots)
        if c.at_least(call, "3.57"):
            out["destination_project_id"] = row.destination_project_id
            out["source_project_id"] = row.project_id
            out["accepted"] = bool(row.accepted)
    return out


def _new_api(c: Cinder, call: Call, new: bool) -> None:
    if new and not c.at_least(call, "3.55"):
        raise NotFound("The resource could not be found.")


def create(c: Cinder, call: Call, new: bool = False) -> Reply:
    _new_api(c, call, new)
    data = call.body().get("transfer")
    if not isinstance(data, dict):
        raise BadRequest("Missing required element 'transfer' in request body.")
    name = data.get("name")
    if name is not None and (not isinstance(name, str) or len(name) > 255):
        raise BadRequest(f"Invalid input for field/attribute name. Value: {name}.")
    no_snapshots = False
    if "no_snapshots" in data and c.at_least(call, "3.55"):
        no_snapshots = parse_bool("no_snapshots", data["no_snapshots"])
    row, key = transfers(c).create(call.ctx, data.get("volume_id"), name, no_snapshots)
    body = view(c, call, row)
    body["auth_key"] = key
    return c.reply(call, 202, {"transfer": body})


def _list(c: Cinder, call: Call, new: bool, full: bool) -> Reply:
    _new_api(c, call, new)
    filters = {k: call.query[k] for k in ("name", "volume_id") if k in call.query}
    all_tenants = call.ctx.is_admin and parse_bool("all_tenants",
                                                   call.query.get("all_tenants", "0"))
    rows = transfers(c).list(call.ctx, all_tenants=all_tenants, filters=filters)
    return c.reply(call, 200, {"transfers": [view(c, call, r, full=full) for r in rows]})


def index(c: Cinder, call: Call, new: bool = False) -> Reply:
    return _list(c, call, new, full=False)


def index_detail(c: Cinder, call: Call, new: bool = False) -> Reply:
    return _list(c, call, new, full=True)


def show(c: Cinder, call: Call, new: bool = False) -> Reply:
    _new_api(c, call, new)
    row = transfers(c).show(call.ctx, call.params["transfer_id"])
    return c.reply(call, 200, {"transfer": view(c, call, row)})


def delete(c: Cinder, call: Call, new: bool = False) -> Reply:
    _new_api(c, call, new)
    transfers(c).delete(call.ctx, call.params["transfer_id"])
    return c.reply(call, 202)


def accept(c: Cinder, call: Call, new: bool = False) -> Reply:
    _new_api(c, call, new)
    data = call.body().get("accept")
    if not isinstance(data, dict):
        raise BadRequest("Missing required element 'accept' in request body.")
    row = transfers(c).accept(call.ctx, call.params["transfer_id"], data.get("auth_key"))
    return c.reply(call, 202, {"transfer": view(c, call, row, full=False)})


def routes(c: Cinder) -> VolumeRoutes:
    r = VolumeRoutes()
    for base, new in ((OLD, False), (NEW, True)):
        for method, path, handler in (
                ("POST", "", create), ("GET", "", index), ("GET", "/detail", index_detail),
                ("GET", "/{transfer_id}", show), ("DELETE", "/{transfer_id}", delete),
                ("POST", "/{transfer_id}/accept", accept)):
            r.add(method, base + path, partial(handler, c, new=new))
    return r

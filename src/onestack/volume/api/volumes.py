"""``/volumes``: create, list (summary, detail, ``/volumes/summary`` 3.12), show, update,
delete and the user metadata API. Parses and renders; the use cases are in
``volume.service.volumes`` (and ``volume_list`` for listing)."""
from __future__ import annotations

from functools import partial
from typing import Any

from onestack.core.errors import BadRequest, NotFound
from onestack.core.http import Call, Reply
from onestack.volume.api.common import Cinder, VolumeRoutes
from onestack.volume.service import listing, volume_list
from onestack.volume.service.volume_input import parse_create, parse_update
from onestack.volume.service.volumes import VolumeService


def volumes(c: Cinder) -> VolumeService:
    return c.service("volumes", VolumeService)


# --- create / read ---------------------------------------------------------------------
def create(c: Cinder, call: Call) -> Reply:
    req = parse_create(call.json, backups_allowed=c.at_least(call, "3.47"))
    req.boot_snapshot_images = c.at_least(call, "3.46")
    svc = volumes(c)
    created = svc.create(call.ctx, req, render_for=call)
    return c.reply(call, 202, {"volume": created.body})


def show(c: Cinder, call: Call) -> Reply:
    body = volumes(c).show(call.ctx, call.params["volume_id"], call)
    return c.reply(call, 200, {"volume": body})


def _list(c: Cinder, call: Call, detail: bool) -> Reply:
    svc = volumes(c)
    version = c.version(call)
    p = listing.parse_params(call.query, with_count_allowed=version >= (3, 45))
    svc.enforce("volume:get_all", call.ctx, call.ctx.project_id)
    admin = svc.is_admin(call.ctx)

    def work(s: Any) -> tuple[list[dict[str, Any]], int | None]:
        page = volume_list.list_volumes(s, call.ctx, admin, p, version)
        return svc.render(s, call, page.rows, detail), page.count

    items, total = svc.db.read(work)
    body: dict[str, Any] = {"volumes": items}
    nxt = listing.next_links(call.base_url, call.path, call.query, items, p)
    if nxt:
        body["volumes_links"] = nxt
    if total is not None:
        body["count"] = total
    return c.reply(call, 200, body)


def list_summary(c: Cinder, call: Call) -> Reply:
    return _list(c, call, detail=False)


def list_detail(c: Cinder, call: Call) -> Reply:
    return _list(c, call, detail=True)


def summary(c: Cinder, call: Call) -> Reply:
    """``/volumes/summary`` (3.12): count and size of the volumes listed, and (3.36) the
    metadata values they carry."""
    if not c.at_least(call, "3.12"):
        raise NotFound("The resource could not be found.")
    svc = volumes(c)
    version = c.version(call)
    p = listing.parse_params(call.query, with_count_allowed=False)
    svc.enforce("volume:get_volume_summary", call.ctx, call.ctx.project_id)
    admin = svc.is_admin(call.ctx)
    body = svc.db.read(lambda s: volume_list.summary(s, call.ctx, admin, p, version))
    return c.reply(call, 200, {"volume-summary": body})


# --- update / delete -------------------------------------------------------------------
def update(c: Cinder, call: Call) -> Reply:
    changes = parse_update(call.json)
    body = volumes(c).update(call.ctx, call.params["volume_id"], changes, call)
    return c.reply(call, 200, {"volume": body})


def delete(c: Cinder, call: Call) -> Reply:
    cascade = listing.parse_bool("cascade", call.query.get("cascade", "false"))
    force = False
    if "force" in call.query and c.at_least(call, "3.23"):
        force = listing.parse_bool("force", call.query["force"])
        if force:
            volumes(c).enforce("volume:force_delete", call.ctx, call.ctx.project_id)
    volumes(c).delete(call.ctx, call.params["volume_id"], cascade=cascade, force=force)
    return c.reply(call, 202)


def missing_id(c: Cinder, call: Call) -> Reply:
    raise NotFound("Volume  could not be found.")


# --- metadata --------------------------------------------------------------------------
def _meta_body(call: Call, key: str) -> dict[str, Any]:
    body = call.json
    if not isinstance(body, dict) or not isinstance(body.get(key), dict):
        raise BadRequest("Malformed request body")
    return body[key]


def get_metadata(c: Cinder, call: Call) -> Reply:
    meta = volumes(c).metadata(call.ctx, call.params["volume_id"])
    return c.reply(call, 200, {"metadata": meta})


def create_metadata(c: Cinder, call: Call) -> Reply:
    meta = volumes(c).set_metadata(call.ctx, call.params["volume_id"],
                                   _meta_body(call, "metadata"), replace=False)
    return c.reply(call, 200, {"metadata": meta})


def replace_metadata(c: Cinder, call: Call) -> Reply:
    meta = volumes(c).set_metadata(call.ctx, call.params["volume_id"],
                                   _meta_body(call, "metadata"), replace=True)
    return c.reply(call, 200, {"metadata": meta})


def get_metadata_item(c: Cinder, call: Call) -> Reply:
    key = call.params["key"]
    value = volumes(c).metadata_item(call.ctx, call.params["volume_id"], key)
    return c.reply(call, 200, {"meta": {key: value}})


def set_metadata_item(c: Cinder, call: Call) -> Reply:
    key = call.params["key"]
    meta = _meta_body(call, "meta")
    if key not in meta:
        raise BadRequest("Request body and URI mismatch")
    if len(meta) > 1:
        raise BadRequest("Request body contains too many items")
    volumes(c).set_metadata(call.ctx, call.params["volume_id"], meta, replace=False)
    return c.reply(call, 200, {"meta": {key: meta[key]}})


def delete_metadata_item(c: Cinder, call: Call) -> Reply:
    volumes(c).delete_metadata_item(call.ctx, call.params["volume_id"], call.params["key"])
    return c.reply(call, 200)


def routes(c: Cinder) -> VolumeRoutes:
    r = VolumeRoutes()
    table = [
        ("POST", "/volumes", create),
        ("GET", "/volumes", list_summary),
        ("GET", "/volumes/detail", list_detail),
        ("GET", "/volumes/summary", summary),
        ("GET", "/volumes/", missing_id),
        ("PUT", "/volumes/", missing_id),
        ("DELETE", "/volumes/", missing_id),
        ("GET", "/volumes/{volume_id}", show),
        ("PUT", "/volumes/{volume_id}", update),
        ("DELETE", "/volumes/{volume_id}", delete),
        ("GET", "/volumes/{volume_id}/metadata", get_metadata),
        ("POST", "/volumes/{volume_id}/metadata", create_metadata),
        ("PUT", "/volumes/{volume_id}/metadata", replace_metadata),
        ("GET", "/volumes/{volume_id}/metadata/{key}", get_metadata_item),
        ("PUT", "/volumes/{volume_id}/metadata/{key}", set_metadata_item),
        ("DELETE", "/volumes/{volume_id}/metadata/{key}", delete_metadata_item),
    ]
    for method, path, handler in table:
        r.add(method, path, partial(handler, c))
    return r

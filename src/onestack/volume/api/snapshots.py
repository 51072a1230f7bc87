"""``/snapshots``: create, list (summary and detail), show, update, delete, metadata and
the actions (``os-reset_status``, ``os-force_delete``, ``os-update_snapshot_status``,
``os-update_progress``, ``os-unmanage``). Parses and renders; the use cases are in
``volume.service.snapshots``."""
from __future__ import annotations

import ast
from functools import partial
from typing import Any
from urllib.parse import urlencode

from onestack.core.errors import BadRequest, NotFound
from onestack.core.http import Call, Reply
from onestack.volume.api.common import Cinder, VolumeRoutes, iso, root
from onestack.volume.models.snapshots import Snapshot
from onestack.volume.service import snapshots as service
from onestack.volume.service.snapshots import SnapshotQuery, SnapshotService

_CONTROL = {"limit", "marker", "offset", "sort", "sort_key", "sort_dir", "all_tenants",
            "with_count"}
_UPDATABLE = {"name": "name", "display_name": "name", "description": "description",
              "display_description": "description"}
_CREATE_KEYS = {"volume_id", "name", "display_name", "description", "display_description",
                "force", "metadata"}
_TRUE = ("true", "1", "yes", "on", "y", "t")
_FALSE = ("false", "0", "no", "off", "n", "f")


def snapshots(c: Cinder) -> SnapshotService:
    return c.service("snapshots", SnapshotService)


# --- views -------------------------------------------------------------------------------
def summary(row: Snapshot, meta: dict[str, str]) -> dict[str, Any]:
    return {"id": row.id, "created_at": iso(row.created_at), "updated_at": iso(row.updated_at),
            "name": row.name, "description": row.description, "volume_id": row.volume_id,
            "status": row.status, "size": row.size, "metadata": meta}


def detail(c: Cinder, call: Call, row: Snapshot, meta: dict[str, str], *,
           extended: bool = False) -> dict[str, Any]:
    """The detail view at the call's microversion; ``extended`` adds the
    ``os-extended-snapshot-attributes`` (show and the detail list)."""
    out = summary(row, meta)
    if c.at_least(call, "3.14"):
        out["group_snapshot_id"] = row.group_snapshot_id
    if c.at_least(call, "3.41"):
        out["user_id"] = row.user_id
    if c.at_least(call, "3.65"):
        out["consumes_quota"] = bool(row.use_quota)
    if extended:
        out["os-extended-snapshot-attributes:progress"] = row.progress
        out["os-extended-snapshot-attributes:project_id"] = row.project_id
    return out


def next_link(call: Call, path: str, marker: str) -> list[dict[str, str]]:
    params = [(k, v) for k, v in call.query.multi_items() if k != "marker"]
    project = call.params.get("project_id")
    base = f"{root(call)}/{project}" if project else root(call)
    return [{"rel": "next",
             "href": f"{base}{path}?{urlencode(params + [('marker', marker)])}"}]


# --- parsing -----------------------------------------------------------------------------
def parse_bool(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE + _FALSE:
        return value.strip().lower() in _TRUE
    raise BadRequest(f"Invalid value '{value}' for {name}.")


def parse_int(name: str, value: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError) as exc:
        raise BadRequest(f"{name} param must be an integer") from exc
    if number < 0:
        raise BadRequest(f"{name} param must be positive")
    return number


def parse_sort(call: Call, keys: dict[str, str]) -> list[tuple[str, str]]:
    """``sort=k1:dir,k2`` or ``sort_key``/``sort_dir`` → [(column, dir)]; 400 for an
    unknown key or direction."""
    pairs: list[tuple[str, str]] = []
    if "sort" in call.query:
        if "sort_key" in call.query or "sort_dir" in call.query:
            raise BadRequest("The 'sort_key' and 'sort_dir' parameters are deprecated "
                             "and cannot be used with the 'sort' parameter.")
        for part in call.query["sort"].split(","):
            key, _, direction = part.strip().partition(":")
            pairs.append((key.strip(), direction.strip().lower() or "desc"))
    elif "sort_key" in call.query or "sort_dir" in call.query:
        pairs.append((call.query.get("sort_key", "created_at"),
                      call.query.get("sort_dir", "desc").lower()))
    out = []
    for key, direction in pairs:
        if key not in keys:
            raise BadRequest(f"Invalid input received: Invalid sort key {key}")
        if direction not in ("asc", "desc"):
            raise BadRequest("Unknown sort direction, must be 'desc' or 'asc'")
        out.append((keys[key], direction))
    return out


def parse_metadata_filter(value: str) -> dict[str, str]:
    try:
        meta = ast.literal_eval(value)
    except (ValueError, SyntaxError) as exc:
        raise BadRequest(f"Invalid input received: Invalid metadata filter {value}") from exc
    if not isinstance(meta, dict):
        raise BadRequest(f"Invalid input received: Invalid metadata filter {value}")
    return {str(k): str(v) for k, v in meta.items()}


def parse_query(c: Cinder, call: Call) -> SnapshotQuery:
    qs, admin = call.query, call.ctx.is_admin
    q = SnapshotQuery()
    if "limit" in qs:
        q.limit = parse_int("limit", qs["limit"])
    if "offset" in qs:
        q.offset = parse_int("offset", qs["offset"])
    q.marker = qs.get("marker") or None
    q.sort = parse_sort(call, service.SORT_KEYS)
    q.all_tenants = admin and parse_bool("all_tenants", qs.get("all_tenants", "0"))
    if c.at_least(call, "3.45") and "with_count" in qs:
        q.with_count = parse_bool("with_count", qs["with_count"])
    allowed = service.ADMIN_FILTERS if admin else service.USER_FILTERS
    invalid = []
    for key, value in qs.multi_items():
        if key in _CONTROL:
            continue
        if key.endswith("~") and key[:-1] in service.LIKE_FILTERS and c.at_least(call, "3.34"):
            q.like[key[:-1]] = value
        elif key not in allowed and key != "display_name":
            invalid.append(key)
        elif key == "metadata":
            q.filters["metadata"] = parse_metadata_filter(value)
        elif key in ("host", "availability_zone"):
            q.filters[key] = value
        else:
            q.filters.setdefault("name" if key == "display_name" else key, []).append(value)
    if invalid and not admin:
        raise BadRequest(f"Invalid filters {', '.join(sorted(invalid))} are provided.")
    return q


def parse_create(body: dict[str, Any]) -> dict[str, Any]:
    data = body.get("snapshot")
    if not isinstance(data, dict):
        raise BadRequest("Missing required element 'snapshot' in request body.")
    extra = sorted(set(data) - _CREATE_KEYS)
    if extra:
        raise BadRequest(f"Invalid input for field/attribute snapshot. Additional "
                         f"properties are not allowed ({extra[0]!r} was unexpected)")
    name = data.get("name", data.get("display_name"))
    description = data.get("description", data.get("display_description"))
    for label, value in (("name", name), ("description", description)):
        if value is not None and (not isinstance(value, str) or len(value) > 255):
            raise BadRequest(f"Invalid input for field/attribute {label}. Value: {value}.")
    meta = data.get("metadata")
    return {"volume_id": data.get("volume_id"), "name": name, "description": description,
            "force": parse_bool("force", data["force"]) if "force" in data else None,
            "metadata": service.check_metadata(meta) if meta is not None else {}}


def parse_update(body: Any) -> dict[str, Any]:
    data = body.get("snapshot") if isinstance(body, dict) else None
    if not isinstance(data, dict):
        raise BadRequest("Missing required element 'snapshot' in request body.")
    extra = sorted(set(data) - set(_UPDATABLE))
    if extra:
        raise BadRequest(f"Invalid input for field/attribute snapshot. Additional "
                         f"properties are not allowed ({extra[0]!r} was unexpected)")
    if not data:
        raise BadRequest("Invalid input for field/attribute snapshot. Value: {}. {} does "
                         "not have enough properties")
    changes: dict[str, Any] = {}
    for key, value in data.items():
        if value is not None and (not isinstance(value, str) or len(value) > 255):
            raise BadRequest(f"Invalid input for field/attribute {key}. Value: {value}.")
        changes[_UPDATABLE[key]] = value
    return changes


# --- handlers ----------------------------------------------------------------------------
def create(c: Cinder, call: Call) -> Reply:
    args = parse_create(call.body())
    if args["force"] is None:  # 3.66 needs no force to snapshot an in-use volume
        args["force"] = c.at_least(call, "3.66")
    row, meta = snapshots(c).create(call.ctx, args.pop("volume_id"), **args)
    return c.reply(call, 202, {"snapshot": detail(c, call, row, meta)})


def _list(c: Cinder, call: Call, *, full: bool) -> Reply:
    page = snapshots(c).list(call.ctx, parse_query(c, call))
    items = [detail(c, call, r, page.metadata[r.id], extended=True) if full
             else summary(r, page.metadata[r.id]) for r in page.rows]
    body: dict[str, Any] = {"snapshots": items}
    if page.more:
        body["snapshots_links"] = next_link(call, "/snapshots/detail" if full
                                            else "/snapshots", page.rows[-1].id)
    if page.count is not None:
        body["count"] = page.count
    return c.reply(call, 200, body)


def index(c: Cinder, call: Call) -> Reply:
    return _list(c, call, full=False)


def index_detail(c: Cinder, call: Call) -> Reply:
    return _list(c, call, full=True)


def show(c: Cinder, call: Call) -> Reply:
    row, meta = snapshots(c).show(call.ctx, call.params["snapshot_id"])
    return c.reply(call, 200, {"snapshot": detail(c, call, row, meta, extended=True)})


def update(c: Cinder, call: Call) -> Reply:
    changes = parse_update(call.json)
    row, meta = snapshots(c).update(call.ctx, call.params["snapshot_id"], changes)
    return c.reply(call, 200, {"snapshot": detail(c, call, row, meta)})


def delete(c: Cinder, call: Call) -> Reply:
    snapshots(c).delete(call.ctx, call.params["snapshot_id"])
    return c.reply(call, 202)


def action(c: Cinder, call: Call) -> Reply:
    body = call.body()
    if len(body) != 1:
        raise BadRequest("Action body must name exactly one action.")
    (name, arg), = body.items()
    sid, svc = call.params["snapshot_id"], snapshots(c)
    if name == "os-reset_status":
        status = arg.get("status") if isinstance(arg, dict) else None
        svc.reset_status(call.ctx, sid, status)
    elif name == "os-force_delete":
        svc.delete(call.ctx, sid, force=True)
    elif name == "os-update_snapshot_status":
        if not isinstance(arg, dict):
            raise BadRequest("Missing required element 'os-update_snapshot_status'.")
        svc.update_status(call.ctx, sid, arg.get("status"), arg.get("progress"))
    elif name == "os-update_progress":
        svc.update_progress(call.ctx, sid, arg)
    elif name == "os-unmanage":
        from onestack.volume.api.manage import manage_service

        manage_service(c).unmanage_snapshot(call.ctx, sid)
    else:
        raise BadRequest(f"There is no such action: {name}")
    return c.reply(call, 202)


# --- metadata ----------------------------------------------------------------------------
def _meta_body(call: Call, key: str) -> dict[str, str]:
    body = call.json
    if not isinstance(body, dict) or not isinstance(body.get(key), dict):
        raise BadRequest("Malformed request body")
    return service.check_metadata(body[key])


def metadata_show(c: Cinder, call: Call) -> Reply:
    meta = snapshots(c).get_metadata(call.ctx, call.params["snapshot_id"])
    return c.reply(call, 200, {"metadata": meta})


def metadata_create(c: Cinder, call: Call) -> Reply:
    meta = snapshots(c).set_metadata(call.ctx, call.params["snapshot_id"],
                                     _meta_body(call, "metadata"), replace=False)
    return c.reply(call, 200, {"metadata": meta})


def metadata_replace(c: Cinder, call: Call) -> Reply:
    meta = snapshots(c).set_metadata(call.ctx, call.params["snapshot_id"],
                                     _meta_body(call, "metadata"), replace=True)
    return c.reply(call, 200, {"metadata": meta})


def metadata_item_show(c: Cinder, call: Call) -> Reply:
    key = call.params["key"]
    meta = snapshots(c).get_metadata(call.ctx, call.params["snapshot_id"])
    if key not in meta:
        raise NotFound(f"Metadata item was not found: {key}")
    return c.reply(call, 200, {"meta": {key: meta[key]}})


def metadata_item_update(c: Cinder, call: Call) -> Reply:
    key = call.params["key"]
    item = _meta_body(call, "meta")
    if key not in item:
        raise BadRequest("Request body and URI mismatch")
    if len(item) > 1:
        raise BadRequest("Request body contains too many items")
    snapshots(c).set_metadata(call.ctx, call.params["snapshot_id"], item, replace=False)
    return c.reply(call, 200, {"meta": item})


def metadata_item_delete(c: Cinder, call: Call) -> Reply:
    snapshots(c).delete_metadata_item(call.ctx, call.params["snapshot_id"], call.params["key"])
    return c.reply(call, 200)


def routes(c: Cinder) -> VolumeRoutes:
    r = VolumeRoutes()
    for method, path, handler in (
            ("POST", "/snapshots", create),
            ("GET", "/snapshots", index),
            ("GET", "/snapshots/detail", index_detail),
            ("GET", "/snapshots/{snapshot_id}", show),
            ("PUT", "/snapshots/{snapshot_id}", update),
            ("DELETE", "/snapshots/{snapshot_id}", delete),
            ("POST", "/snapshots/{snapshot_id}/action", action),
            ("GET", "/snapshots/{snapshot_id}/metadata", metadata_show),
            ("POST", "/snapshots/{snapshot_id}/metadata", metadata_create),
            ("PUT", "/snapshots/{snapshot_id}/metadata", metadata_replace),
            ("GET", "/snapshots/{snapshot_id}/metadata/{key}", metadata_item_show),
            ("PUT", "/snapshots/{snapshot_id}/metadata/{key}", metadata_item_update),
            ("DELETE", "/snapshots/{snapshot_id}/metadata/{key}", metadata_item_delete)):
        r.add(method, path, partial(handler, c))
    return r

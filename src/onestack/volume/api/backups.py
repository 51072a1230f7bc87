"""``/backups``: create, list (summary and detail), show, update (3.9), delete, restore,
the admin actions (``os-reset_status``, ``os-force_delete``), ``export_record`` and
``import_record``. Parses and renders; the use cases are in ``volume.service.backups``."""
from __future__ import annotations

import uuid
from functools import partial
from typing import Any
from urllib.parse import urlencode

from onestack.core.errors import BadRequest, NotFound
from onestack.core.http import Call, Reply
from onestack.volume.api.common import Cinder, VolumeRoutes, iso, links, root
from onestack.volume.models.backups import Backup
from onestack.volume.service import backups as service
from onestack.volume.service.backups import BackupService

_TRUE = ("true", "1", "on", "yes", "y", "t")
_FALSE = ("false", "0", "off", "no", "n", "f")
_CREATE_KEYS = {"volume_id", "container", "description", "display_description",
                "incremental", "force", "name", "display_name", "snapshot_id"}


def backups(c: Cinder) -> BackupService:
    return c.service("backups", BackupService)


# --- views -------------------------------------------------------------------------------
def summary(call: Call, row: Backup) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "links": links(call, "backups", row.id)}


def detail(c: Cinder, call: Call, row: Backup, meta: dict[str, str]) -> dict[str, Any]:
    """Cinder's detail view at the call's microversion: metadata from 3.43,
    encryption_key_id from 3.64, the project (3.18) and user (3.56) attributes for who
    ``backup:backup_project_attribute`` allows."""
    out: dict[str, Any] = {
        "id": row.id, "status": row.status, "size": row.size,
        "object_count": row.object_count, "availability_zone": row.availability_zone,
        "container": row.container, "created_at": iso(row.created_at),
        "updated_at": iso(row.updated_at), "name": row.name,
        "description": row.description, "fail_reason": row.fail_reason,
        "volume_id": row.volume_id, "links": links(call, "backups", row.id),
        "is_incremental": row.parent_id is not None,
        "has_dependent_backups": (row.num_dependent_backups or 0) > 0,
        "snapshot_id": row.snapshot_id, "data_timestamp": iso(row.data_timestamp)}
    if c.at_least(call, "3.43"):
        out["metadata"] = meta
    if c.at_least(call, "3.64"):
        out["encryption_key_id"] = None
    if c.at_least(call, "3.18") and backups(c).allowed(
            "backup:backup_project_attribute", call.ctx, row.project_id):
        out["os-backup-project-attr:project_id"] = row.project_id
        if c.at_least(call, "3.56"):
            out["user_id"] = row.user_id
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
    raise BadRequest(f"Invalid input for field/attribute {name}. Value: {value}. "
                     f"{value!r} is not a valid boolean")


def parse_uuid(name: str, value: Any, *, nullable: bool = False) -> str | None:
    if value is None and nullable:
        return None
    try:
        return str(uuid.UUID(value)) if isinstance(value, str) else _bad_uuid(name, value)
    except ValueError:
        return _bad_uuid(name, value)


def _bad_uuid(name: str, value: Any) -> str:
    raise BadRequest(f"Invalid input for field/attribute {name}. Value: {value}. "
                     f"{value!r} is not a 'uuid'")


def parse_text(name: str, value: Any, limit: int = 255) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise BadRequest(f"Invalid input for field/attribute {name}. Value: {value}. "
                         f"must be a string of at most {limit} characters")
    return value


def _section(body: Any, key: str) -> dict[str, Any]:
    data = body.get(key) if isinstance(body, dict) else None
    if not isinstance(data, dict):
        raise BadRequest(f"Missing required element '{key}' in request body.")
    return data


def _no_extra(data: dict[str, Any], allowed: set[str], where: str) -> None:
    extra = sorted(set(data) - allowed)
    if extra:
        raise BadRequest(f"Invalid input for field/attribute {where}. Additional "
                         f"properties are not allowed ({extra[0]!r} was unexpected)")


def parse_create(c: Cinder, call: Call) -> dict[str, Any]:
    data = _section(call.json, "backup")
    allowed = set(_CREATE_KEYS)
    if c.at_least(call, "3.43"):
        allowed.add("metadata")
    if c.at_least(call, "3.51"):
        allowed.add("availability_zone")
    _no_extra(data, allowed, "backup")
    if "volume_id" not in data:
        raise BadRequest("Invalid input for field/attribute backup. Value: "
                         f"{data}. 'volume_id' is a required property")
    name = data.get("name", data.get("display_name"))
    description = data.get("description", data.get("display_description"))
    meta = data.get("metadata")
    return {"volume_id": parse_uuid("volume_id", data["volume_id"]),
            "name": parse_text("name", name),
            "description": parse_text("description", description),
            "container": parse_text("container", data.get("container")),
            "incremental": parse_bool("incremental", data.get("incremental", False)),
            "force": parse_bool("force", data.get("force", False)),
            "snapshot_id": parse_uuid("snapshot_id", data.get("snapshot_id"), nullable=True),
            "metadata": service.check_metadata(meta) if meta is not None else {},
            "availability_zone": parse_text("availability_zone",
                                            data.get("availability_zone"))}


def parse_update(c: Cinder, call: Call) -> dict[str, Any]:
    data = _section(call.json, "backup")
    allowed = {"name", "description"} | ({"metadata"} if c.at_least(call, "3.43") else set())
    _no_extra(data, allowed, "backup")
    changes: dict[str, Any] = {}
    for key in ("name", "description"):
        if key in data:
            changes[key] = parse_text(key, data[key])
    if "metadata" in data:
        changes["metadata"] = service.check_metadata(data["metadata"])
    return changes


def parse_query(c: Cinder, call: Call) -> tuple[Any, dict[str, str]]:
    from onestack.volume.service import listing

    params = listing.parse_params(call.query, with_count_allowed=c.at_least(call, "3.45"))
    admin = backups(c).is_admin(call.ctx)
    params.all_tenants = params.all_tenants and admin
    allowed = service.ADMIN_FILTERS if admin else service.USER_FILTERS
    filters: dict[str, Any] = {}
    like: dict[str, str] = {}
    invalid = []
    for key, value in params.filters.items():
        if key.endswith("~") and key[:-1] in service.LIKE_FILTERS and \
                c.at_least(call, "3.34"):
            like[key[:-1]] = value
        elif key == "metadata":
            meta = listing.literal(value)
            if not isinstance(meta, dict):
                raise BadRequest(f"Invalid input received: Invalid metadata filter {value}")
            filters["metadata"] = meta
        elif key in allowed:
            filters["name" if key == "display_name" else key] = value
        elif not admin:
            invalid.append(key)
    if invalid:
        raise BadRequest(f"Invalid filters {', '.join(sorted(invalid))} are provided.")
    params.filters = filters
    for key, _ in params.sort:
        if key not in service.SORT_KEYS:
            raise BadRequest(f"Invalid input received: Invalid sort key {key}")
    return params, like


# --- handlers ----------------------------------------------------------------------------
def create(c: Cinder, call: Call) -> Reply:
    args = parse_create(c, call)
    row = backups(c).create(call.ctx, args.pop("volume_id"), **args)
    return c.reply(call, 202, {"backup": summary(call, row)})


def _list(c: Cinder, call: Call, *, full: bool) -> Reply:
    params, like = parse_query(c, call)
    page = backups(c).list(call.ctx, params, like)
    items = [detail(c, call, r, page.metadata[r.id]) if full else summary(call, r)
             for r in page.rows]
    body: dict[str, Any] = {"backups": items}
    if page.more:
        body["backups_links"] = next_link(call, "/backups/detail" if full else "/backups",
                                          page.rows[-1].id)
    if page.count is not None:
        body["count"] = page.count
    return c.reply(call, 200, body)


def index(c: Cinder, call: Call) -> Reply:
    return _list(c, call, full=False)


def index_detail(c: Cinder, call: Call) -> Reply:
    return _list(c, call, full=True)


def show(c: Cinder, call: Call) -> Reply:
    row, meta = backups(c).show(call.ctx, call.params["backup_id"])
    return c.reply(call, 200, {"backup": detail(c, call, row, meta)})


def update(c: Cinder, call: Call) -> Reply:
    if not c.at_least(call, "3.9"):
        raise NotFound("The resource could not be found.")
    changes = parse_update(c, call)
    row, _ = backups(c).update(call.ctx, call.params["backup_id"], changes)
    return c.reply(call, 200, {"backup": summary(call, row)})


def delete(c: Cinder, call: Call) -> Reply:
    backups(c).delete(call.ctx, call.params["backup_id"])
    return c.reply(call, 202)


def restore(c: Cinder, call: Call) -> Reply:
    body = call.json
    data = body.get("restore") if isinstance(body, dict) else None
    if not isinstance(body, dict) or "restore" not in body or \
            not isinstance(data, (dict, type(None))):
        raise BadRequest("Missing required element 'restore' in request body.")
    data = data or {}
    _no_extra(data, {"volume_id", "name"}, "restore")
    done = backups(c).restore(call.ctx, call.params["backup_id"],
                              parse_uuid("volume_id", data.get("volume_id"), nullable=True),
                              parse_text("name", data.get("name")))
    return c.reply(call, 202, {"restore": {"backup_id": done.backup_id,
                                           "volume_id": done.volume_id,
                                           "volume_name": done.volume_name}})


def action(c: Cinder, call: Call) -> Reply:
    body = call.body()
    if len(body) != 1:
        raise BadRequest("Action body must name exactly one action.")
    (name, arg), = body.items()
    bid, svc = call.params["backup_id"], backups(c)
    if name == "os-reset_status":
        if not isinstance(arg, dict) or "status" not in arg:
            raise BadRequest("Invalid input for field/attribute os-reset_status. "
                             "'status' is a required property")
        svc.reset_status(call.ctx, bid, arg["status"])
    elif name == "os-force_delete":
        svc.delete(call.ctx, bid, force=True)
    else:
        raise BadRequest(f"There is no such action: {name}")
    return c.reply(call, 202)


def export_record(c: Cinder, call: Call) -> Reply:
    record = backups(c).export_record(call.ctx, call.params["backup_id"])
    return c.reply(call, 200, {"backup-record": record})


def import_record(c: Cinder, call: Call) -> Reply:
    data = _section(call.json, "backup-record")
    for key in ("backup_service", "backup_url"):
        if not isinstance(data.get(key), str) or not data[key]:
            raise BadRequest(f"Incorrect request body format: '{key}' is required.")
    _no_extra(data, {"backup_service", "backup_url"}, "backup-record")
    row = backups(c).import_record(call.ctx, data["backup_service"], data["backup_url"])
    return c.reply(call, 201, {"backup": summary(call, row)})


def routes(c: Cinder) -> VolumeRoutes:
    r = VolumeRoutes()
    for method, path, handler in (
            ("POST", "/backups", create),
            ("GET", "/backups", index),
            ("GET", "/backups/detail", index_detail),
            ("POST", "/backups/import_record", import_record),
            ("GET", "/backups/{backup_id}", show),
            ("PUT", "/backups/{backup_id}", update),
            ("DELETE", "/backups/{backup_id}", delete),
            ("POST", "/backups/{backup_id}/restore", restore),
            ("POST", "/backups/{backup_id}/action", action),
            ("GET", "/backups/{backup_id}/export_record", export_record)):
        r.add(method, path, partial(handler, c))
    return r

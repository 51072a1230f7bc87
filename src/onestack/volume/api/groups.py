"""Generic volume groups: ``/group_types`` (3.11, with ``/group_specs``), ``/groups``
(3.13; create-from-source 3.14, reset status 3.20) and ``/group_snapshots`` (3.14; reset
status 3.19). Below a resource's microversion its paths are 404, as in Cinder. The use
cases are in ``volume.service.group_types``, ``groups`` and ``group_snapshots``."""
from __future__ import annotations

from functools import partial
from typing import Any

from onestack.core.errors import BadRequest, NotFound
from onestack.core.http import Call, Reply
from onestack.volume.api.common import Cinder, VolumeRoutes, iso
from onestack.volume.api.snapshots import parse_bool, parse_sort
from onestack.volume.models.groups import GroupSnapshot, GroupType
from onestack.volume.service import group_types as gt
from onestack.volume.service.group_snapshots import GroupSnapshotService
from onestack.volume.service.groups import GroupInfo, GroupService

TYPE_SORT_KEYS = {k: k for k in ("id", "name", "description", "is_public", "created_at")}


def types_svc(c: Cinder) -> gt.GroupTypeService:
    return c.service("group_types", gt.GroupTypeService)


def groups_svc(c: Cinder) -> GroupService:
    return c.service("groups", GroupService)


def snaps_svc(c: Cinder) -> GroupSnapshotService:
    return c.service("group_snapshots", GroupSnapshotService)


def need(c: Cinder, call: Call, version: str) -> None:
    """A resource that does not exist below ``version`` (Cinder answers 404)."""
    if not c.at_least(call, version):
        raise NotFound("The resource could not be found.")


def _obj(call: Call, key: str) -> dict[str, Any]:
    body = call.json
    if not isinstance(body, dict) or not isinstance(body.get(key), dict):
        raise BadRequest(f"Missing required element '{key}' in request body.")
    return body[key]


def _text(data: dict[str, Any], key: str, required: bool = False) -> str | None:
    value = data.get(key)
    if value is None:
        if required:
            raise BadRequest(f"Invalid input for field/attribute {key}. '{key}' is a "
                             "required property")
        return None
    if not isinstance(value, str) or len(value) > 255 or (required and not value.strip()):
        raise BadRequest(f"Invalid input for field/attribute {key}. Value: {value}.")
    return value


def _may_see_project(c: Cinder, call: Call, rule: str, project_id: str) -> bool:
    """Cinder's view policy for the 3.58 ``project_id`` (admins by default)."""
    return c.platform.policy.allowed(rule, call.ctx, {"project_id": project_id})


# --- group types -------------------------------------------------------------------------
def type_view(row: GroupType, specs: dict[str, str]) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "description": row.description,
            "is_public": bool(row.is_public), "group_specs": specs}


def type_create(c: Cinder, call: Call) -> Reply:
    need(c, call, "3.11")
    data = _obj(call, "group_type")
    specs = gt.check_specs(data.get("group_specs") or {})
    row, specs = types_svc(c).create(
        call.ctx, _text(data, "name", required=True) or "", _text(data, "description"),
        parse_bool("is_public", data.get("is_public", True)), specs)
    return c.reply(call, 202, {"group_type": type_view(row, specs)})


def type_index(c: Cinder, call: Call) -> Reply:
    need(c, call, "3.11")
    raw = call.query.get("is_public")
    is_public: bool | None = True
    if raw is not None:
        is_public = None if raw.strip().lower() == "none" else parse_bool("is_public", raw)
    rows = types_svc(c).list(call.ctx, is_public, parse_sort(call, TYPE_SORT_KEYS))
    return c.reply(call, 200, {"group_types": [type_view(r, sp) for r, sp in rows]})


def type_default(c: Cinder, call: Call) -> Reply:
    need(c, call, "3.11")
    raise NotFound("Default group type could not be found.")


def type_show(c: Cinder, call: Call) -> Reply:
    need(c, call, "3.11")
    row, specs = types_svc(c).show(call.ctx, call.params["group_type_id"])
    return c.reply(call, 200, {"group_type": type_view(row, specs)})


def type_update(c: Cinder, call: Call) -> Reply:
    need(c, call, "3.11")
    data = _obj(call, "group_type")
    changes: dict[str, Any] = {}
    if "name" in data:
        changes["name"] = _text(data, "name", required=True)
    if "description" in data:
        changes["description"] = _text(data, "description")
    if "is_public" in data:
        changes["is_public"] = parse_bool("is_public", data["is_public"])
    if not changes:
        raise BadRequest("Specify group type name, description or a combination thereof.")
    row, specs = types_svc(c).update(call.ctx, call.params["group_type_id"], changes)
    return c.reply(call, 200, {"group_type": type_view(row, specs)})


def type_delete(c: Cinder, call: Call) -> Reply:
    need(c, call, "3.11")
    types_svc(c).delete(call.ctx, call.params["group_type_id"])
    return c.reply(call, 202)


def specs_create(c: Cinder, call: Call) -> Reply:
    need(c, call, "3.11")
    specs = gt.check_specs(_obj(call, "group_specs"))
    types_svc(c).set_specs(call.ctx, call.params["group_type_id"], specs)
    return c.reply(call, 202, {"group_specs": specs})


def specs_index(c: Cinder, call: Call) -> Reply:
    need(c, call, "3.11")
    return c.reply(call, 200, {"group_specs": types_svc(c).specs(
        call.ctx, call.params["group_type_id"])})


def spec_show(c: Cinder, call: Call) -> Reply:
    need(c, call, "3.11")
    key = call.params["spec_id"]
    specs = types_svc(c).specs(call.ctx, call.params["group_type_id"])
    if key not in specs:
        raise NotFound(f"Group Type {call.params['group_type_id']} has no specs with key "
                       f"{key}.")
    return c.reply(call, 200, {key: specs[key]})


def spec_update(c: Cinder, call: Call) -> Reply:
    need(c, call, "3.11")
    key = call.params["spec_id"]
    body = gt.check_specs(call.body())
    if key not in body:
        raise BadRequest("Request body and URI mismatch")
    if len(body) > 1:
        raise BadRequest("Request body contains too many items")
    types_svc(c).set_specs(call.ctx, call.params["group_type_id"], body)
    return c.reply(call, 200, body)


def spec_delete(c: Cinder, call: Call) -> Reply:
    need(c, call, "3.11")
    types_svc(c).delete_spec(call.ctx, call.params["group_type_id"], call.params["spec_id"])
    return c.reply(call, 202)


# --- groups ------------------------------------------------------------------------------
def group_view(c: Cinder, call: Call, info: GroupInfo, with_volumes: bool = False
               ) -> dict[str, Any]:
    row = info.row
    out: dict[str, Any] = {
        "id": row.id, "name": row.name, "description": row.description,
        "status": row.status, "availability_zone": row.availability_zone,
        "created_at": iso(row.created_at), "group_type": row.group_type_id,
        "volume_types": info.volume_types}
    if c.at_least(call, "3.14"):
        out["group_snapshot_id"] = row.group_snapshot_id
        out["source_group_id"] = row.source_group_id
    if c.at_least(call, "3.38"):
        out["replication_status"] = row.replication_status or "disabled"
    if c.at_least(call, "3.58") and _may_see_project(c, call, "group:group_project_attribute",
                                                     row.project_id):
        out["project_id"] = row.project_id
    if with_volumes:
        out["volumes"] = info.volumes
    return out


def _list_volumes(c: Cinder, call: Call) -> bool:
    return c.at_least(call, "3.25") and parse_bool("list_volume",
                                                   call.query.get("list_volume", "false"))


def group_create(c: Cinder, call: Call) -> Reply:
    need(c, call, "3.13")
    data = _obj(call, "group")
    row = groups_svc(c).create(
        call.ctx, name=_text(data, "name"), description=_text(data, "description"),
        group_type=data.get("group_type"), volume_types=data.get("volume_types"),
        availability_zone=_text(data, "availability_zone"))
    return c.reply(call, 202, {"group": {"id": row.id, "name": row.name}})


def group_create_from_src(c: Cinder, call: Call) -> Reply:
    need(c, call, "3.14")
    data = _obj(call, "create-from-src")
    row = groups_svc(c).create_from_source(
        call.ctx, name=_text(data, "name"), description=_text(data, "description"),
        source_group_id=data.get("source_group_id"),
        group_snapshot_id=data.get("group_snapshot_id"))
    return c.reply(call, 202, {"group": {"id": row.id, "name": row.name}})


def _group_list(c: Cinder, call: Call, full: bool) -> Reply:
    need(c, call, "3.13")
    all_tenants = call.ctx.is_admin and parse_bool("all_tenants",
                                                   call.query.get("all_tenants", "0"))
    infos = groups_svc(c).list(call.ctx, all_tenants=all_tenants)
    with_volumes = _list_volumes(c, call)
    items = [group_view(c, call, i, with_volumes) if full
             else {"id": i.row.id, "name": i.row.name} for i in infos]
    return c.reply(call, 200, {"groups": items})


def group_index(c: Cinder, call: Call) -> Reply:
    return _group_list(c, call, full=False)


def group_index_detail(c: Cinder, call: Call) -> Reply:
    return _group_list(c, call, full=True)


def group_show(c: Cinder, call: Call) -> Reply:
    need(c, call, "3.13")
    info = groups_svc(c).show(call.ctx, call.params["group_id"])
    return c.reply(call, 200, {"group": group_view(c, call, info, _list_volumes(c, call))})


def group_update(c: Cinder, call: Call) -> Reply:
    need(c, call, "3.13")
    data = _obj(call, "group")
    changes = {k: _text(data, k) for k in ("name", "description") if k in data}
    groups_svc(c).update(call.ctx, call.params["group_id"], changes,
                         data.get("add_volumes"), data.get("remove_volumes"))
    return c.reply(call, 202)


def group_action(c: Cinder, call: Call) -> Reply:
    need(c, call, "3.13")
    body = call.body()
    gid, svc = call.params["group_id"], groups_svc(c)
    if "delete" in body:
        arg = body["delete"] if isinstance(body["delete"], dict) else {}
        svc.delete(call.ctx, gid, parse_bool("delete-volumes",
                                             arg.get("delete-volumes", False)))
    elif "reset_status" in body and c.at_least(call, "3.20"):
        arg = body["reset_status"] if isinstance(body["reset_status"], dict) else {}
        svc.reset_status(call.ctx, gid, arg.get("status"))
    else:
        raise BadRequest(f"There is no such action: {', '.join(sorted(body)) or '(none)'}")
    return c.reply(call, 202)


# --- group snapshots ---------------------------------------------------------------------
def gs_view(c: Cinder, call: Call, row: GroupSnapshot) -> dict[str, Any]:
    out = {"id": row.id, "name": row.name, "description": row.description,
           "status": row.status, "created_at": iso(row.created_at),
           "group_id": row.group_id, "group_type_id": row.group_type_id}
    if c.at_least(call, "3.58") and _may_see_project(
            c, call, "group:group_snapshot_project_attribute", row.project_id):
        out["project_id"] = row.project_id
    return out


def gs_create(c: Cinder, call: Call) -> Reply:
    need(c, call, "3.14")
    data = _obj(call, "group_snapshot")
    row = snaps_svc(c).create(call.ctx, data.get("group_id"), _text(data, "name"),
                              _text(data, "description"))
    return c.reply(call, 202, {"group_snapshot": {
        "id": row.id, "name": row.name, "group_type_id": row.group_type_id}})


def _gs_list(c: Cinder, call: Call, full: bool) -> Reply:
    need(c, call, "3.14")
    all_tenants = call.ctx.is_admin and parse_bool("all_tenants",
                                                   call.query.get("all_tenants", "0"))
    filters = {k: call.query[k] for k in ("group_id", "status", "name") if k in call.query}
    rows = snaps_svc(c).list(call.ctx, all_tenants=all_tenants, filters=filters)
    items = [gs_view(c, call, r) if full else {"id": r.id, "name": r.name} for r in rows]
    return c.reply(call, 200, {"group_snapshots": items})


def gs_index(c: Cinder, call: Call) -> Reply:
    return _gs_list(c, call, full=False)


def gs_index_detail(c: Cinder, call: Call) -> Reply:
    return _gs_list(c, call, full=True)


def gs_show(c: Cinder, call: Call) -> Reply:
    need(c, call, "3.14")
    row = snaps_svc(c).show(call.ctx, call.params["group_snapshot_id"])
    return c.reply(call, 200, {"group_snapshot": gs_view(c, call, row)})


def gs_delete(c: Cinder, call: Call) -> Reply:
    need(c, call, "3.14")
    snaps_svc(c).delete(call.ctx, call.params["group_snapshot_id"])
    return c.reply(call, 202)


def gs_action(c: Cinder, call: Call) -> Reply:
    need(c, call, "3.14")
    body = call.body()
    if "reset_status" in body and c.at_least(call, "3.19"):
        arg = body["reset_status"] if isinstance(body["reset_status"], dict) else {}
        snaps_svc(c).reset_status(call.ctx, call.params["group_snapshot_id"],
                                  arg.get("status"))
        return c.reply(call, 202)
    raise BadRequest(f"There is no such action: {', '.join(sorted(body)) or '(none)'}")


def routes(c: Cinder) -> VolumeRoutes:
    r = VolumeRoutes()
    types, specs = "/group_types/{group_type_id}", "/group_types/{group_type_id}/group_specs"
    for method, path, handler in (
            ("POST", "/group_types", type_create),
            ("GET", "/group_types", type_index),
            ("GET", "/group_types/default", type_default),
            ("GET", types, type_show),
            ("PUT", types, type_update),
            ("DELETE", types, type_delete),
            ("POST", specs, specs_create),
            ("GET", specs, specs_index),
            ("GET", specs + "/{spec_id}", spec_show),
            ("PUT", specs + "/{spec_id}", spec_update),
            ("DELETE", specs + "/{spec_id}", spec_delete),
            ("POST", "/groups", group_create),
            ("GET", "/groups", group_index),
            ("GET", "/groups/detail", group_index_detail),
            ("POST", "/groups/action", group_create_from_src),
            ("GET", "/groups/{group_id}", group_show),
            ("PUT", "/groups/{group_id}", group_update),
            ("POST", "/groups/{group_id}/action", group_action),
            ("POST", "/group_snapshots", gs_create),
            ("GET", "/group_snapshots", gs_index),
            ("GET", "/group_snapshots/detail", gs_index_detail),
            ("GET", "/group_snapshots/{group_snapshot_id}", gs_show),
            ("DELETE", "/group_snapshots/{group_snapshot_id}", gs_delete),
            ("POST", "/group_snapshots/{group_snapshot_id}/action", gs_action)):
        r.add(method, path, partial(handler, c))
    return r

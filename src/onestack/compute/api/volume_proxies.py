"""Nova's pre-2.36 block storage proxies: ``os-volumes`` (and ``os-volumes_boot``'s
create) and ``os-snapshots``, translated to the volume service through the volume seam's
``proxy``; 404 from 2.36 on, as Nova."""
from __future__ import annotations

from functools import partial
from typing import Any

from onestack.compute.api.common import Compute, int_query
from onestack.compute.policies import servers as server_rules
from onestack.core.errors import BadRequest, NotFound
from onestack.core.http import Call, Reply, RouteTable

VOLUMES = "/v2.1/os-volumes"
SNAPSHOTS = "/v2.1/os-snapshots"
RULE = "os_compute_api:os-volumes:"
SNAP_RULE = "os_compute_api:os-volumes:snapshots:"
RULES = [(RULE + a, server_rules.PROJECT_READER_OR_ADMIN) for a in ("list", "detail", "show")]
RULES += [(RULE + a, server_rules.PROJECT_MEMBER_OR_ADMIN) for a in ("create", "delete")]
RULES += [(SNAP_RULE + a, server_rules.PROJECT_READER_OR_ADMIN)
          for a in ("list", "detail", "show")]
RULES += [(SNAP_RULE + a, server_rules.PROJECT_MEMBER_OR_ADMIN) for a in ("create", "delete")]


def _proxy(compute: Compute, call: Call, rule: str) -> Any:
    if compute.version(call) > (2, 35):
        raise NotFound("The resource could not be found.")
    compute.platform.policy.enforce(rule, call.ctx, {"project_id": call.ctx.project_id,
                                                     "user_id": call.ctx.user_id})
    seam = compute.platform.seams.get("volume")
    if seam is None:
        raise NotFound("The resource could not be found.")
    return seam.proxy


def _page(call: Call, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    offset = int_query(call, "offset") or 0
    limit = int_query(call, "limit")
    items = items[offset:]
    return items[:limit] if limit is not None else items


def _body(call: Call, key: str) -> dict[str, Any]:
    body = call.body()
    if not isinstance(body, dict) or not isinstance(body.get(key), dict):
        raise BadRequest(f"Invalid input for field/attribute {key}. '{key}' is a required "
                         "property")
    return body[key]


def _size(value: Any) -> int:
    if value is None:
        raise BadRequest("Invalid input for field/attribute volume. 'size' is a required "
                         "property")
    try:
        size = int(value) if not isinstance(value, bool) else -1
    except (TypeError, ValueError):
        size = -1
    if size < 1 or (isinstance(value, str) and not value.strip().isdigit()):
        raise BadRequest(f"Invalid input for field/attribute size. Value: {value}. "
                         f"{value!r} is not a positive integer")
    return size


def _optional_str(spec: dict[str, Any], name: str) -> str | None:
    value = spec.get(name)
    if value is not None and not isinstance(value, str):
        raise BadRequest(f"Invalid input for field/attribute {name}. Value: {value}.")
    return value


# --- os-volumes ---------------------------------------------------------------------------
def list_volumes(compute: Compute, call: Call, detail: bool = False) -> Reply:
    proxy = _proxy(compute, call, RULE + ("detail" if detail else "list"))
    return compute.reply(call, 200, {"volumes": _page(call, proxy.list_volumes(call.ctx))})


def show_volume(compute: Compute, call: Call) -> Reply:
    proxy = _proxy(compute, call, RULE + "show")
    return compute.reply(call, 200, {"volume": proxy.show_volume(
        call.ctx, call.params["volume_id"])})


def create_volume(compute: Compute, call: Call) -> Reply:
    proxy = _proxy(compute, call, RULE + "create")
    spec = _body(call, "volume")
    metadata = spec.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise BadRequest("Invalid input for field/attribute metadata.")
    made = proxy.create_volume(
        call.ctx, _size(spec.get("size")), name=_optional_str(spec, "display_name"),
        description=_optional_str(spec, "display_description"),
        volume_type=_optional_str(spec, "volume_type"),
        metadata={str(k): str(v) for k, v in metadata.items()},
        availability_zone=_optional_str(spec, "availability_zone"),
        snapshot_id=_optional_str(spec, "snapshot_id"),
        image_id=_optional_str(spec, "imageRef"))
    return compute.reply(call, 200, {"volume": made})


def delete_volume(compute: Compute, call: Call) -> Reply:
    proxy = _proxy(compute, call, RULE + "delete")
    proxy.delete_volume(call.ctx, call.params["volume_id"])
    return compute.reply(call, 202)


# --- os-snapshots -------------------------------------------------------------------------
def list_snapshots(compute: Compute, call: Call, detail: bool = False) -> Reply:
    proxy = _proxy(compute, call, SNAP_RULE + ("detail" if detail else "list"))
    return compute.reply(call, 200, {"snapshots": _page(call,
                                                        proxy.list_snapshots(call.ctx))})


def show_snapshot(compute: Compute, call: Call) -> Reply:
    proxy = _proxy(compute, call, SNAP_RULE + "show")
    return compute.reply(call, 200, {"snapshot": proxy.show_snapshot(
        call.ctx, call.params["snapshot_id"])})


def create_snapshot(compute: Compute, call: Call) -> Reply:
    proxy = _proxy(compute, call, SNAP_RULE + "create")
    spec = _body(call, "snapshot")
    volume_id = spec.get("volume_id")
    if not isinstance(volume_id, str) or not volume_id:
        raise BadRequest("Invalid input for field/attribute snapshot. 'volume_id' is a "
                         "required property")
    force = spec.get("force", False)
    if isinstance(force, str):
        force = force.lower() in ("true", "1", "yes", "on")
    made = proxy.create_snapshot(call.ctx, volume_id, force=bool(force),
                                 name=_optional_str(spec, "display_name"),
                                 description=_optional_str(spec, "display_description"))
    return compute.reply(call, 200, {"snapshot": made})


def delete_snapshot(compute: Compute, call: Call) -> Reply:
    proxy = _proxy(compute, call, SNAP_RULE + "delete")
    proxy.delete_snapshot(call.ctx, call.params["snapshot_id"])
    return compute.reply(call, 202)


def no_id(compute: Compute, call: Call) -> Reply:
    """``/os-volumes/`` (an empty id): Nova's 404, not the list."""
    _proxy(compute, call, RULE + "show")
    raise NotFound("The resource could not be found.")


def routes(compute: Compute) -> RouteTable:
    from onestack.compute.policies import register

    register(compute.platform.policy, RULES)
    table = RouteTable()
    for method, path, handler in (
            ("GET", VOLUMES + "/", no_id), ("DELETE", VOLUMES + "/", no_id),
            ("GET", SNAPSHOTS + "/", no_id), ("DELETE", SNAPSHOTS + "/", no_id),
            ("GET", VOLUMES, list_volumes),
            ("GET", VOLUMES + "/detail", partial(list_volumes, detail=True)),
            ("POST", VOLUMES, create_volume),
            ("GET", VOLUMES + "/{volume_id}", show_volume),
            ("DELETE", VOLUMES + "/{volume_id}", delete_volume),
            ("GET", SNAPSHOTS, list_snapshots),
            ("GET", SNAPSHOTS + "/detail", partial(list_snapshots, detail=True)),
            ("POST", SNAPSHOTS, create_snapshot),
            ("GET", SNAPSHOTS + "/{snapshot_id}", show_snapshot),
            ("DELETE", SNAPSHOTS + "/{snapshot_id}", delete_snapshot)):
        table.add(method, path, partial(handler, compute))
    return table

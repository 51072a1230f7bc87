"""Nova's image proxy: ``/images`` (list, detail, show, delete; gone from 2.36) and
``/images/{id}/metadata`` (gone from 2.39, when Nova stopped proxying image metadata).
Use cases (and who sees what) in ``compute.service.image_proxy``.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Callable

from onestack.compute import schemas
from onestack.compute.api import microversion, params
from onestack.compute.api.common import Compute, iso, links
from onestack.compute.seams import ProxiedImage, image_seam
from onestack.compute.service import image_proxy as service
from onestack.compute.service.image_proxy import Filters
from onestack.core.errors import BadRequest, Forbidden, NotFound
from onestack.core.http import Call, Reply, RouteTable
from onestack.image.seam import is_reserved_key

IMAGES_GONE = (2, 36)
METADATA_GONE = (2, 39)

# Glance status → (Nova status, progress). Anything else is UNKNOWN at 0 % (deactivated).
STATUS: dict[str, tuple[str, int]] = {
    "active": ("ACTIVE", 100), "queued": ("SAVING", 25), "saving": ("SAVING", 50),
    "uploading": ("SAVING", 25), "importing": ("SAVING", 50), "killed": ("ERROR", 0),
    "deleted": ("DELETED", 0), "pending_delete": ("DELETED", 0),
}
GLANCE_STATUSES = tuple(STATUS) + ("deactivated",)
_metadata = {"type": "object", "patternProperties": {params.METADATA_KEY: {
    "type": "string", "maxLength": 255}}, "additionalProperties": False}
METADATA = {"type": "object", "properties": {"metadata": _metadata},
            "required": ["metadata"], "additionalProperties": False}
META_ITEM = {"type": "object", "properties": {"meta": {
    **_metadata, "minProperties": 1, "maxProperties": 1}},
    "required": ["meta"], "additionalProperties": False}


def glance_statuses(value: str) -> tuple[str, ...]:
    """The Glance statuses a ``status`` filter means: Nova's names (``SAVING`` is queued,
    saving, uploading and importing) or a Glance status given as is."""
    nova = value.strip().upper()
    return tuple(g for g in GLANCE_STATUSES
                 if STATUS.get(g, ("UNKNOWN", 0))[0] == nova or g == value.strip().lower())


def parse_filters(call: Call) -> Filters:
    f = Filters(name=call.q("name"))
    if call.q("status") is not None:
        f.statuses = glance_statuses(call.q("status") or "")
    props: list[tuple[str, str]] = []
    server = call.q("server")
    if server is not None:  # an id or a server link: its last path segment
        props.append(("instance_uuid", server.rstrip("/").rsplit("/", 1)[-1]))
    if call.q("type") is not None:
        props.append(("image_type", call.q("type") or ""))
    for key, value in call.query.multi_items():
        if key.startswith("property-") and len(key) > len("property-"):
            props.append((key[len("property-"):], value))
    f.properties = tuple(props)
    since = call.q("changes-since")
    if since is not None:
        try:
            moment = datetime.fromisoformat(since.strip().replace("Z", "+00:00"))
        except ValueError as exc:
            raise BadRequest(f"Invalid changes-since value: {since}") from exc
        if moment.tzinfo:
            moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
        f.changes_since = moment
    f.min_ram = params.int_filter(call, "minRam")
    f.min_disk = params.int_filter(call, "minDisk")
    return f


def image_links(call: Call, image_id: str) -> list[dict[str, str]]:
    """self and bookmark in the compute API, alternate at the image service."""
    return links(call, "images", image_id) + [
        {"rel": "alternate", "type": "application/vnd.openstack.image",
         "href": f"{call.base_url}/image/images/{image_id}"}]


def brief_view(call: Call, row: ProxiedImage) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "links": image_links(call, row.id)}


def detail_view(call: Call, row: ProxiedImage, props: dict[str, str]) -> dict[str, Any]:
    status, progress = STATUS.get(row.status, ("UNKNOWN", 0))
    out: dict[str, Any] = {
        "id": row.id, "name": row.name, "status": status, "progress": progress,
        "minDisk": int(row.min_disk or 0), "minRam": int(row.min_ram or 0),
        "created": iso(row.created_at), "updated": iso(row.updated_at),
        "metadata": dict(props), "OS-EXT-IMG-SIZE:size": row.size,
        "links": image_links(call, row.id),
    }
    server_id = props.get("instance_uuid")
    if server_id:
        out["server"] = {"id": server_id, "links": links(call, "servers", server_id)}
    disk_config = props.get("auto_disk_config")
    if disk_config is not None:
        auto = disk_config.strip().lower() in params.TRUE_STRINGS
        out["OS-DCF:diskConfig"] = "AUTO" if auto else "MANUAL"
    return out


def check_keys(metadata: dict[str, str]) -> None:
    """Keys a metadata item may not use: the image's own attributes (the image service
    names them), not custom properties."""
    for key in metadata:
        if is_reserved_key(key):
            raise Forbidden(f"Attribute '{key}' is reserved.")


def negotiate(compute: Compute, call: Call, gone: tuple[int, int]) -> tuple[int, int]:
    """The call's microversion; 404 from ``gone`` on, as Nova answers for removed APIs."""
    v = compute.version(call)
    if v >= gone:
        raise NotFound(f"API version {microversion.fmt(v)} is not supported on this method.")
    return v


def proxy_of(compute: Compute) -> service.ImageProxyService:
    """The use cases over the image service's seam the composition root handed over."""
    return service.ImageProxyService(compute.deps, image_seam(compute.platform))


def routes(compute: Compute) -> RouteTable:
    r = RouteTable()
    proxy = proxy_of(compute)
    deps = compute.deps
    base = "/v2.1/images"

    def listing(call: Call, detail: bool) -> Reply:
        negotiate(compute, call, IMAGES_GONE)
        deps.enforce(call.ctx, service.RULE + "list")
        filters = parse_filters(call)
        limit, marker = params.limit_marker(call)
        found = proxy.list_images(call.ctx, filters, limit, marker, detail)
        images = [detail_view(call, row, row.properties) if detail
                  else brief_view(call, row) for row in found.rows]
        body: dict[str, Any] = {"images": images}
        nxt = params.next_link(call, images, limit)
        if nxt:
            body["images_links"] = nxt
        return compute.reply(call, 200, body)

    @r.get(base)
    def index(call: Call) -> Reply:
        return listing(call, False)

    @r.get(base + "/detail")
    def detail(call: Call) -> Reply:
        return listing(call, True)

    @r.get(base + "/{image_id}")
    def show(call: Call) -> Reply:
        negotiate(compute, call, IMAGES_GONE)
        row = proxy.show_image(call.ctx, call.params["image_id"])
        return compute.reply(call, 200, {"image": detail_view(call, row, row.properties)})

    @r.delete(base + "/{image_id}")
    def delete(call: Call) -> Reply:
        negotiate(compute, call, IMAGES_GONE)
        proxy.delete_image(call.ctx, call.params["image_id"])
        return compute.reply(call, 204)

    @r.delete(base + "/")
    def delete_blank(call: Call) -> Reply:
        """An empty id is no image (without this route the slash redirect would make it a
        405 on the collection)."""
        negotiate(compute, call, IMAGES_GONE)
        raise NotFound("Image not found.")

    metadata_routes(compute, r, base + "/{image_id}/metadata")
    return r


def metadata_routes(compute: Compute, r: RouteTable, base: str) -> None:
    """Image metadata: the custom properties of an image, read and written as a whole
    (POST merges, PUT replaces) or one key at a time."""
    proxy = proxy_of(compute)

    def read_props(call: Call) -> dict[str, str]:
        negotiate(compute, call, METADATA_GONE)
        return proxy.read_metadata(call.ctx, call.params["image_id"])

    def change(call: Call, fn: Callable[[dict[str, str]], dict[str, str]]) -> dict[str, str]:
        negotiate(compute, call, METADATA_GONE)
        return proxy.change_metadata(call.ctx, call.params["image_id"], fn)

    def body_of(call: Call, schema: dict[str, Any], key: str) -> dict[str, str]:
        """The validated ``key`` member (403 first for a caller who may not change)."""
        negotiate(compute, call, METADATA_GONE)
        proxy.authorize_metadata_change(call.ctx)
        found = schemas.validate(schema, call.body())[key]
        check_keys(found)
        return found

    @r.get(base)
    def index(call: Call) -> Reply:
        return compute.reply(call, 200, {"metadata": read_props(call)})

    @r.get(base + "/{key}")
    def show(call: Call) -> Reply:
        key = call.params["key"]
        props = read_props(call)
        if key not in props:
            raise NotFound("Invalid metadata key")
        return compute.reply(call, 200, {"meta": {key: props[key]}})

    @r.post(base)
    def create(call: Call) -> Reply:
        body = body_of(call, METADATA, "metadata")
        new = change(call, lambda props: {**props, **body})
        return compute.reply(call, 200, {"metadata": new})

    @r.put(base)
    def update_all(call: Call) -> Reply:
        body = body_of(call, METADATA, "metadata")
        new = change(call, lambda props: dict(body))
        return compute.reply(call, 200, {"metadata": new})

    @r.put(base + "/{key}")
    def update(call: Call) -> Reply:
        key = call.params["key"]
        meta = body_of(call, META_ITEM, "meta")
        if key not in meta:
            raise BadRequest("Request body and URI mismatch")
        change(call, lambda props: {**props, **meta})
        return compute.reply(call, 200, {"meta": meta})

    @r.delete(base + "/{key}")
    def delete(call: Call) -> Reply:
        key = call.params["key"]

        def drop(props: dict[str, str]) -> dict[str, str]:
            if key not in props:
                raise NotFound("Invalid metadata key")
            del props[key]
            return props

        change(call, drop)
        return compute.reply(call, 204)

"""Nova's image proxy: ``/images`` (list, detail, show, delete; gone from 2.36) and
``/images/{id}/metadata`` (gone from 2.39, when Nova stopped proxying image metadata).

Compute and image share one database, so these routes read and write the image service's
rows directly: an image's Nova ``metadata`` is its custom properties (``ImageProperty``
rows). What a caller sees follows Glance, since Nova answered with the caller's token:
lists hold the project's own images, public ones and shared ones it accepted; a single
image is also found when it is community or shared with the project in any member
status; anything else is a 404. Only the owner (or an admin) changes or deletes an image
it can see (403 otherwise, as Glance refuses).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.compute import quotas, schemas
from onestack.compute.api import microversion, params
from onestack.compute.api import params
from onestack.compute.api.common import Compute, iso, links
from onestack.core.db import utcnow
from onestack.core.errors import BadRequest, Forbidden, NotFound
from onestack.core.http import Call, Reply, RouteTable
from onestack.image import models as im
from onestack.image import schemas as image_schemas
from onestack.image.stores import filesystem_stores

READER = "role:reader or role:admin"
MEMBER = "role:member or role:admin"
RULES = [
    ("os_compute_api:images:list", READER),
    ("os_compute_api:images:show", READER),
    ("os_compute_api:images:delete", MEMBER),
    ("os_compute_api:images:metadata:show", READER),
    ("os_compute_api:images:metadata:update", MEMBER),
    # sees, changes and deletes every project's images (Glance's admin)
    ("os_compute_api:images:admin", "role:admin"),
]
IMAGES_GONE = (2, 36)
METADATA_GONE = (2, 39)

# Glance status → (Nova status, progress). Anything else is UNKNOWN at 0 % (deactivated).
STATUS: dict[str, tuple[str, int]] = {
    "active": ("ACTIVE", 100), "queued": ("SAVING", 25), "saving": ("SAVING", 50),
    "uploading": ("SAVING", 25), "importing": ("SAVING", 50), "killed": ("ERROR", 0),
    "deleted": ("DELETED", 0), "pending_delete": ("DELETED", 0),
}
GLANCE_STATUSES = tuple(STATUS) + ("deactivated",)
# Keys a metadata item may not use: the image's own attributes, not custom properties.
ATTRIBUTES = frozenset(("id",) + image_schemas.SETTABLE + image_schemas.READ_ONLY
                       + image_schemas.RESERVED)
_metadata = {"type": "object", "patternProperties": {params.METADATA_KEY: {
    "type": "string", "maxLength": 255}}, "additionalProperties": False}
METADATA = {"type": "object", "properties": {"metadata": _metadata},
            "required": ["metadata"], "additionalProperties": False}
META_ITEM = {"type": "object", "properties": {"meta": {
    **_metadata, "minProperties": 1, "maxProperties": 1}},
    "required": ["meta"], "additionalProperties": False}


@dataclass
class Filters:
    """The list filters Nova passes on to Glance."""

    name: str | None = None
    statuses: tuple[str, ...] | None = None
    properties: tuple[tuple[str, str], ...] = ()
    changes_since: datetime | None = None
    min_ram: int | None = None
    min_disk: int | None = None


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


def visible_clause(project_id: str, admin: bool) -> Any:
    """What a list shows (Glance's default list): own, public and accepted shared images,
    hidden ones (``os_hidden``) left out."""
    shown = im.Image.os_hidden.is_not(True)
    if admin:
        return shown
    project = project_id or "\x00none"
    accepted = sa.select(im.ImageMember.image_id).where(im.ImageMember.member == project,
                                                        im.ImageMember.status == "accepted")
    return sa.and_(shown, sa.or_(
        im.Image.owner == project, im.Image.visibility == "public",
        sa.and_(im.Image.visibility == "shared", im.Image.id.in_(accepted))))


def can_see(s: Session, row: im.Image, project_id: str, admin: bool) -> bool:
    """What a single read finds: a list's images, community ones and shared ones in any
    member status."""
    if admin or (row.owner and row.owner == project_id):
        return True
    if row.visibility in ("public", "community"):
        return True
    if row.visibility == "shared" and project_id:
        return s.get(im.ImageMember, (row.id, project_id)) is not None
    return False


def filter_clauses(f: Filters) -> list[Any]:
    out: list[Any] = []
    if f.name is not None:
        out.append(im.Image.name == f.name)
    if f.statuses is not None:
        out.append(im.Image.status.in_(f.statuses))
    for key, value in f.properties:
        out.append(im.Image.id.in_(sa.select(im.ImageProperty.image_id).where(
            im.ImageProperty.name == key, im.ImageProperty.value == value)))
    if f.changes_since is not None:
        out.append(im.Image.updated_at >= f.changes_since)
    if f.min_ram is not None:
        out.append(im.Image.min_ram >= f.min_ram)
    if f.min_disk is not None:
        out.append(im.Image.min_disk >= f.min_disk)
    return out


def properties_of(s: Session, ids: list[str]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {i: {} for i in ids}
    for start in range(0, len(ids), 500):
        for image_id, name, value in s.execute(
                sa.select(im.ImageProperty.image_id, im.ImageProperty.name,
                          im.ImageProperty.value)
                .where(im.ImageProperty.image_id.in_(ids[start:start + 500]))):
            out[image_id][name] = value
    return out


def image_links(call: Call, image_id: str) -> list[dict[str, str]]:
    """self and bookmark in the compute API, alternate at the image service."""
    return links(call, "images", image_id) + [
        {"rel": "alternate", "type": "application/vnd.openstack.image",
         "href": f"{call.base_url}/image/images/{image_id}"}]


def brief_view(call: Call, row: im.Image) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "links": image_links(call, row.id)}


def detail_view(call: Call, row: im.Image, props: dict[str, str]) -> dict[str, Any]:
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
    for key in metadata:
        if key in ATTRIBUTES or key.startswith(image_schemas.RESERVED_PREFIX):
            raise Forbidden(f"Attribute '{key}' is reserved.")


def routes(compute: Compute) -> RouteTable:
    r = RouteTable()
    base = "/v2.1/images"

    def negotiate(call: Call, gone: tuple[int, int]) -> tuple[int, int]:
        v = compute.version(call)
        if v >= gone:
            raise NotFound(f"API version {microversion.fmt(v)} is not supported on this "
                           "method.")
        return v

    def is_admin(call: Call) -> bool:
        return compute.allowed(call, "os_compute_api:images:admin")

    def find(s: Session, call: Call, image_id: str, *, lock: bool = False) -> im.Image:
        q = sa.select(im.Image).where(im.Image.id == image_id)
        row = s.scalar(q.with_for_update() if lock else q)
        if row is None or not can_see(s, row, call.ctx.project_id, is_admin(call)):
            raise NotFound("Image not found.")
        return row

    def owned(s: Session, call: Call, image_id: str) -> im.Image:
        row = find(s, call, image_id, lock=True)
        if not is_admin(call) and row.owner != call.ctx.project_id:
            raise Forbidden(f"Not authorized for image {image_id}.")
        return row

    def listing(call: Call, detail: bool) -> Reply:
        negotiate(call, IMAGES_GONE)
        compute.enforce(call, "os_compute_api:images:list")
        filters = parse_filters(call)
        limit, marker = params.limit_marker(call)
        admin = is_admin(call)

        def work(s: Session) -> list[dict[str, Any]]:
            q = sa.select(im.Image).where(visible_clause(call.ctx.project_id, admin),
                                          *filter_clauses(filters))
            if marker is not None:
                after = s.get(im.Image, marker)
                if after is None or not can_see(s, after, call.ctx.project_id, admin):
                    raise BadRequest(f"marker [{marker}] not found")
                q = q.where(sa.or_(im.Image.created_at < after.created_at, sa.and_(
                    im.Image.created_at == after.created_at, im.Image.id < after.id)))
            q = q.order_by(im.Image.created_at.desc(), im.Image.id.desc()).limit(limit)
            rows = list(s.scalars(q))
            if not detail:
                return [brief_view(call, row) for row in rows]
            props = properties_of(s, [row.id for row in rows])
            return [detail_view(call, row, props[row.id]) for row in rows]

        images = compute.read(work)
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
        negotiate(call, IMAGES_GONE)
        compute.enforce(call, "os_compute_api:images:show")

        def work(s: Session) -> dict[str, Any]:
            row = find(s, call, call.params["image_id"])
            return detail_view(call, row, properties_of(s, [row.id])[row.id])

        return compute.reply(call, 200, {"image": compute.read(work)})

    @r.delete(base + "/{image_id}")
    def delete(call: Call) -> Reply:
        negotiate(call, IMAGES_GONE)
        compute.enforce(call, "os_compute_api:images:delete")
        image_id = call.params["image_id"]

        def work(s: Session) -> None:
            row = owned(s, call, image_id)
            if row.protected:
                raise Forbidden("You are not allowed to delete the image.")
            for model in (im.ImageProperty, im.ImageTag, im.ImageMember):
                s.execute(sa.delete(model).where(model.image_id == image_id))
            s.delete(row)

        compute.write(work)
        # After the row is gone, as the image service does: an upload (or a snapshot)
        # still streaming finds no row and cleans up after itself.
        for store in filesystem_stores(compute.db.url):
            store.delete(image_id)
        return compute.reply(call, 204)

    @r.delete(base + "/")
    def delete_blank(call: Call) -> Reply:
        """An empty id is no image (without this route the slash redirect would make it a
        405 on the collection)."""
        negotiate(call, IMAGES_GONE)
        raise NotFound("Image not found.")

    metadata_routes(compute, r, base + "/{image_id}/metadata", negotiate, find, owned)
    return r


Finder = Callable[..., im.Image]


def metadata_routes(compute: Compute, r: RouteTable, base: str,
                    negotiate: Callable[[Call, tuple[int, int]], tuple[int, int]],
                    find: Finder, owned: Finder) -> None:
    """Image metadata: the custom properties of an image, read and written as a whole
    (POST merges, PUT replaces) or one key at a time."""

    def read_props(call: Call) -> dict[str, str]:
        negotiate(call, METADATA_GONE)
        compute.enforce(call, "os_compute_api:images:metadata:show")

        def work(s: Session) -> dict[str, str]:
            row = find(s, call, call.params["image_id"])
            return properties_of(s, [row.id])[row.id]

        return compute.read(work)

    def change(call: Call, fn: Callable[[dict[str, str]], dict[str, str]]) -> dict[str, str]:
        """Apply ``fn`` (current properties → new properties) under the image's row lock,
        within the ``metadata_items`` quota; returns the new properties."""
        negotiate(call, METADATA_GONE)
        compute.enforce(call, "os_compute_api:images:metadata:update")
        image_id = call.params["image_id"]

        def work(s: Session) -> dict[str, str]:
            row = owned(s, call, image_id)
            old = properties_of(s, [row.id])[row.id]
            new = fn(dict(old))
            limit = quotas.limits_for(s, call.ctx.project_id)["metadata_items"]
            if 0 <= limit < len(new):
                raise Forbidden("Image metadata limit exceeded")
            for key in old.keys() - new.keys():
                s.execute(sa.delete(im.ImageProperty).where(
                    im.ImageProperty.image_id == image_id, im.ImageProperty.name == key))
            for key, value in new.items():
                current = s.get(im.ImageProperty, (image_id, key))
                if current is None:
                    s.add(im.ImageProperty(image_id=image_id, name=key, value=value))
                elif current.value != value:
                    current.value = value
            row.updated_at = utcnow()
            return new

        return compute.write(work)

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
        body = schemas.validate(METADATA, call.body())["metadata"]
        check_keys(body)
        new = change(call, lambda props: {**props, **body})
        return compute.reply(call, 200, {"metadata": new})

    @r.put(base)
    def update_all(call: Call) -> Reply:
        body = schemas.validate(METADATA, call.body())["metadata"]
        check_keys(body)
        new = change(call, lambda props: dict(body))
        return compute.reply(call, 200, {"metadata": new})

    @r.put(base + "/{key}")
    def update(call: Call) -> Reply:
        key = call.params["key"]
        meta = schemas.validate(META_ITEM, call.body())["meta"]
        if key not in meta:
            raise BadRequest("Request body and URI mismatch")
        check_keys(meta)
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


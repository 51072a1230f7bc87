"""``/v2/images``: create, list, show, update (JSON patch), delete, tags, actions."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlencode

from onestack.core.errors import BadRequest, NotFound
from onestack.core.http import Call, Reply, RouteTable, no_content
from onestack.image import states
from onestack.image.api.common import PREFIX, Glance, parse_bool, parse_int
from onestack.image.service import listing, patch
from onestack.image.service.listing import ImageQuery

_CONTROL = {"limit", "marker", "sort", "sort_key", "sort_dir", "visibility", "member_status",
            "os_hidden", "protected", "tag", "size_min", "size_max"}


def routes(g: Glance) -> RouteTable:
    r = RouteTable()

    @r.post("/v2/images")
    def create(call: Call) -> Reply:
        image = g.images.create(call.ctx, call.json)
        return Reply(201, image, headers={
            "Location": f"{call.base_url}{PREFIX}/v2/images/{image['id']}",
            "OpenStack-image-import-methods": ",".join(g.deps.import_methods),
            "OpenStack-image-store-ids": ",".join(g.deps.stores)})

    @r.get("/v2/images")
    def list_(call: Call) -> Reply:
        page = g.images.list(call.ctx, parse_query(call))
        params = [(k, v) for k, v in call.query.multi_items() if k != "marker"]
        first = "/v2/images" + (f"?{urlencode(params)}" if params else "")
        body: dict[str, Any] = {"images": page.images, "first": first,
                                "schema": "/v2/schemas/images"}
        if page.next_marker:
            body["next"] = "/v2/images?" + urlencode(params + [("marker", page.next_marker)])
        return Reply(200, body)

    def missing_id(call: Call) -> Reply:
        raise NotFound("No image found with ID ''")

    for method in ("GET", "PATCH", "DELETE", "PUT"):
        r.add(method, "/v2/images/", missing_id)

    @r.get("/v2/images/{image_id}")
    def show(call: Call) -> Reply:
        return Reply(200, g.images.show(call.ctx, call.params["image_id"]))

    @r.patch("/v2/images/{image_id}")
    def update(call: Call) -> Reply:
        patch.check_media_type(call.headers.get("content-type"))
        ops = patch.parse(call.json)
        return Reply(200, g.images.update(call.ctx, call.params["image_id"], ops))

    @r.delete("/v2/images/{image_id}")
    def delete(call: Call) -> Reply:
        g.images.delete(call.ctx, call.params["image_id"])
        return no_content()

    @r.post("/v2/images/{image_id}/actions/deactivate")
    def deactivate(call: Call) -> Reply:
        g.images.deactivate(call.ctx, call.params["image_id"])
        return no_content()

    @r.post("/v2/images/{image_id}/actions/reactivate")
    def reactivate(call: Call) -> Reply:
        g.images.reactivate(call.ctx, call.params["image_id"])
        return no_content()

    @r.put("/v2/images/{image_id}/tags/{tag}")
    def add_tag(call: Call) -> Reply:
        g.images.add_tag(call.ctx, call.params["image_id"], call.params["tag"])
        return no_content()

    @r.delete("/v2/images/{image_id}/tags/{tag}")
    def delete_tag(call: Call) -> Reply:
        g.images.delete_tag(call.ctx, call.params["image_id"], call.params["tag"])
        return no_content()

    return r


def parse_query(call: Call) -> ImageQuery:
    """The list query string → ``ImageQuery``; 400 for anything malformed."""
    qs = call.query
    q = ImageQuery()
    if "limit" in qs:
        q.limit = min(parse_int("limit", qs["limit"]), listing.MAX_LIMIT)
    q.marker = qs.get("marker")
    q.sort = _sort(qs.getlist("sort"), qs.getlist("sort_key"), qs.getlist("sort_dir"))
    if "visibility" in qs:
        q.visibility = qs["visibility"]
        if q.visibility not in (*states.VISIBILITIES, "all"):
            raise BadRequest(f"Invalid visibility value: {q.visibility}")
    if "member_status" in qs:
        q.member_status = qs["member_status"]
        if q.member_status not in (*states.MEMBER_STATUSES, "all"):
            raise BadRequest(f"Invalid status value: {q.member_status}")
    if "os_hidden" in qs:
        q.os_hidden = parse_bool("os_hidden", qs["os_hidden"])
    if "protected" in qs:
        q.protected = parse_bool("protected", qs["protected"])
    q.tags = qs.getlist("tag")
    if "size_min" in qs:
        q.size_min = parse_int("size_min", qs["size_min"])
    if "size_max" in qs:
        q.size_max = parse_int("size_max", qs["size_max"])
    for key, value in qs.multi_items():
        if key in _CONTROL:
            continue
        if key in listing.TIME_COLUMNS:
            q.times.append(_time_filter(key, value))
        elif key in listing.INT_COLUMNS:
            q.columns.setdefault(key, []).extend(parse_int(key, v) for v in _values(value))
        elif key in listing.STRING_COLUMNS:
            q.columns.setdefault(key, []).extend(_values(value))
        else:
            q.properties.setdefault(key, []).extend(_values(value))
    return q


def _values(value: str) -> list[str]:
    """``in:a,"b,c"`` → several accepted values; anything else is one value."""
    if not value.startswith("in:"):
        return [value]
    out, current, quoted = [], "", False
    for ch in value[3:]:
        if ch == '"':
            quoted = not quoted
        elif ch == "," and not quoted:
            out.append(current)
            current = ""
        else:
            current += ch
    out.append(current)
    return out


def _time_filter(key: str, value: str) -> tuple[str, str, datetime]:
    op, sep, when = value.partition(":")
    if not sep or op not in listing.TIME_OPS:
        op, when = "eq", value
    try:
        moment = datetime.fromisoformat(when.replace("Z", "+00:00"))
    except ValueError as exc:
        raise BadRequest(f"Invalid time format for {key}: {when}") from exc
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return key, op, moment


def _sort(sort: list[str], keys: list[str], dirs: list[str]) -> list[tuple[str, str]]:
    if sort and (keys or dirs):
        raise BadRequest("The 'sort' parameter is not supported together with 'sort_key' "
                         "or 'sort_dir'.")
    pairs: list[tuple[str, str]] = []
    if sort:
        for item in ",".join(sort).split(","):
            key, _, direction = item.strip().partition(":")
            pairs.append((key, direction or "desc"))
    elif keys:
        if len(dirs) > 1 and len(dirs) != len(keys):
            raise BadRequest("The number of sort_dir values must be one or match the number "
                             "of sort_key values.")
        for i, key in enumerate(keys):
            direction = dirs[i] if len(dirs) > 1 else (dirs[0] if dirs else "desc")
            pairs.append((key, direction))
    elif dirs:
        if len(dirs) > 1:
            raise BadRequest("Only one sort_dir may be given without sort_key.")
        pairs.append(("created_at", dirs[0]))
    else:
        pairs.append(("created_at", "desc"))
    for key, direction in pairs:
        if key not in listing.SORT_KEYS:
            raise BadRequest(f"Invalid sort key: {key}. It should be one of the following: "
                             f"{', '.join(listing.SORT_KEYS)}.")
        if direction not in ("asc", "desc"):
            raise BadRequest(f"Invalid sort direction: {direction}. It should be asc or "
                             "desc.")
    return pairs

"""``/messages`` (3.3+): the user messages of the caller's project (list with
pagination, sorting and filters from 3.5, show, delete)."""
from __future__ import annotations

from functools import partial
from typing import Any

from onestack.core.errors import BadRequest, NotFound
from onestack.core.http import Call, Reply
from onestack.volume.api.common import Cinder, VolumeRoutes, iso, links
from onestack.volume.models.messages import Message
from onestack.volume.service.messages import FILTERS, SORT_KEYS, Messages

MAX_LIMIT = 1000


def messages(c: Cinder) -> Messages:
    return c.service("messages", Messages)


def _since_3_3(c: Cinder, call: Call) -> None:
    if not c.at_least(call, "3.3"):
        raise NotFound("The resource could not be found.")


def render(call: Call, row: Message) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": row.id, "event_id": row.event_id, "user_message": row.user_message,
        "message_level": row.message_level, "created_at": iso(row.created_at),
        "guaranteed_until": iso(row.expires_at), "request_id": row.request_id,
        "links": links(call, "messages", row.id)}
    if row.resource_type:
        out["resource_type"] = row.resource_type
    if row.resource_uuid:
        out["resource_uuid"] = row.resource_uuid
    return out


def _sort(call: Call) -> list[tuple[str, str]]:
    """``sort=key:dir,key`` or ``sort_key``/``sort_dir``; Cinder's default created_at desc."""
    pairs: list[tuple[str, str]] = []
    if call.q("sort"):
        if call.q("sort_key") or call.q("sort_dir"):
            raise BadRequest("The 'sort_key' and 'sort_dir' parameters are deprecated and "
                             "cannot be used with the 'sort' parameter.")
        for part in call.q("sort", "").split(","):
            key, _, direction = part.strip().partition(":")
            pairs.append((key.strip(), (direction or "desc").strip().lower()))
    elif call.q("sort_key") or call.q("sort_dir"):
        pairs.append((call.q("sort_key") or "created_at",
                      (call.q("sort_dir") or "desc").lower()))
    for key, direction in pairs:
        if key not in SORT_KEYS:
            raise BadRequest(f"Invalid sort key: {key}")
        if direction not in ("asc", "desc"):
            raise BadRequest("Unknown sort direction, must be 'desc' or 'asc'")
    return pairs or [("created_at", "desc")]


def _limit(call: Call) -> int | None:
    raw = call.q("limit")
    if raw is None:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest("limit param must be an integer") from None
    if value < 0:
        raise BadRequest("limit param must be positive")
    return min(value, MAX_LIMIT)


def list_messages(c: Cinder, call: Call) -> Reply:
    _since_3_3(c, call)
    limit = marker = None
    sort: list[tuple[str, str]] | None = None
    filters: dict[str, str] = {}
    paged = c.at_least(call, "3.5")
    if paged:
        limit, marker, sort = _limit(call), call.q("marker"), _sort(call)
        skip = {"limit", "marker", "sort", "sort_key", "sort_dir", "offset",
                "all_tenants", "with_count"}
        for key, value in call.query.items():
            if key in skip:
                continue
            if key not in FILTERS:
                if c.at_least(call, "3.33"):
                    raise BadRequest(f"Invalid filters {key} are found in query options.")
                continue
            filters[key] = value
    all_tenants = call.q("all_tenants", "").lower() in ("1", "true", "yes", "on")
    rows = messages(c).list(call.ctx, filters=filters, all_tenants=all_tenants,
                            limit=limit, marker=marker, sort=sort)
    body: dict[str, Any] = {"messages": [render(call, r) for r in rows]}
    if paged and limit and len(rows) == limit:
        body["messages_links"] = [{"rel": "next", "href": _next(call, rows[-1].id)}]
    return c.reply(call, 200, body)


def _next(call: Call, last_id: str) -> str:
    from urllib.parse import urlencode

    query = [(k, v) for k, v in call.query.items() if k != "marker"] + [("marker", last_id)]
    project = call.params.get("project_id")
    base = f"{call.base_url}/volume/v3" + (f"/{project}" if project else "")
    return f"{base}/messages?{urlencode(query)}"


def show_message(c: Cinder, call: Call) -> Reply:
    _since_3_3(c, call)
    row = messages(c).show(call.ctx, call.params["message_id"])
    return c.reply(call, 200, {"message": render(call, row)})


def delete_message(c: Cinder, call: Call) -> Reply:
    _since_3_3(c, call)
    messages(c).delete(call.ctx, call.params["message_id"])
    return c.reply(call, 204)


def routes(c: Cinder) -> VolumeRoutes:
    r = VolumeRoutes()
    r.add("GET", "/messages", partial(list_messages, c))
    r.add("GET", "/messages/{message_id}", partial(show_message, c))
    r.add("DELETE", "/messages/{message_id}", partial(delete_message, c))
    return r

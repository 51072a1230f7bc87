"""The attachments API (3.27+; ``os-complete`` 3.44, ``mode`` 3.54): ``POST /attachments``
reserves (and, with a connector, connects), ``PUT /attachments/{id}`` connects,
``POST /attachments/{id}/action {"os-complete": …}`` marks it in use, ``DELETE`` detaches;
``GET /attachments``, ``/attachments/detail``, ``/attachments/{id}``. Below 3.27 the paths
do not exist (404), as in Cinder."""
from __future__ import annotations

from typing import Any

from onestack.core.errors import BadRequest, NotFound
from onestack.core.http import Call, Reply
from onestack.volume.api.common import Cinder, VolumeRoutes
from onestack.volume.service.attachments import (FILTERS, MAX_LIMIT, SORT_KEYS,
                                                 AttachmentQuery, AttachmentService)

MIN_VERSION = "3.27"


def service(c: Cinder) -> AttachmentService:
    def build(platform: Any) -> AttachmentService:
        from onestack.volume.service.volumes import VolumeService

        return AttachmentService(platform, c.service("volumes", VolumeService).visible_volume)

    return c.service("attachments", build)


def _versioned(c: Cinder, call: Call, version: str = MIN_VERSION) -> None:
    if not c.at_least(call, version):
        raise NotFound("The resource could not be found.")


def _attachment_body(call: Call) -> dict[str, Any]:
    body = call.json
    if not isinstance(body, dict) or not isinstance(body.get("attachment"), dict):
        raise BadRequest("Invalid input for field/attribute attachment. 'attachment' is a "
                         "required property")
    return body["attachment"]


def parse_query(call: Call) -> AttachmentQuery:
    q = AttachmentQuery()
    qs = call.query
    for key, value in qs.items():
        if key in FILTERS:
            q.filters[key] = value
    if "all_tenants" in qs:
        q.all_tenants = qs["all_tenants"].lower() not in ("0", "false", "no", "off")
    if "limit" in qs:
        try:
            q.limit = int(qs["limit"])
        except ValueError as exc:
            raise BadRequest("limit param must be an integer") from exc
        if q.limit < 0:
            raise BadRequest("limit param must be positive")
        q.limit = min(q.limit, MAX_LIMIT)
    q.marker = qs.get("marker") or None
    sort = qs.get("sort")
    if sort:
        pairs = []
        for item in sort.split(","):
            key, _, direction = item.strip().partition(":")
            pairs.append((key, direction or "desc"))
    else:
        keys = (qs.get("sort_key") or "created_at").split(",")
        direction = qs.get("sort_dir") or "desc"
        pairs = [(k.strip(), direction) for k in keys]
    for key, direction in pairs:
        if key not in SORT_KEYS:
            raise BadRequest(f"Invalid input received: Invalid sort key {key}")
        if direction not in ("asc", "desc"):
            raise BadRequest(f"Invalid input received: Unknown sort direction, must be "
                             f"'desc' or 'asc'")
    q.sort = pairs
    return q


def routes(c: Cinder) -> VolumeRoutes:
    r = VolumeRoutes()

    def create(call: Call) -> Reply:
        _versioned(c, call)
        body = _attachment_body(call)
        mode = body.get("mode") if c.at_least(call, "3.54") else None
        out = service(c).create(call.ctx, body.get("volume_uuid"),
                                body.get("instance_uuid"), body.get("connector"), mode)
        return c.reply(call, 200, {"attachment": out})

    def update(call: Call) -> Reply:
        _versioned(c, call)
        body = _attachment_body(call)
        out = service(c).update(call.ctx, call.params["attachment_id"], body.get("connector"))
        return c.reply(call, 200, {"attachment": out})

    def action(call: Call) -> Reply:
        _versioned(c, call, "3.44")
        body = call.json
        if not isinstance(body, dict) or "os-complete" not in body:
            name = next(iter(body), "") if isinstance(body, dict) else ""
            raise BadRequest(f"There is no such action: {name}")
        service(c).complete(call.ctx, call.params["attachment_id"])
        return c.reply(call, 204)

    def delete(call: Call) -> Reply:
        _versioned(c, call)
        remaining = service(c).delete(call.ctx, call.params["attachment_id"])
        return c.reply(call, 200, {"attachments": remaining})

    def show(call: Call) -> Reply:
        _versioned(c, call)
        return c.reply(call, 200, {"attachment": service(c).show(
            call.ctx, call.params["attachment_id"])})

    def listing(details: bool):  # noqa: ANN202 - a handler
        def run(call: Call) -> Reply:
            _versioned(c, call)
            rows = service(c).list(call.ctx, parse_query(call), details=details)
            return c.reply(call, 200, {"attachments": rows})
        return run

    r.add("GET", "/attachments", listing(False))
    r.add("GET", "/attachments/detail", listing(True))
    r.add("POST", "/attachments", create)
    r.add("GET", "/attachments/{attachment_id}", show)
    r.add("PUT", "/attachments/{attachment_id}", update)
    r.add("DELETE", "/attachments/{attachment_id}", delete)
    r.add("POST", "/attachments/{attachment_id}/action", action)
    return r

"""Rows → the JSON shapes of Glance's v2 API. Links are relative to the API root, as
Glance writes them (``/v2/images/{id}``); clients join them with the endpoint."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from onestack.image import models as m


def iso(dt: datetime | None) -> str | None:
    """Glance's timestamp form: ``2026-11-26T01:52:01Z``."""
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ") if dt else None


def image(row: m.Image, properties: dict[str, str], tags: list[str]) -> dict[str, Any]:
    body: dict[str, Any] = dict(properties)
    body.update({
        "id": row.id, "name": row.name, "status": row.status, "visibility": row.visibility,
        "protected": bool(row.protected), "os_hidden": bool(row.os_hidden),
        "checksum": row.checksum, "os_hash_algo": row.os_hash_algo,
        "os_hash_value": row.os_hash_value, "owner": row.owner, "size": row.size,
        "virtual_size": row.virtual_size, "container_format": row.container_format,
        "disk_format": row.disk_format, "min_ram": row.min_ram or 0,
        "min_disk": row.min_disk or 0, "tags": sorted(tags),
        "created_at": iso(row.created_at), "updated_at": iso(row.updated_at),
        "self": f"/v2/images/{row.id}", "file": f"/v2/images/{row.id}/file",
        "schema": "/v2/schemas/image",
    })
    if row.stores:
        body["stores"] = row.stores
    return body


def member(row: m.ImageMember) -> dict[str, Any]:
    return {"created_at": iso(row.created_at), "updated_at": iso(row.updated_at),
            "image_id": row.image_id, "member_id": row.member, "status": row.status,
            "schema": "/v2/schemas/member"}


def task(row: m.Task) -> dict[str, Any]:
    return {"id": row.id, "type": row.type, "status": row.status, "owner": row.owner,
            "input": row.input, "result": row.result, "message": row.message or "",
            "image_id": row.image_id, "request_id": row.request_id, "user_id": row.user_id,
            "expires_at": iso(row.expires_at), "created_at": iso(row.created_at),
            "updated_at": iso(row.updated_at), "self": f"/v2/tasks/{row.id}",
            "schema": "/v2/schemas/task"}

"""Glance's JSON-patch dialect for images (``application/openstack-images-v2.1-json-patch``
and the older ``…-v2.0-json-patch``): ``add``, ``replace`` and ``remove`` on top-level image
attributes and custom properties. Pure functions; no database."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from onestack.core.errors import BadRequest, Conflict, Forbidden, UnsupportedMediaType
from onestack.image import schemas

MEDIA_TYPES = ("application/openstack-images-v2.1-json-patch",
               "application/openstack-images-v2.0-json-patch")
OPS = ("add", "replace", "remove")
_MISSING: Any = object()


@dataclass(frozen=True)
class Op:
    op: str
    name: str  # the attribute or property the path points at
    value: Any = _MISSING


def check_media_type(content_type: str | None) -> None:
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media not in MEDIA_TYPES:
        raise UnsupportedMediaType(
            f"Unsupported Content-Type: {content_type or 'none'}; use "
            f"'{MEDIA_TYPES[0]}'.")


def parse(body: Any) -> list[Op]:
    """Both spellings: ``{"op": "add", "path": "/x", "value": 1}`` and ``{"add": "/x", …}``."""
    if not isinstance(body, list):
        raise BadRequest("Request body must be a JSON array of operation objects.")
    ops = []
    for raw in body:
        if not isinstance(raw, dict):
            raise BadRequest("Operations must be JSON objects.")
        if "op" in raw:
            op, path = raw.get("op"), raw.get("path")
        else:
            named = [k for k in OPS if k in raw]
            if len(named) != 1:
                raise BadRequest("Operation objects must contain exactly one member named "
                                 "\"add\", \"remove\", or \"replace\".")
            op, path = named[0], raw[named[0]]
        if op not in OPS:
            raise BadRequest(f"Invalid operation: `{op}`.")
        if not isinstance(path, str):
            raise BadRequest("Unable to find `path` in the operation object.")
        if op != "remove" and "value" not in raw:
            raise BadRequest(f"Operation \"{op}\" requires a member named \"value\".")
        ops.append(Op(op, _pointer(path), raw.get("value", _MISSING)))
    return ops


def _pointer(path: str) -> str:
    """A restricted JSON pointer: exactly one level, ``~0``/``~1`` escapes decoded."""
    if not path.startswith("/") or path == "/":
        raise BadRequest(f"Invalid JSON pointer for this resource: '{path}'")
    parts = path[1:].split("/")
    name = parts[0].replace("~1", "/").replace("~0", "~")
    if name in ("locations", "location"):
        raise Forbidden("It's not allowed to update locations of images in this cloud.")
    if len(parts) != 1:
        raise BadRequest(f"Invalid JSON pointer for this resource: '{path}'")
    return name


def check_name(name: str, *, creating: bool = False) -> None:
    """403 for attributes only the service sets and for reserved names."""
    if name in schemas.READ_ONLY or (name == "id" and not creating):
        raise Forbidden(f"Attribute '{name}' is read-only.")
    if name in schemas.RESERVED or name.startswith(schemas.RESERVED_PREFIX):
        raise Forbidden(f"Attribute '{name}' is reserved.")


def apply(doc: dict[str, Any], ops: list[Op]) -> dict[str, Any]:
    """``doc`` holds the settable attributes and custom properties of an image; returns a
    changed copy, validated against the image schema."""
    out = dict(doc)
    for op in ops:
        check_name(op.name)
        core = op.name in schemas.SETTABLE
        if op.op == "add":
            out[op.name] = op.value
        elif op.op == "replace":
            if not core and op.name not in out:
                raise Conflict(f"Property {op.name} does not exist.")
            out[op.name] = op.value
        else:
            if core:
                raise Forbidden(f"Attribute '{op.name}' cannot be removed.")
            if op.name not in out:
                raise Conflict(f"Property {op.name} does not exist.")
            del out[op.name]
    schemas.validate_image_fields(out)
    return out

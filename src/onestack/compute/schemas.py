"""Request schemas of the compute API (2.1) and the one ``validate`` every compute route uses
(400 with Nova's wording, compiled validators cached in a bounded map)."""
from __future__ import annotations

import threading
import unicodedata
from collections import OrderedDict
from typing import Any

import jsonschema

from onestack.core.errors import ValidationError

_name = {"type": "string", "minLength": 1, "maxLength": 255, "format": "printable",
         "pattern": r"^(?!\s)[\s\S]*(?<!\s)$"}
_metadata = {"type": "object",  # the item count is a quota (403), not a schema rule
             "patternProperties": {"^[a-zA-Z0-9-_:. /]{1,255}$": {
                 "type": "string", "maxLength": 255}},
             "additionalProperties": False}
_ref = {"type": ["string", "integer"], "minLength": 1}
SERVER_CREATE = {
    "type": "object",
    "properties": {
        "server": {
            "type": "object",
            "properties": {
                "name": _name, "imageRef": {"type": "string"}, "flavorRef": _ref,
                "adminPass": {"type": "string"}, "metadata": _metadata,
                "networks": {"oneOf": [{"type": "array"},
                                       {"type": "string", "enum": ["none", "auto"]}]},
                "OS-DCF:diskConfig": {"type": "string", "enum": ["AUTO", "MANUAL"]},
                "accessIPv4": {"type": "string", "format": "ipv4"},
                "accessIPv6": {"type": "string", "format": "ipv6"},
                "personality": {"type": "array", "items": {"type": "object"}},
                "availability_zone": {"type": "string", "minLength": 1, "maxLength": 255},
                "block_device_mapping": {"type": "array"},
                "block_device_mapping_v2": {"type": "array"},
                "config_drive": {"type": ["boolean", "string"]},
                "key_name": {"type": "string", "minLength": 1, "maxLength": 255},
                "min_count": {"type": ["integer", "string"], "pattern": "^[0-9]+$",
                              "minimum": 1},
                "max_count": {"type": ["integer", "string"], "pattern": "^[0-9]+$",
                              "minimum": 1},
                "return_reservation_id": {"type": ["boolean", "string"]},
                "security_groups": {"type": "array", "items": {"type": "object"}},
                "user_data": {"type": "string", "format": "base64", "maxLength": 65535},
                "description": {"type": ["string", "null"], "maxLength": 255},
                "tags": {"type": "array", "items": {"type": "string", "maxLength": 60},
                         "maxItems": 50},
                "hostname": {"type": "string"},
            },
            "required": ["name", "flavorRef"],
            "additionalProperties": False,
        },
        "os:scheduler_hints": {"type": "object"},
        "OS-SCH-HNT:scheduler_hints": {"type": "object"},
    },
    "required": ["server"],
    "additionalProperties": False,
}
SERVER_UPDATE = {
    "type": "object",
    "properties": {"server": {"type": "object", "properties": {
        "name": _name, "accessIPv4": {"type": "string", "format": "ipv4"},
        "accessIPv6": {"type": "string", "format": "ipv6"},
        "OS-DCF:diskConfig": {"type": "string", "enum": ["AUTO", "MANUAL"]},
        "description": {"type": ["string", "null"], "maxLength": 255},
        "hostname": {"type": "string"}},
        "additionalProperties": False}},
    "required": ["server"], "additionalProperties": False,
}
METADATA = {"type": "object", "properties": {"metadata": _metadata}, "required": ["metadata"],
            "additionalProperties": False}
META_ITEM = {"type": "object", "properties": {"meta": {**_metadata, "minProperties": 1,
                                                       "maxProperties": 1}},
             "required": ["meta"], "additionalProperties": False}

_checker = jsonschema.FormatChecker()


@_checker.checks("base64")
def _is_base64(value: object) -> bool:
    import base64
    import binascii

    if not isinstance(value, str):
        return True
    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


@_checker.checks("printable")
def _is_printable(value: object) -> bool:
    """Nova's names: no control, format, private-use or unassigned characters and no line or
    paragraph separators (a NUL in a flavor name is a 400, not a stored row)."""
    if not isinstance(value, str):
        return True
    for char in value:
        category = unicodedata.category(char)
        if category[0] == "C" or category in ("Zl", "Zp"):
            return False
    return True


# Compiled validators, most recently used last. Keyed by ``id(schema)`` but holding the
# schema too: a cached schema cannot be freed, so its id cannot be reused by another one, and
# the bound keeps schemas built per request from growing the cache for ever.
CACHE_SIZE = 256
_validators: OrderedDict[int, tuple[dict[str, Any], Any]] = OrderedDict()
_lock = threading.Lock()


def validator(schema: dict[str, Any]) -> Any:
    """The compiled validator of ``schema`` (compiled once while it stays in the cache)."""
    key = id(schema)
    with _lock:
        entry = _validators.get(key)
        if entry is not None and entry[0] is schema:
            _validators.move_to_end(key)
            return entry[1]
    compiled = jsonschema.Draft4Validator(schema, format_checker=_checker)
    with _lock:
        _validators[key] = (schema, compiled)
        _validators.move_to_end(key)
        while len(_validators) > CACHE_SIZE:
            _validators.popitem(last=False)
    return compiled


def validate(schema: dict[str, Any], instance: Any) -> Any:
    error = jsonschema.exceptions.best_match(validator(schema).iter_errors(instance))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path)
        raise ValidationError(f"Invalid input for field/attribute {where}. "
                              f"Value: {error.instance!r}. {error.message}")
    return instance

"""Request parameter types shared by the compute route modules (Nova's 2.1 parameter types),
the conversions they imply, and small query-string helpers.

Schemas are validated with ``onestack.compute.schemas.validate`` (400 with Nova's wording).
"""
from __future__ import annotations

from typing import Any

from onestack.compute.service.services import is_uuid  # noqa: F401 (one definition, re-exported)
from onestack.core.errors import BadRequest
from onestack.core.http import Call

TRUE_STRINGS = ("1", "t", "true", "on", "y", "yes")
FALSE_STRINGS = ("0", "f", "false", "off", "n", "no")

# A name: 1-255 printable characters (no NUL or other control characters), no leading or
# trailing whitespace.
NAME = {"type": "string", "minLength": 1, "maxLength": 255, "format": "printable",
        "pattern": r"^(?!\s)[\s\S]*(?<!\s)$"}
NAME_OR_NULL = {"type": ["string", "null"], "minLength": 1, "maxLength": 255,
                "format": "printable", "pattern": r"^(?!\s)[\s\S]*(?<!\s)$"}
# Nova accepts booleans and their usual spellings as strings.
BOOLEAN = {"type": ["boolean", "string"],
           "enum": [True, False] + [v for s in TRUE_STRINGS + FALSE_STRINGS
                                    for v in (s, s.upper(), s.capitalize())]}
# Integers that may come as strings ("1024").
POSITIVE_INT = {"type": ["integer", "string"], "pattern": r"^[0-9]*$", "minimum": 1,
                "maximum": 2147483647}
NON_NEGATIVE_INT = {"type": ["integer", "string"], "pattern": r"^[0-9]*$", "minimum": 0,
                    "maximum": 2147483647}
QUOTA_LIMIT = {"type": ["integer", "string"], "pattern": r"^-?[0-9]+$", "minimum": -1,
               "maximum": 2147483647}
METADATA_KEY = r"^[a-zA-Z0-9-_:. ]{1,255}$"


def to_bool(value: Any) -> bool:
    """A validated ``BOOLEAN`` as a bool."""
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in TRUE_STRINGS


def to_int(value: Any, name: str, minimum: int | None = None,
           maximum: int = 2147483647) -> int:
    """An integer-like value as an int; 400 with Nova's wording when it is not one or is out
    of range."""
    if isinstance(value, bool):
        raise BadRequest(f"{name} must be an integer.")
    try:
        n = int(str(value).strip())
    except (TypeError, ValueError) as exc:
        raise BadRequest(f"{name} must be an integer.") from exc
    if minimum is not None and n < minimum:
        raise BadRequest(f"{name} must be >= {minimum}")
    if n > maximum:
        raise BadRequest(f"{name} must be <= {maximum}")
    return n


def query_bool(call: Call, name: str) -> bool | None:
    """A boolean query parameter; None when absent, 400 when it is not a boolean."""
    value = call.q(name)
    if value is None:
        return None
    low = value.strip().lower()
    if low in TRUE_STRINGS:
        return True
    if low in FALSE_STRINGS:
        return False
    raise BadRequest(f"Invalid input for query parameters {name}. Value: {value}. "
                     f"'{value}' is not a valid boolean value.")


def limit_marker(call: Call, max_limit: int = 1000) -> tuple[int, str | None]:
    """Nova's ``limit`` (0 < limit, capped at ``max_limit``) and ``marker`` query values."""
    raw = call.q("limit")
    limit = max_limit
    if raw is not None:
        try:
            limit = int(raw)
        except ValueError as exc:
            raise BadRequest("limit param must be an integer") from exc
        if limit < 0:
            raise BadRequest("limit param must be positive")
        limit = min(limit, max_limit)
    return limit, call.q("marker")


def page(items: list[Any], key: str, limit: int, marker: str | None,
         what: str = "marker") -> list[Any]:
    """The items after ``marker`` (matched on ``key``), at most ``limit``; a marker that is
    not in the list is Nova's 400."""
    start = 0
    if marker is not None:
        for i, item in enumerate(items):
            if str(item[key] if isinstance(item, dict) else getattr(item, key)) == marker:
                start = i + 1
                break
        else:
            raise BadRequest(f"{what} [{marker}] not found")
    return items[start:start + limit]


def next_link(call: Call, items: list[dict[str, Any]], limit: int,
              key: str = "id") -> list[dict[str, str]]:
    """The ``*_links`` ``next`` entry when a page came back full."""
    if not items or len(items) < limit:
        return []
    from urllib.parse import urlencode

    params = [(k, v) for k, v in call.query.multi_items() if k != "marker"]
    params.append(("marker", str(items[-1][key])))
    return [{"rel": "next", "href": f"{call.base_url}{call.path}?{urlencode(params)}"}]


def int_filter(call: Call, name: str) -> int | None:
    """An integer query filter (``minRam``, ``minDisk`` …): None when absent, 400 when not
    a number."""
    value = call.q(name)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError as exc:
        raise BadRequest(f"Invalid {name} filter [{value}]") from exc

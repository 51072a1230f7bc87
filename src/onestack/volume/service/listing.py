"""List endpoints' shared parts, as Cinder reads them: ``limit``/``marker``/``offset``,
``sort`` (``key:dir,…``) or the older ``sort_key``/``sort_dir``, ``with_count`` (3.45),
``all_tenants``, time filters (``created_at=gte:…``, 3.60), like filters (``name~=…``,
3.34), filter values read as Python literals (``metadata={'k': 'v'}``: Tempest sends dicts
that way), keyset pagination over any sort, and the ``*_links`` next link.

Other areas (snapshots, backups, …) may use these; nothing here knows a resource.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Mapping, Sequence
from urllib.parse import urlencode

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.errors import BadRequest, NotFound

MAX_LIMIT = 1000  # Cinder's osapi_max_limit
DB_MAX_INT = 0x7FFFFFFF
CONTROL = ("limit", "marker", "offset", "sort", "sort_key", "sort_dir", "with_count",
           "all_tenants")
TIME_OPS = {"gt": "__gt__", "gte": "__ge__", "lt": "__lt__", "lte": "__le__",
            "eq": "__eq__", "neq": "__ne__"}
TRUE = ("true", "t", "1", "yes", "y", "on")
FALSE = ("false", "f", "0", "no", "n", "off")


@dataclass
class ListParams:
    limit: int | None = None
    marker: str | None = None
    offset: int = 0
    sort: list[tuple[str, str]] = field(default_factory=list)
    with_count: bool = False
    all_tenants: bool = False
    filters: dict[str, str] = field(default_factory=dict)  # every other query parameter

    @property
    def page_size(self) -> int:
        return min(self.limit or MAX_LIMIT, MAX_LIMIT)


def parse_bool(name: str, value: Any) -> bool:
    low = str(value).strip().lower()
    if low in TRUE:
        return True
    if low in FALSE:
        return False
    raise BadRequest(f"Invalid value '{value}' for {name}: '{value}' is not a valid "
                     "boolean value")


def _int(name: str, value: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError) as exc:
        raise BadRequest(f"{name} param must be an integer") from exc
    if number < 0:
        raise BadRequest(f"{name} param must be positive")
    return min(number, DB_MAX_INT)  # past any row count, within every backend's integers


def parse_params(query: Any, *, with_count_allowed: bool = True,
                 default_sort: Sequence[tuple[str, str]] = (("created_at", "desc"),)
                 ) -> ListParams:
    """The control parameters of a list request (a ``QueryParams`` or a mapping); the rest
    goes to ``filters`` as given (the last value of a repeated parameter wins)."""
    items = list(query.multi_items()) if hasattr(query, "multi_items") else list(query.items())
    qs: dict[str, str] = {}
    for key, value in items:
        qs[key] = value
    p = ListParams()
    if "limit" in qs:
        p.limit = _int("limit", qs["limit"]) or None
    if "offset" in qs:
        p.offset = _int("offset", qs["offset"])
    p.marker = qs.get("marker") or None
    p.sort = parse_sort(qs, default_sort)
    if with_count_allowed and "with_count" in qs:
        p.with_count = parse_bool("with_count", qs["with_count"])
    if "all_tenants" in qs:
        raw = qs["all_tenants"]
        p.all_tenants = raw == "" or raw.strip().lower() not in FALSE
    p.filters = {k: v for k, v in qs.items() if k not in CONTROL}
    return p


def parse_sort(qs: Mapping[str, str], default: Sequence[tuple[str, str]]
               ) -> list[tuple[str, str]]:
    """Cinder's ``get_sort_params``: ``sort=k1:d1,k2`` or ``sort_key``/``sort_dir``
    (not both); the default direction is desc."""
    if "sort" in qs:
        if "sort_key" in qs or "sort_dir" in qs:
            raise BadRequest("The 'sort_key' and 'sort_dir' parameters are deprecated and "
                             "cannot be used with the 'sort' parameter.")
        pairs = []
        for item in qs["sort"].strip().split(","):
            key, _, direction = item.partition(":")
            pairs.append((key.strip(), direction.strip() or "desc"))
    elif "sort_key" in qs or "sort_dir" in qs:
        pairs = [(qs.get("sort_key", default[0][0]).strip(),
                  qs.get("sort_dir", "desc").strip() or "desc")]
    else:
        pairs = list(default)
    for key, direction in pairs:
        if direction.lower() not in ("asc", "desc"):
            raise BadRequest("Invalid input received: Unknown sort direction, must be "
                             "'desc' or 'asc'")
        if not key:
            raise BadRequest("Invalid input received: Invalid sort key")
    return [(k, d.lower()) for k, d in pairs]


def sort_columns(pairs: list[tuple[str, str]], columns: Mapping[str, Any], model: Any
                 ) -> list[tuple[Any, str]]:
    """(column, direction) for the keys (names mapped through ``columns``), with
    ``created_at`` and ``id`` appended as tie-breakers (Cinder's paginate_query)."""
    out: list[tuple[Any, str]] = []
    names = []
    for key, direction in pairs:
        column = columns.get(key)
        if column is None:
            raise BadRequest("Invalid input received: Invalid sort key")
        out.append((column, direction))
        names.append(key)
    last = pairs[-1][1] if pairs else "desc"
    for tie in ("created_at", "id"):
        if tie not in names:
            out.append((getattr(model, tie), last))
    return out


def literal(value: Any) -> Any:
    """A filter value as Cinder reads it: a Python literal when it is one
    (``{'k': 'v'}``, ``5``), else the string."""
    if not isinstance(value, str) or len(value) > 4096:
        return value
    try:
        return ast.literal_eval(value)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return value


def time_filter(column: Any, name: str, value: str) -> Any:
    """``created_at=gte:2026-11-27T10:00:00,lt:…`` (3.60) → one SQL condition."""
    conditions = []
    for part in str(value).split(","):
        op, sep, when = part.partition(":")
        if not sep or op not in TIME_OPS:
            op, when = "eq", part
        try:
            moment = datetime.fromisoformat(when.strip().replace("Z", "+00:00"))
        except ValueError as exc:
            raise BadRequest(f"Invalid input received: Invalid filter value for {name}: "
                             f"'{when}' is not a valid timestamp.") from exc
        if moment.tzinfo is not None:
            moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
        conditions.append(getattr(column, TIME_OPS[op])(moment))
    return sa.and_(*conditions)


def like(column: Any, value: str) -> Any:
    """Cinder's inexact filter: the value anywhere in the column (``%`` and ``_`` are
    literal)."""
    escaped = str(value).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.like(f"%{escaped}%", escape="\\")


def keyset(order: list[tuple[Any, str]], marker: Any) -> Any:
    """Rows after ``marker`` (a row) in ``order``: (a > ma) or (a = ma and b > mb) …,
    with NULLs first ascending and last descending, as ``page`` orders them."""
    clauses = []
    for i, (column, direction) in enumerate(order):
        value = getattr(marker, column.key)
        equal = [c == getattr(marker, c.key) for c, _ in order[:i]]
        if value is None:
            after = column.isnot(None) if direction == "asc" else sa.false()
        else:
            after = column > value if direction == "asc" else column < value
            if direction == "desc":
                after = sa.or_(after, column.is_(None))
        clauses.append(sa.and_(*equal, after))
    return sa.or_(*clauses)


def page(s: Session, stmt: sa.Select, model: Any, order: list[tuple[Any, str]],
         p: ListParams, not_found: str = "Marker {marker} could not be found."
         ) -> list[Any]:
    """One page of ``stmt`` (selecting ``model`` rows) in ``order`` after ``p.marker``."""
    if p.marker:
        marker = s.get(model, p.marker) if len(p.marker) <= 64 else None
        if marker is None:
            raise NotFound(not_found.format(marker=p.marker))
        stmt = stmt.where(keyset(order, marker))
    for column, direction in order:
        # NULLs first ascending, last descending: one order on every backend
        stmt = stmt.order_by(sa.case((column.is_(None), 0), else_=1).asc()
                             if direction == "asc" else
                             sa.case((column.is_(None), 0), else_=1).desc())
        stmt = stmt.order_by(column.asc() if direction == "asc" else column.desc())
    stmt = stmt.offset(p.offset) if p.offset else stmt
    return list(s.scalars(stmt.limit(p.page_size)))


def count(s: Session, stmt: sa.Select) -> int:
    return s.scalar(sa.select(sa.func.count()).select_from(
        stmt.order_by(None).subquery())) or 0


def next_links(base_url: str, path: str, query: Any, items: Sequence[Any],
               p: ListParams, id_key: str = "id") -> list[dict[str, str]]:
    """``[{"rel": "next", "href": …}]`` when the page is full (Cinder's rule: a full page
    has a next link even when nothing follows), on the path the caller asked."""
    if not items or len(items) < p.page_size:
        return []
    last = items[-1]
    ident = last[id_key] if isinstance(last, dict) else getattr(last, id_key)
    pairs = [(k, v) for k, v in (query.multi_items() if hasattr(query, "multi_items")
                                 else query.items()) if k != "marker"]
    pairs.append(("marker", ident))
    return [{"rel": "next", "href": f"{base_url}{path}?{urlencode(pairs)}"}]

"""Neutron's list conventions as SQL: filters on any attribute (several values: any of
them), tag filters, ``sort_key``/``sort_dir`` pairs and keyset pagination
(``limit``/``marker``/``page_reverse``) that stays stable with an ``id`` tie-break."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.errors import BadRequest
from onestack.network.attributes import Resource, to_bool, to_int
from onestack.network.models.base import Tag

TAG_FILTERS = ("tags", "tags-any", "not-tags", "not-tags-any")


@dataclass
class ListQuery:
    """A parsed list request (the API layer builds it from the query string)."""

    filters: dict[str, list[str]] = field(default_factory=dict)
    tags: dict[str, list[str]] = field(default_factory=dict)  # TAG_FILTERS → tags
    fields: list[str] = field(default_factory=list)
    sorts: list[tuple[str, str]] = field(default_factory=list)
    limit: int | None = None
    marker: str | None = None
    page_reverse: bool = False


def convert_filter(column: Any, value: str) -> Any:
    """A query-string value in the column's type (``?shared=true``, ``?mtu=1450``)."""
    kind = getattr(column, "type", None)
    if isinstance(kind, sa.Boolean):
        return to_bool(value)
    if isinstance(kind, (sa.Integer, sa.BigInteger)):
        return to_int(value)
    if isinstance(kind, sa.DateTime):  # a timestamp as rendered (``...Z``): naive UTC
        try:
            return datetime.fromisoformat(value.removesuffix("Z")).replace(tzinfo=None)
        except ValueError:
            raise BadRequest(f"Invalid input for operation: '{value}' is not a valid "
                             "timestamp.", kind="InvalidInput") from None
    return value


def column_of(model: type, resource: Resource, name: str) -> Any | None:
    attr = resource.by_name.get(name)
    if attr is None or attr.computed:
        return None
    return getattr(model, attr.key, None)


def filter_clauses(model: type, resource: Resource, q: ListQuery,
                   computed: Any) -> list[Any]:
    """WHERE clauses for ``q.filters``. ``computed(name, values)`` answers a clause (or
    None to ignore) for attributes the engine does not store; an attribute the resource
    does not have is a 400, as Neutron's filter validation answers."""
    clauses: list[Any] = []
    bad = [n for n in q.filters if n not in resource.by_name
           or not resource.by_name[n].filter]
    if bad:
        raise BadRequest(f"{bad} is invalid attribute for filtering", kind="HTTPBadRequest")
    for name, values in q.filters.items():
        column = column_of(model, resource, name)
        if column is None:
            clause = computed(name, values)
            if clause is not None:
                clauses.append(clause)
            continue
        typed = [convert_filter(column, v) for v in values]
        if isinstance(column.type, sa.DateTime):  # shown to the second, stored finer
            clauses.append(sa.or_(*(sa.and_(column >= t, column < t + timedelta(seconds=1))
                                    for t in typed)))
            continue
        if any(v == "" for v in typed) and not isinstance(column.type, (sa.Boolean,
                                                                        sa.Integer)):
            clauses.append(sa.or_(column.in_(typed), column.is_(None)))
        else:
            clauses.append(column.in_(typed))
    clauses.extend(tag_clauses(model, resource.name, q.tags))
    return clauses


def tag_clauses(model: type, kind: str, tags: dict[str, list[str]]) -> list[Any]:
    def having(tag: str) -> Any:
        return sa.exists().where(Tag.resource_type == kind, Tag.resource_id == model.id,
                                 Tag.tag == tag)
    out: list[Any] = []
    if tags.get("tags"):
        out.append(sa.and_(*(having(t) for t in tags["tags"])))
    if tags.get("tags-any"):
        out.append(sa.or_(*(having(t) for t in tags["tags-any"])))
    if tags.get("not-tags"):
        out.append(sa.not_(sa.and_(*(having(t) for t in tags["not-tags"]))))
    if tags.get("not-tags-any"):
        out.append(sa.not_(sa.or_(*(having(t) for t in tags["not-tags-any"]))))
    return out


def sort_columns(model: type, resource: Resource, q: ListQuery) -> list[tuple[Any, bool]]:
    """(column, ascending) pairs, ending with ``id`` so that every order is total."""
    out: list[tuple[Any, bool]] = []
    for key, direction in q.sorts:
        attr = resource.by_name.get(key)
        column = column_of(model, resource, key)
        if attr is None or not attr.sort or column is None:
            raise BadRequest(f"{key} is an invalid attribute for sort_key",
                             kind="HTTPBadRequest")
        if direction not in ("asc", "desc"):
            raise BadRequest(f"{direction} is an invalid value for sort_dir, valid values "
                             "are 'asc' and 'desc'", kind="HTTPBadRequest")
        out.append((column, direction == "asc"))
    if not any(c is model.id for c, _ in out):
        out.append((model.id, out[-1][1] if out else True))
    if q.page_reverse:
        out = [(c, not asc) for c, asc in out]
    return out


def order_by(columns: list[tuple[Any, bool]]) -> list[Any]:
    return [c.asc() if asc else c.desc() for c, asc in columns]


def after_marker(columns: list[tuple[Any, bool]], marker_row: Any) -> Any:
    """Rows strictly after ``marker_row`` in the given order (keyset pagination)."""
    ors = []
    for i, (column, asc) in enumerate(columns):
        value = getattr(marker_row, column.key)
        equal = [c == getattr(marker_row, c.key) for c, _ in columns[:i]]
        step = column > value if asc else column < value
        ors.append(sa.and_(*equal, step))
    return sa.or_(*ors)


LIST_SCOPE = "onestack_list_scope"
SCOPE_MIN = 32  # fewer listed ids are cheaper as bound parameters than as a subquery


def ids_clause(s: Session, column: Any, ids: list[str]) -> Any:
    """``column IN ids``. For exactly the rows a list has just read in this session, the
    list's own query as a subquery instead: one statement the database plans from cache,
    not hundreds of bound parameters compiled again for every list."""
    scope = s.info.get(LIST_SCOPE)
    if scope is not None and len(ids) == len(scope[0]) and scope[0].issuperset(ids):
        return column.in_(scope[1])
    return column.in_(ids)

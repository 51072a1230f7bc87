"""List filters as Keystone reads them from the query string, applied in SQL.

``name=x`` matches exactly; ``name__contains``, ``__startswith``, ``__endswith`` and
``__equals`` match case-sensitively and their ``__i…`` forms (``__icontains`` …) ignore case.
The value is always literal: ``%`` and ``_`` are escaped, never LIKE wildcards. Each backend
gets the same semantics: SQLite's LIKE ignores ASCII case and MariaDB's default collation
ignores all case, so the case-sensitive forms add a comparison those backends make exactly.
"""
from __future__ import annotations

from typing import Any, Mapping

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.errors import BadRequest

COMPARATORS = ("contains", "startswith", "endswith", "equals")
TRUE = ("true", "1", "yes", "on")
FALSE = ("false", "0", "no", "off")


def parse_bool(query: Mapping[str, str], name: str) -> bool | None:
    """A boolean query parameter; present without a value counts as true."""
    value = query.get(name)
    if value is None:
        return None
    low = value.lower()
    if low == "" or low in TRUE:
        return True
    if low in FALSE:
        return False
    raise BadRequest(f"Invalid value for '{name}': {value}")


def _case_sensitive(dialect: str, column: Any) -> Any:
    """``column`` compared byte for byte where the backend would fold case."""
    if dialect in ("mysql", "mariadb"):
        return sa.type_coerce(sa.func.binary(column), sa.String)
    return column


def _sqlite_exact(op: str, column: Any, value: str) -> Any:
    """SQLite's LIKE ignores ASCII case; these comparisons do not."""
    n = len(value)
    if op == "contains":
        return sa.func.instr(column, value) > 0
    if op == "startswith":
        return sa.func.substr(column, 1, n) == value
    return sa.func.substr(column, -n) == value if n else sa.true()


def match(dialect: str, column: Any, op: str, value: str, ignore_case: bool) -> Any:
    """The SQL condition for one ``<attr>__<op>=<value>`` filter."""
    if ignore_case:
        column, value = sa.func.lower(column), value.lower()
    else:
        column = _case_sensitive(dialect, column)
    if op == "equals":
        return column == value
    like = getattr(column, op)(value, autoescape=True)
    if ignore_case or dialect != "sqlite":
        return like
    return sa.and_(like, _sqlite_exact(op, column, value))


def split(key: str) -> tuple[str, str, bool] | None:
    """``name__icontains`` -> ``("name", "contains", True)``; None when not a filter."""
    attr, sep, op = key.partition("__")
    if not sep:
        return None
    ignore_case = op.startswith("i") and op[1:] in COMPARATORS
    op = op[1:] if ignore_case else op
    return (attr, op, ignore_case) if op in COMPARATORS else None


def text_filters(s: Session, q: sa.Select, query: Mapping[str, str],
                 columns: Mapping[str, Any]) -> sa.Select:
    """Apply the inexact filters on ``columns`` (attribute name -> column) found in
    ``query``; exact ``attr=value`` filters stay with the caller."""
    dialect = s.get_bind().dialect.name
    for key in query:
        parsed = split(key)
        if parsed is None or parsed[0] not in columns:
            continue
        attr, op, ignore_case = parsed
        value = query[key]
        q = q.where(match(dialect, columns[attr], op, value, ignore_case))
    return q

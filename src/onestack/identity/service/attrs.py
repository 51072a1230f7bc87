"""Keystone resources take arbitrary extra attributes: known ones go to columns, the rest is
kept and returned as given."""
from __future__ import annotations

from typing import Any


def apply_extra(row: Any, attrs: dict[str, Any], columns: set[str]) -> None:
    """Known attributes go to columns; everything else is stored as extra attributes."""
    extra = dict(getattr(row, "extra", None) or {})
    for key, value in attrs.items():
        if key in columns:
            setattr(row, key, value)
        elif key not in ("id", "links"):
            extra[key] = value
    row.extra = extra

"""The driver's value objects to JSON and back, so a restarted driver knows the spec each
device was wired with (the kernel keeps devices, not specs)."""
from __future__ import annotations

import dataclasses
import json
import os
import types
import typing
from pathlib import Path
from typing import Any, TypeVar, get_args, get_origin, get_type_hints

T = TypeVar("T")


def encode(value: Any) -> Any:
    return dataclasses.asdict(value) if dataclasses.is_dataclass(value) else value


def decode(kind: Any, data: Any) -> Any:
    """``data`` (parsed JSON) as ``kind``: dataclasses, tuples, optionals, scalars."""
    origin = get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        if data is None:
            return None
        options = [a for a in get_args(kind) if a is not type(None)]
        return decode(options[0], data)
    if origin is tuple:
        args = get_args(kind)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(decode(args[0], item) for item in data)
        return tuple(decode(a, item) for a, item in zip(args, data))
    if dataclasses.is_dataclass(kind):
        hints = get_type_hints(kind)
        return kind(**{f.name: decode(hints[f.name], data[f.name])
                       for f in dataclasses.fields(kind) if f.name in data})
    return data


class SpecStore:
    """One JSON file per object under ``root/<kind>/<id>.json``, written atomically."""

    def __init__(self, root: Path):
        self.root = root

    def _path(self, kind: str, ident: str) -> Path:
        return self.root / kind / f"{ident}.json"

    def put(self, kind: str, ident: str, record: dict[str, Any]) -> None:
        path = self._path(kind, ident)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(record, sort_keys=True))
        os.replace(tmp, path)

    def get(self, kind: str, ident: str) -> dict[str, Any] | None:
        try:
            return typing.cast(dict[str, Any], json.loads(self._path(kind, ident).read_text()))
        except (FileNotFoundError, ValueError):
            return None

    def drop(self, kind: str, ident: str) -> None:
        self._path(kind, ident).unlink(missing_ok=True)

    def all(self, kind: str) -> dict[str, dict[str, Any]]:
        folder = self.root / kind
        if not folder.is_dir():
            return {}
        out = {}
        for path in sorted(folder.glob("*.json")):
            record = self.get(kind, path.stem)
            if record is not None:
                out[path.stem] = record
        return out

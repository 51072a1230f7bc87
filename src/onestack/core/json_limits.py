"""One bounded JSON decode for request bodies.

``json.loads`` alone is unsafe on hostile input: deep nesting raises ``RecursionError`` (a
500), ``NaN``/``Infinity`` are accepted although JSON has no such values, and a lone
surrogate escape (``"\\ud800"``) becomes a ``str`` that every UTF-8 encoder downstream (the
database driver, the response renderer) refuses later. ``loads`` refuses all of them here,
with a ``JSONLimitError`` the caller turns into a 400.

No regular expression walks string literals (an unterminated one would make that quadratic):
the C parser runs first and stops itself at the interpreter's recursion limit; the decoded
value is then walked once, iteratively, for depth and strings, only when the text could
break a limit at all.
"""
from __future__ import annotations

import json
import re
from typing import Any

MAX_DEPTH = 64  # no OpenStack request body nests anywhere near this
MAX_BYTES = 1 << 20

# An escape that can decode to a surrogate code point (possibly half of a valid pair).
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


class JSONLimitError(ValueError):
    """The body is not JSON, or is JSON that onestack refuses to take."""


class NotJSON(JSONLimitError):
    """The body is not JSON text at all (syntax, encoding)."""


def loads(raw: bytes | str, *, max_depth: int = MAX_DEPTH, max_bytes: int = MAX_BYTES) -> Any:
    """Decode ``raw`` as JSON within the limits, or raise ``JSONLimitError``."""
    if len(raw) > max_bytes:
        raise JSONLimitError(f"The JSON body is larger than {max_bytes} bytes.")
    text = _text(raw)
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError as exc:
        raise JSONLimitError(f"The JSON body is nested deeper than {max_depth} levels.") \
            from exc
    except JSONLimitError:
        raise
    except ValueError as exc:
        raise NotJSON(f"The body is not valid JSON: {exc}") from exc
    deep = text.count("[") + text.count("{") > max_depth
    surrogates = _SURROGATE_ESCAPE.search(text) is not None
    if deep or surrogates:
        _walk(value, max_depth)
    return value


def _text(raw: bytes | str) -> str:
    """The body as text; raw surrogate bytes are not UTF-8 and are refused here."""
    if isinstance(raw, str):
        text = raw
    else:
        try:
            text = raw.decode(json.detect_encoding(raw))
        except UnicodeDecodeError as exc:
            raise NotJSON("The body is not valid UTF-8.") from exc
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise JSONLimitError("The body holds an unpaired surrogate.") from exc
    return text


def _refuse_constant(name: str) -> Any:
    raise JSONLimitError(f"{name} is not a JSON number.")


def _walk(value: Any, max_depth: int) -> None:
    """Refuse nesting deeper than ``max_depth`` and any key or string holding a lone
    surrogate (a valid pair decodes to one character and passes)."""
    pending: list[tuple[Any, int]] = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, str):
            _check_string(item)
            continue
        if not isinstance(item, (dict, list)):
            continue
        if depth >= max_depth:
            raise JSONLimitError(f"The JSON body is nested deeper than {max_depth} levels.")
        if isinstance(item, dict):
            for key, member in item.items():
                _check_string(key)
                pending.append((member, depth + 1))
        else:
            pending.extend((member, depth + 1) for member in item)


def _check_string(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise JSONLimitError("A string in the JSON body holds an unpaired surrogate.") from exc

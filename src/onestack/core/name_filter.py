"""One bounded ``?name=`` regex filter for every list API that takes one (Nova's servers,
…). The caller's pattern never runs on a backtracking engine: RE2 matches in time linear
in the name, with a fixed memory budget; a pattern RE2 refuses (back-references,
look-arounds) or cannot fit in that budget is matched as literal text, as a user who typed
it most likely meant. Absurd patterns are a 400, never a slow request."""
from __future__ import annotations

from typing import Callable

from onestack.core.errors import BadRequest

MAX_PATTERN_LENGTH = 1024
RE2_MAX_MEMORY = 1 << 20  # bytes of automaton per pattern


def name_matcher(pattern: str) -> Callable[[str], bool]:
    """A predicate that is true for names ``pattern`` finds a match in (a search)."""
    if len(pattern) > MAX_PATTERN_LENGTH or "\x00" in pattern:
        raise BadRequest(f"Invalid filter field: name. The pattern must be at most "
                         f"{MAX_PATTERN_LENGTH} characters, without NUL.")
    import re2  # google-re2: linear-time matching

    options = re2.Options()
    options.max_mem = RE2_MAX_MEMORY
    options.log_errors = False
    try:
        compiled = re2.compile(pattern, options)
    except re2.error:
        return lambda name: pattern in (name or "")
    return lambda name: compiled.search(name or "") is not None

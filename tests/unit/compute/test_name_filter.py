"""The one bounded name filter every list API with a regex ``name`` filter uses (F6)."""
from __future__ import annotations

import time

import pytest

from onestack.core.errors import BadRequest
from onestack.core.name_filter import MAX_PATTERN_LENGTH, name_matcher


def test_regex_search_semantics() -> None:
    match = name_matcher("^web-[0-9]+$")
    assert match("web-12") and not match("web-x") and not match("xweb-1")
    assert name_matcher("db")("prod-db-1")  # a search, not a full match


def test_catastrophic_pattern_runs_in_linear_time() -> None:
    match = name_matcher("(a+)+$")
    name = "a" * 254 + "!"
    started = time.perf_counter()
    for _ in range(100):
        assert not match(name)
    assert time.perf_counter() - started < 0.05


def test_patterns_re2_refuses_match_literally() -> None:
    # a back-reference is not a regular language: matched as the literal text instead
    match = name_matcher(r"(a)\1")
    assert match(r"x(a)\1y") and not match("aa")


def test_absurd_patterns_are_400() -> None:
    with pytest.raises(BadRequest):
        name_matcher("a" * (MAX_PATTERN_LENGTH + 1))
    with pytest.raises(BadRequest):
        name_matcher("x\x00y")

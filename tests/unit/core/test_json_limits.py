"""The bounded JSON decode: what it refuses (and with which error class), what it keeps
accepting, and that hostile 1 MiB inputs cost linear time."""
from __future__ import annotations

import json
import time

import pytest

from onestack.core import json_limits
from onestack.core.json_limits import JSONLimitError, NotJSON, loads


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_plain_bodies_decode_as_json_does():
    body = {"server": {"name": "vm", "metadata": {"a": "b"}, "n": [1, 2.5, None, True]}}
    assert loads(json.dumps(body).encode()) == body
    assert loads('"\\u00e9t\\u00e9"') == "été"


def test_depth_limit_is_exact():
    assert loads(nested(json_limits.MAX_DEPTH)) is not None
    with pytest.raises(JSONLimitError, match="nested deeper"):
        loads(nested(json_limits.MAX_DEPTH + 1))
    with pytest.raises(JSONLimitError, match="nested deeper"):
        loads('{"a": ' * 65 + "1" + "}" * 65)
    assert loads(nested(10), max_depth=10) == [[[[[[[[[[]]]]]]]]]]
    with pytest.raises(JSONLimitError):
        loads(nested(11), max_depth=10)


def test_brackets_inside_strings_are_not_depth():
    text = json.dumps({"name": "[" * 500 + "{" * 500})
    assert loads(text) == {"name": "[" * 500 + "{" * 500}


@pytest.mark.parametrize("depth", [1_000, 100_000])
def test_very_deep_nesting_is_a_limit_error_not_recursion(depth):
    with pytest.raises(JSONLimitError) as info:
        loads(nested(depth).encode())
    assert not isinstance(info.value, NotJSON)


@pytest.mark.parametrize("text", ['"\\ud800"', '{"\\udc00": 1}', '["ok", ["\\uDBFF"]]',
                                  '"\\ud83d"', '"\\ude00\\ud83d"'])
def test_lone_surrogate_escapes_are_refused(text):
    with pytest.raises(JSONLimitError, match="surrogate"):
        loads(text)


def test_raw_surrogate_bytes_are_not_utf8():
    with pytest.raises(NotJSON):
        loads(b'"\xed\xa0\x80"')


def test_surrogate_pair_and_escaped_backslash_pass():
    assert loads('"\\ud83d\\ude00"') == "\U0001F600"
    assert loads('"\\\\ud800"') == "\\ud800"  # a backslash, then the letters


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_numbers_are_refused(constant):
    with pytest.raises(JSONLimitError, match=constant.lstrip("-")):
        loads('{"x": %s}' % constant)


@pytest.mark.parametrize("raw", [b"{", b'{"a": }', b"\xff\xfe\x00", b"nul"])
def test_syntax_errors_are_not_json(raw):
    with pytest.raises(NotJSON):
        loads(raw)


def test_size_limit():
    with pytest.raises(JSONLimitError, match="larger"):
        loads(b"[" + b"1," * 600_000 + b"1]")
    assert len(loads(b"[" + b"1," * 1000 + b"1]", max_bytes=4096)) == 1001


@pytest.mark.parametrize("raw", [
    "[" * 100 + '"' + '\\"' * 400_000,  # an unterminated string full of escaped quotes
    "[" * 100 + '"a",' * 200_000 + '"',
    "[" * 100 + '"\\ud800",' * 100_000,
])
def test_hostile_megabyte_is_linear(raw):
    started = time.perf_counter()
    with pytest.raises(JSONLimitError):
        loads(raw.encode())
    assert time.perf_counter() - started < 1.0

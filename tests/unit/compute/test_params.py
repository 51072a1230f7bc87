"""Parameter conversions and paging helpers shared by the compute route modules."""
from __future__ import annotations

import pytest

from onestack.compute import schemas
from onestack.compute.api import params
from onestack.core.errors import BadRequest

from tests.unit.compute.helpers import call


@pytest.mark.parametrize("value,expected", [(True, True), ("True", True), ("yes", True),
                                            ("1", True), (False, False), ("off", False),
                                            ("N", False)])
def test_to_bool(value, expected):
    assert params.to_bool(value) is expected


def test_boolean_schema_accepts_spellings_and_rejects_others():
    for ok in (True, "False", "t", "NO", "on"):
        schemas.validate(params.BOOLEAN, ok)
    with pytest.raises(BadRequest):
        schemas.validate(params.BOOLEAN, "maybe")


def test_to_int_converts_strings_and_checks_bounds():
    assert params.to_int("1024", "ram", 1) == 1024
    assert params.to_int(-1, "cores", -1) == -1
    with pytest.raises(BadRequest):
        params.to_int("0", "ram", 1)
    with pytest.raises(BadRequest):
        params.to_int("x", "ram")
    with pytest.raises(BadRequest):
        params.to_int(True, "ram")
    with pytest.raises(BadRequest):
        params.to_int(2 ** 31, "ram")


def test_positive_int_schema_takes_digit_strings_only():
    schemas.validate(params.POSITIVE_INT, "12")
    for bad in ("1.5", "-3", 0, "abc"):
        with pytest.raises(BadRequest):
            schemas.validate(params.POSITIVE_INT, bad)


def test_query_bool():
    assert params.query_bool(call("with_servers=TRUE"), "with_servers") is True
    assert params.query_bool(call("with_servers=0"), "with_servers") is False
    assert params.query_bool(call(""), "with_servers") is None
    with pytest.raises(BadRequest):
        params.query_bool(call("with_servers=maybe"), "with_servers")


def test_limit_marker():
    assert params.limit_marker(call("")) == (1000, None)
    assert params.limit_marker(call("limit=5000&marker=m")) == (1000, "m")
    assert params.limit_marker(call("limit=2")) == (2, None)
    for bad in ("limit=-1", "limit=x"):
        with pytest.raises(BadRequest):
            params.limit_marker(call(bad))


def test_page_starts_after_the_marker():
    items = [{"id": str(i)} for i in range(5)]
    assert params.page(items, "id", 2, None) == items[:2]
    assert params.page(items, "id", 2, "1") == items[2:4]
    assert params.page(items, "id", 10, "4") == []
    with pytest.raises(BadRequest, match=r"marker \[9\] not found"):
        params.page(items, "id", 2, "9")


def test_next_link_only_for_a_full_page():
    c = call("limit=2&marker=a&minRam=5", "/compute/v2.1/flavors/detail")
    items = [{"id": "b"}, {"id": "c"}]
    (link,) = params.next_link(c, items, 2)
    assert link["rel"] == "next"
    assert link["href"] == ("http://cloud.test/compute/v2.1/flavors/detail"
                            "?limit=2&minRam=5&marker=c")
    assert params.next_link(c, items[:1], 2) == []
    assert params.next_link(c, [], 2) == []


def test_is_uuid():
    assert params.is_uuid("9a1b0f3e-4b8f-4c3e-9b0a-1f2e3d4c5b6a")
    assert params.is_uuid("9a1b0f3e4b8f4c3e9b0a1f2e3d4c5b6a")
    assert not params.is_uuid("enable")
    assert not params.is_uuid("1")

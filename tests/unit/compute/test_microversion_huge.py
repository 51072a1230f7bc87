"""F12: microversion values too long to be a version are refused as unsupported (406), never
turned into a 500 by Python's limit on int conversion."""
from __future__ import annotations

import pytest
from starlette.datastructures import Headers, QueryParams

from onestack.compute.api import microversion
from onestack.core.context import RequestContext
from onestack.core.errors import BadRequest, NotAcceptable
from onestack.core.http import Call

HUGE = "9" * 5000


def call_with(headers: dict[str, str]) -> Call:
    return Call(RequestContext("req-test"), "GET", "/compute/v2.1/flavors", {},
                QueryParams(""), Headers(headers), b"", "http://cloud.test")


@pytest.mark.parametrize("headers", [
    {"OpenStack-API-Version": f"compute 2.{HUGE}"},
    {"OpenStack-API-Version": f"compute {HUGE}.1"},
    {"X-OpenStack-Nova-API-Version": f"2.{HUGE}"},
    {"X-OpenStack-Nova-API-Version": f"{HUGE}.{HUGE}"},
])
def test_huge_versions_are_not_acceptable(headers: dict[str, str]):
    with pytest.raises(NotAcceptable) as caught:
        microversion.negotiate(call_with(headers))
    assert len(str(caught.value)) < 300


def test_leading_zeros_do_not_make_a_version_huge():
    assert microversion.negotiate(call_with(
        {"X-OpenStack-Nova-API-Version": "2." + "0" * 5000 + "60"})) == (2, 60)


def test_malformed_versions_stay_400():
    with pytest.raises(BadRequest):
        microversion.negotiate(call_with({"X-OpenStack-Nova-API-Version": "2.x" + HUGE}))

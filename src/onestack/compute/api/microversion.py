"""Compute API microversions: negotiated from ``OpenStack-API-Version: compute X.Y`` or
``X-OpenStack-Nova-API-Version``; no header means the minimum; ``latest`` the maximum; a
version outside the range is 406. The maximum is configurable so an operator can pin the
behaviour of a given OpenStack release."""
from __future__ import annotations

import re

from onestack.core.errors import BadRequest, NotAcceptable
from onestack.core.http import Call

MIN_VERSION = (2, 1)
MAX_VERSION = (2, 96)
_RE = re.compile(r"^(\d+)\.(\d+)$")


def fmt(v: tuple[int, int]) -> str:
    return f"{v[0]}.{v[1]}"


# More digits than any real version has: such a number is simply beyond the maximum (and
# converting thousands of digits to an int is refused by Python anyway).
_MAX_DIGITS = 6
_BEYOND = 10 ** _MAX_DIGITS


def _number(digits: str) -> int:
    significant = digits.lstrip("0") or "0"
    return _BEYOND if len(significant) > _MAX_DIGITS else int(significant)


def parse(value: str) -> tuple[int, int]:
    """``"X.Y"`` as ``(X, Y)``; 400 when malformed. Numbers too long to be a version come
    back as one beyond any maximum, so negotiation answers 406 as for any unsupported one."""
    m = _RE.match(value.strip())
    if not m:
        raise BadRequest(f"API Version String {value[:64]} is of invalid format. Must be of "
                         "format MajorNum.MinorNum.")
    return _number(m.group(1)), _number(m.group(2))


def negotiate(call: Call, maximum: tuple[int, int] = MAX_VERSION) -> tuple[int, int]:
    raw = None
    header = call.headers.get("openstack-api-version")
    if header:
        for part in header.split(","):
            words = part.strip().split()
            if len(words) == 2 and words[0].lower() == "compute":
                raw = words[1]
    if raw is None:
        raw = call.headers.get("x-openstack-nova-api-version")
    if raw is None:
        return MIN_VERSION
    if raw.strip().lower() == "latest":
        return maximum
    version = parse(raw)
    if version < MIN_VERSION or version > maximum:
        raise NotAcceptable(f"Version {raw[:64]} is not supported by the API. Minimum is "
                            f"{fmt(MIN_VERSION)} and maximum is {fmt(maximum)}.")
    return version


def response_headers(version: tuple[int, int]) -> dict[str, str]:
    v = fmt(version)
    return {"OpenStack-API-Version": f"compute {v}", "X-OpenStack-Nova-API-Version": v,
            "Vary": "OpenStack-API-Version, X-OpenStack-Nova-API-Version"}

"""Placement microversions (``OpenStack-API-Version: placement 1.N``)."""
from __future__ import annotations

from onestack.core.errors import BadRequest, NotAcceptable
from onestack.core.http import Call

MIN, MAX = (1, 0), (1, 39)


def negotiate(call: Call) -> tuple[int, int]:
    header = call.headers.get("openstack-api-version", "")
    raw = None
    for part in header.split(","):
        words = part.strip().split()
        if len(words) == 2 and words[0].lower() == "placement":
            raw = words[1]
    if raw is None:
        return MIN
    if raw.lower() == "latest":
        return MAX
    try:
        major, minor = (int(x) for x in raw.split("."))
    except ValueError as exc:
        raise BadRequest(f"invalid version string: {raw}") from exc
    if not MIN <= (major, minor) <= MAX:
        raise NotAcceptable(f"Unacceptable version header: {raw}")
    return major, minor


def headers(version: tuple[int, int]) -> dict[str, str]:
    return {"OpenStack-API-Version": f"placement {version[0]}.{version[1]}",
            "Vary": "openstack-api-version"}

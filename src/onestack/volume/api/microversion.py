"""Block Storage microversions: ``OpenStack-API-Version: volume 3.X``; no header means
3.0, ``latest`` the maximum, a version outside the range 406. The maximum comes from the
service's registration (``app.MICROVERSIONS``) unless a setting lowers it."""
from __future__ import annotations

import re

from onestack.core.errors import BadRequest, NotAcceptable
from onestack.core.http import Call

MIN_VERSION = (3, 0)
_RE = re.compile(r"^(\d{1,6})\.(\d{1,6})$")


def parse(value: str) -> tuple[int, int]:
    m = _RE.match(value.strip())
    if not m:
        raise BadRequest(f"Invalid API version request: {value[:64]}")
    return int(m.group(1)), int(m.group(2))


def fmt(v: tuple[int, int]) -> str:
    return f"{v[0]}.{v[1]}"


def negotiate(call: Call, maximum: tuple[int, int]) -> tuple[int, int]:
    raw = None
    for part in (call.headers.get("openstack-api-version") or "").split(","):
        words = part.strip().split()
        if len(words) == 2 and words[0].lower() in ("volume", "block-storage"):
            raw = words[1]
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
    return {"OpenStack-API-Version": f"volume {fmt(version)}",
            "Vary": "OpenStack-API-Version"}

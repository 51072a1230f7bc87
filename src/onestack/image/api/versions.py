"""Version discovery: ``GET /image`` (and ``/image/``, ``/image/v2``) answers 300 Multiple
Choices with the versions, as Glance does; ``GET /image/versions`` answers 200."""
from __future__ import annotations

from typing import Any

from onestack.core.http import Call, Reply, RouteTable

# v2.12 added the per-image tasks API and v2.13 the usage API, both served here; v2.14's
# cache API is not, so v2.13 is the newest version this service claims.
MINOR_VERSIONS = range(13, -1, -1)


def versions_body(call: Call, prefix: str) -> dict[str, Any]:
    href = f"{call.base_url}{prefix}/v2/"
    return {"versions": [
        {"id": f"v2.{minor}", "status": "CURRENT" if i == 0 else "SUPPORTED",
         "links": [{"rel": "self", "href": href}]}
        for i, minor in enumerate(MINOR_VERSIONS)]}


def routes(prefix: str) -> RouteTable:
    r = RouteTable()

    def choices(call: Call) -> Reply:
        return Reply(300, versions_body(call, prefix))

    for path in ("", "/", "/v2", "/v2/"):
        r.add("GET", path, choices, auth=False)

    @r.get("/versions", auth=False)
    def versions(call: Call) -> Reply:
        return Reply(200, versions_body(call, prefix))

    return r

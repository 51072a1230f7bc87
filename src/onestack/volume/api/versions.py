"""Version discovery, unauthenticated, as Cinder answers it: ``GET /volume/`` is 300
Multiple Choices listing v3.0; ``GET /volume/v3/`` (the catalog URL) is 200 with the same
entry. ``version`` is the newest microversion served, ``min_version`` the oldest."""
from __future__ import annotations

from typing import Any

from onestack.core.http import Call, Reply, RouteTable
from onestack.volume.api import microversion
from onestack.volume.api.common import PREFIX, Cinder

# when the newest microversion served (3.71) came out, as Cinder's version document says
UPDATED = "2023-08-31T00:00:00Z"
MEDIA_TYPES = [{"base": "application/json",
                "type": "application/vnd.openstack.volume+json;version=3"}]


def v3_entry(call: Call, c: Cinder) -> dict[str, Any]:
    return {"id": "v3.0", "status": "CURRENT",
            "version": microversion.fmt(c.max_version),
            "min_version": microversion.fmt(microversion.MIN_VERSION),
            "updated": UPDATED,
            "links": [{"rel": "describedby", "type": "text/html",
                       "href": "https://docs.openstack.org/"},
                      {"rel": "self", "href": f"{call.base_url}{PREFIX}/v3/"}],
            "media-types": MEDIA_TYPES}


def choices(c: Cinder):  # noqa: ANN201 - a handler over the container
    def handler(call: Call) -> Reply:
        return Reply(300, {"versions": [v3_entry(call, c)]})
    return handler


def v3(c: Cinder):  # noqa: ANN201
    def handler(call: Call) -> Reply:
        return Reply(200, {"versions": [v3_entry(call, c)]})
    return handler


def routes(c: Cinder) -> RouteTable:
    r = RouteTable()
    for path in ("", "/"):
        r.add("GET", path, choices(c), auth=False)
    for path in ("/v3", "/v3/"):
        r.add("GET", path, v3(c), auth=False)
    return r

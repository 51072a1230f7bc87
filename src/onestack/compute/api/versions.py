"""Compute version discovery: ``/compute/`` lists v2.0 (the legacy v2 endpoint, SUPPORTED)
and v2.1 (CURRENT, with microversions); ``/compute/v2/`` and ``/compute/v2.1/`` (with or
without the slash) answer their own document, whose self link is the one the list gives,
so a client can follow the list to each version."""
from __future__ import annotations

from typing import Any

from onestack.compute.api import microversion
from onestack.compute.api.common import Compute, bookmark, root
from onestack.core.http import Call, Reply, RouteTable

DESCRIBED_BY = {"rel": "describedby", "type": "text/html", "href": "http://docs.openstack.org/"}
MEDIA_BASE = "application/json"


def v20_doc(call: Call) -> dict[str, Any]:
    return {"id": "v2.0", "status": "SUPPORTED", "version": "", "min_version": "",
            "updated": "2011-01-21T11:33:21Z",
            "links": [{"rel": "self", "href": bookmark(call) + "/v2/"}, DESCRIBED_BY],
            "media-types": [{"base": MEDIA_BASE,
                             "type": "application/vnd.openstack.compute+json;version=2"}]}


def version_doc(call: Call, compute: Compute) -> dict[str, Any]:
    return {"id": "v2.1", "status": "CURRENT", "version": microversion.fmt(compute.max_version),
            "min_version": microversion.fmt(microversion.MIN_VERSION),
            "updated": "2013-07-23T11:33:21Z",
            "links": [{"rel": "self", "href": root(call) + "/"}, DESCRIBED_BY],
            "media-types": [{"base": MEDIA_BASE,
                             "type": "application/vnd.openstack.compute+json;version=2.1"}]}


def list_entry(doc: dict[str, Any]) -> dict[str, Any]:
    """A version as the list shows it: no media types, only the self link."""
    out = {k: v for k, v in doc.items() if k != "media-types"}
    out["links"] = [link for link in doc["links"] if link["rel"] == "self"]
    return out


def routes(compute: Compute) -> RouteTable:
    r = RouteTable()

    @r.get("", auth=False)
    @r.get("/", auth=False)
    def versions(call: Call) -> Reply:
        docs = [v20_doc(call), version_doc(call, compute)]
        return Reply(200, {"versions": [list_entry(d) for d in docs]})

    @r.get("/v2", auth=False)
    @r.get("/v2/", auth=False)
    def version_2(call: Call) -> Reply:
        return Reply(200, {"version": v20_doc(call)})

    @r.get("/v2.1", auth=False)
    @r.get("/v2.1/", auth=False)
    def version(call: Call) -> Reply:
        return compute.reply(call, 200, {"version": version_doc(call, compute)})

    return r

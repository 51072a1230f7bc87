"""Compute version discovery."""
from __future__ import annotations

from typing import Any

from onestack.compute.api import microversion
from onestack.compute.api.common import Compute, bookmark, root
from onestack.core.http import Call, Reply, RouteTable


def version_doc(call: Call, compute: Compute) -> dict[str, Any]:
    return {"id": "v2.1", "status": "CURRENT", "version": microversion.fmt(compute.max_version),
            "min_version": microversion.fmt(microversion.MIN_VERSION),
            "updated": "2013-07-23T11:33:21Z",
            "links": [{"rel": "self", "href": root(call) + "/"},
                      {"rel": "describedby", "type": "text/html",
                       "href": "http://docs.openstack.org/"}],
            "media-types": [{"base": "application/json",
                             "type": "application/vnd.openstack.compute+json;version=2.1"}]}


def routes(compute: Compute) -> RouteTable:
    r = RouteTable()

    @r.get("", auth=False)
    @r.get("/", auth=False)
    def versions(call: Call) -> Reply:
        doc = version_doc(call, compute)
        doc = {k: v for k, v in doc.items() if k != "media-types"}
        doc["links"] = [{"rel": "self", "href": root(call) + "/"}]
        v2 = {"id": "v2.0", "status": "SUPPORTED", "version": "", "min_version": "",
              "updated": "2011-01-21T11:33:21Z",
              "links": [{"rel": "self", "href": bookmark(call) + "/v2/"}]}
        return Reply(200, {"versions": [v2, doc]})

    @r.get("/v2.1", auth=False)
    @r.get("/v2.1/", auth=False)
    def version(call: Call) -> Reply:
        return compute.reply(call, 200, {"version": version_doc(call, compute)})

    return r

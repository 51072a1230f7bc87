"""The version documents (``/`` and ``/v2.0``) and ``/v2.0/extensions``."""
from __future__ import annotations

from onestack.core.http import Call, Reply, RouteTable
from onestack.network import extensions
from onestack.network.api.common import PREFIX, V2
from onestack.network.service.engine import Deps


def routes(deps: Deps) -> RouteTable:
    r = RouteTable()

    def version(call: Call) -> dict[str, object]:
        return {"id": "v2.0", "status": "CURRENT",
                "links": [{"href": f"{call.base_url}{PREFIX}{V2}/", "rel": "self"}]}

    @r.get("/", auth=False)
    def versions(call: Call) -> Reply:
        return Reply(200, {"versions": [version(call)]})

    @r.get("", auth=False)
    def versions_bare(call: Call) -> Reply:
        return Reply(200, {"versions": [version(call)]})

    def resources(call: Call) -> Reply:
        items = []
        for name, collection in sorted((c.resource.name, c.resource.collection)
                                       for c in deps.collections.values()):
            href = f"{call.base_url}{PREFIX}{V2}/{collection}"
            items.append({"name": name, "collection": collection,
                          "links": [{"href": href, "rel": "self"}]})
        return Reply(200, {"resources": items})

    r.add("GET", V2, resources)
    r.add("GET", V2 + "/", resources)

    @r.get(V2 + "/extensions")
    def list_extensions(call: Call) -> Reply:
        return Reply(200, {"extensions": extensions.all_extensions()})

    @r.get(V2 + "/extensions/{alias}")
    def show_extension(call: Call) -> Reply:
        found = extensions.extension(call.params["alias"])
        if found is None:
            from onestack.core.errors import NotFound

            raise NotFound(f"Extension with alias {call.params['alias']} does not exist",
                           kind="ExtensionNotFound")
        return Reply(200, {"extension": found})

    return r

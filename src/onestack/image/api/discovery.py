"""``/v2/schemas/…`` and ``/v2/info/…``: what clients read to learn this cloud."""
from __future__ import annotations

from onestack.core.errors import NotFound
from onestack.core.http import Call, Reply, RouteTable
from onestack.image import metadef_schemas, schemas
from onestack.image.api.common import Glance

SCHEMAS = {
    "image": schemas.IMAGE_SCHEMA,
    "images": schemas.IMAGES_SCHEMA,
    "member": schemas.MEMBER_SCHEMA,
    "members": schemas.MEMBERS_SCHEMA,
    "task": schemas.TASK_SCHEMA,
    "tasks": schemas.TASKS_SCHEMA,
    **metadef_schemas.DOCUMENTS,
}


def routes(g: Glance) -> RouteTable:
    r = RouteTable()

    def send(name: str) -> Reply:
        if name not in SCHEMAS:
            raise NotFound(f"No schema named '{name}'.")
        return Reply(200, SCHEMAS[name])

    r.add("GET", "/v2/schemas/{name}", lambda call: send(call.params["name"]))
    r.add("GET", "/v2/schemas/metadefs/{name}",
          lambda call: send("metadefs/" + call.params["name"]))

    @r.get("/v2/info/import")
    def info_import(call: Call) -> Reply:
        return Reply(200, {"import-methods": {
            "description": "Import methods available.", "type": "array",
            "value": list(g.deps.import_methods)}})

    @r.get("/v2/info/stores")
    def info_stores(call: Call) -> Reply:
        return Reply(200, {"stores": [
            {"id": name, "description": f"Image store '{name}'", "default": i == 0}
            for i, name in enumerate(g.deps.stores)]})

    @r.get("/v2/info/usage")
    def info_usage(call: Call) -> Reply:
        return Reply(200, {"usage": g.images.usage(call.ctx)})

    return r


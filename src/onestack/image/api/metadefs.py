"""``/v2/metadefs/…``: namespaces, their objects, properties, tags and resource types."""
from __future__ import annotations

from onestack.core.http import Call, Reply, RouteTable, no_content
from onestack.image.api.common import Glance

NS = "/v2/metadefs/namespaces/{namespace}"


def routes(g: Glance) -> RouteTable:
    r = RouteTable()
    md = g.metadefs

    @r.get("/v2/metadefs/namespaces")
    def list_namespaces(call: Call) -> Reply:
        rtypes = [x for x in (call.q("resource_types") or "").split(",") if x]
        items = md.list_namespaces(call.ctx, call.q("visibility"), rtypes)
        return Reply(200, {"namespaces": items, "first": "/v2/metadefs/namespaces",
                           "schema": "/v2/schemas/metadefs/namespaces"})

    @r.post("/v2/metadefs/namespaces")
    def create_namespace(call: Call) -> Reply:
        return Reply(201, md.create_namespace(call.ctx, call.json))

    @r.get(NS)
    def show_namespace(call: Call) -> Reply:
        return Reply(200, md.show_namespace(call.ctx, call.params["namespace"]))

    @r.put(NS)
    def update_namespace(call: Call) -> Reply:
        return Reply(200, md.update_namespace(call.ctx, call.params["namespace"], call.json))

    @r.delete(NS)
    def delete_namespace(call: Call) -> Reply:
        md.delete_namespace(call.ctx, call.params["namespace"])
        return no_content()

    _children(r, g, "objects")
    _children(r, g, "properties")

    @r.get(NS + "/tags")
    def list_tags(call: Call) -> Reply:
        return Reply(200, {"tags": md.list_children(call.ctx, call.params["namespace"],
                                                    "tags")})

    @r.post(NS + "/tags")
    def create_tags(call: Call) -> Reply:
        append = (call.headers.get("x-openstack-append") or "").lower() == "true"
        return Reply(201, {"tags": md.create_tags(call.ctx, call.params["namespace"],
                                                  call.json, append)})

    @r.delete(NS + "/tags")
    def delete_tags(call: Call) -> Reply:
        md.delete_all(call.ctx, call.params["namespace"], "tags")
        return no_content()

    @r.post(NS + "/tags/{name}")
    def create_tag(call: Call) -> Reply:
        return Reply(201, md.create_tag(call.ctx, call.params["namespace"],
                                        call.params["name"]))

    @r.get(NS + "/tags/{name}")
    def show_tag(call: Call) -> Reply:
        return Reply(200, md.show_child(call.ctx, call.params["namespace"], "tags",
                                        call.params["name"]))

    @r.put(NS + "/tags/{name}")
    def update_tag(call: Call) -> Reply:
        return Reply(200, md.update_child(call.ctx, call.params["namespace"], "tags",
                                          call.params["name"], call.json))

    @r.delete(NS + "/tags/{name}")
    def delete_tag(call: Call) -> Reply:
        md.delete_child(call.ctx, call.params["namespace"], "tags", call.params["name"])
        return no_content()

    @r.get("/v2/metadefs/resource_types")
    def list_resource_types(call: Call) -> Reply:
        return Reply(200, {"resource_types": md.list_resource_types(call.ctx)})

    @r.get(NS + "/resource_types")
    def list_associations(call: Call) -> Reply:
        return Reply(200, {"resource_type_associations":
                           md.list_associations(call.ctx, call.params["namespace"])})

    @r.post(NS + "/resource_types")
    def associate(call: Call) -> Reply:
        return Reply(201, md.associate(call.ctx, call.params["namespace"], call.json))

    @r.delete(NS + "/resource_types/{name}")
    def dissociate(call: Call) -> Reply:
        md.dissociate(call.ctx, call.params["namespace"], call.params["name"])
        return no_content()

    return r


def _children(r: RouteTable, g: Glance, kind: str) -> None:
    """objects and properties: list / create / delete-all, show / update / delete."""
    md = g.metadefs
    base = NS + "/" + kind

    def list_(call: Call) -> Reply:
        items = md.list_children(call.ctx, call.params["namespace"], kind)
        body = {kind: items}
        if kind == "objects":
            body["schema"] = "v2/schemas/metadefs/objects"
        return Reply(200, body)

    def create(call: Call) -> Reply:
        return Reply(201, md.create_child(call.ctx, call.params["namespace"], kind, call.json))

    def delete_all(call: Call) -> Reply:
        md.delete_all(call.ctx, call.params["namespace"], kind)
        return no_content()

    def show(call: Call) -> Reply:
        return Reply(200, md.show_child(call.ctx, call.params["namespace"], kind,
                                        call.params["name"]))

    def update(call: Call) -> Reply:
        return Reply(200, md.update_child(call.ctx, call.params["namespace"], kind,
                                          call.params["name"], call.json))

    def delete(call: Call) -> Reply:
        md.delete_child(call.ctx, call.params["namespace"], kind, call.params["name"])
        return no_content()

    r.add("GET", base, list_)
    r.add("POST", base, create)
    r.add("DELETE", base, delete_all)
    r.add("GET", base + "/{name}", show)
    r.add("PUT", base + "/{name}", update)
    r.add("DELETE", base + "/{name}", delete)

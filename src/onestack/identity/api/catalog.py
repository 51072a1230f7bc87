"""Regions, services, endpoints, endpoint groups and endpoint filtering (OS-EP-FILTER): parse,
call the use case, render."""
from __future__ import annotations

from functools import partial

from onestack.core.errors import BadRequest
from onestack.core.http import Call, Reply, RouteTable
from onestack.identity import catalog_models as cm
from onestack.identity import schemas, views
from onestack.identity.api.common import Identity, bind, self_url, v3
from onestack.identity.api.crud import Resource, add_crud
from onestack.identity.service import catalog_admin as admin
from onestack.identity.service import endpoint_filter as epf

READ, WRITE = "identity:read_catalog", "identity:manage_catalog"

RESOURCES = [
    Resource("/v3/regions", "region", "regions", cm.Region, views.region, schemas.REGION_CREATE,
             schemas.REGION_UPDATE, {"description", "parent_region_id"}, "identity:get_region",
             "identity:manage_region", ("parent_region_id",), prepare=admin.region_prepare,
             client_ids=True, on_delete=admin.region_delete),
    Resource("/v3/services", "service", "services", cm.Service, views.service,
             schemas.SERVICE_CREATE, schemas.SERVICE_UPDATE, {"type", "enabled"}, READ, WRITE,
             ("type",), on_delete=admin.service_delete, defaults={"enabled": True}),
    Resource("/v3/endpoints", "endpoint", "endpoints", cm.Endpoint, views.endpoint,
             schemas.ENDPOINT_CREATE, schemas.ENDPOINT_UPDATE,
             {"interface", "url", "service_id", "region_id", "enabled"}, READ, WRITE,
             ("interface", "service_id", "region_id"), prepare=admin.endpoint_prepare,
             defaults={"enabled": True}),
    Resource("/v3/OS-EP-FILTER/endpoint_groups", "endpoint_group", "endpoint_groups",
             cm.EndpointGroup, views.endpoint_group, schemas.ENDPOINT_GROUP,
             schemas.ENDPOINT_GROUP_UPDATE, {"name", "description", "filters"}, READ, WRITE,
             ("name",), kind="endpoint group"),
]


def create_region_with_id(ident: Identity, call: Call) -> Reply:
    body = schemas.validate(schemas.REGION_CREATE, call.body("region"))
    rid = call.params["item_id"]
    schemas.validate(schemas.REGION_CREATE["properties"]["id"], rid)
    if body.get("id") not in (None, rid):
        raise BadRequest("The region id in the URL and the body differ.")
    return Reply(201, {"region": admin.create_region_with_id(ident, call.ctx, rid, body,
                                                             v3(call))})


# --- endpoint filtering -----------------------------------------------------------------
def _project_endpoint(call: Call):
    return partial(epf.project_endpoint_key, project_id=call.params["project_id"],
                   endpoint_id=call.params["endpoint_id"])


def _group_project(call: Call):
    return partial(epf.group_project_key, group_id=call.params["group_id"],
                   project_id=call.params["project_id"])


def associate(ident: Identity, call: Call, key) -> Reply:
    epf.associate(ident, call.ctx, key(call))
    return Reply(204)


def check_association(ident: Identity, call: Call, key) -> Reply:
    epf.check(ident, call.ctx, key(call))
    return Reply(204) if call.method == "HEAD" else Reply(200, {})


def dissociate(ident: Identity, call: Call, key) -> Reply:
    epf.dissociate(ident, call.ctx, key(call))
    return Reply(204)


def _listing(plural: str, fn, param: str):
    def handler(ident: Identity, call: Call) -> Reply:
        items = fn(ident, call.ctx, call.params[param], v3(call))
        return Reply(200, views.collection(plural, items, self_url(call)))
    handler.__name__ = fn.__name__
    return handler


BASE = "/v3/OS-EP-FILTER"
LINKS = [(BASE + "/projects/{project_id}/endpoints/{endpoint_id}", _project_endpoint),
         (BASE + "/endpoint_groups/{group_id}/projects/{project_id}", _group_project)]
ROUTES = [("PUT", "/v3/regions/{item_id}", create_region_with_id)]
for _path, _key in LINKS:
    ROUTES += [("PUT", _path, partial(associate, key=_key)),
               ("GET", _path, partial(check_association, key=_key)),
               ("DELETE", _path, partial(dissociate, key=_key))]
ROUTES += [
    ("GET", BASE + "/projects/{project_id}/endpoints",
     _listing("endpoints", epf.project_endpoints, "project_id")),
    ("GET", BASE + "/endpoints/{endpoint_id}/projects",
     _listing("projects", epf.endpoint_projects, "endpoint_id")),
    ("GET", BASE + "/endpoint_groups/{group_id}/projects",
     _listing("projects", epf.group_projects, "group_id")),
    ("GET", BASE + "/endpoint_groups/{group_id}/endpoints",
     _listing("endpoints", epf.group_endpoints, "group_id")),
    ("GET", BASE + "/projects/{project_id}/endpoint_groups",
     _listing("endpoint_groups", epf.project_groups, "project_id")),
]


def routes(ident: Identity) -> RouteTable:
    r = bind(ident, ROUTES[:1])
    for res in RESOURCES:
        add_crud(r, ident, res)
    for method, path, handler in ROUTES[1:]:
        r.add(method, path, partial(handler, ident))
    return r

"""Regions, services, endpoints, endpoint groups and endpoint filtering (OS-EP-FILTER)."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.errors import BadRequest, Forbidden, NotFound, not_found
from onestack.core.http import Call, Reply, RouteTable
from onestack.identity import catalog_models as cm
from onestack.identity import models as m
from onestack.identity import schemas, views
from onestack.identity.api.common import Identity, self_url, v3
from onestack.identity.api.crud import Resource, add_crud
from onestack.identity.service import store

READ, WRITE = "identity:read_catalog", "identity:manage_catalog"


def _region_prepare(s: Session, body: dict, row: Any, call: Call) -> None:
    parent = body.get("parent_region_id")
    if parent:
        if s.get(cm.Region, parent) is None:
            raise not_found("region", parent)
        rid = row.id if row is not None else body.get("id")
        seen = set()
        cursor = parent
        while cursor and cursor not in seen:  # walk up: the new parent must not be below us
            if cursor == rid:
                raise BadRequest("The parent region would make the hierarchy circular.")
            seen.add(cursor)
            above = s.get(cm.Region, cursor)
            cursor = above.parent_region_id if above is not None else None


def _region_delete(s: Session, row: cm.Region) -> None:
    if s.scalar(sa.select(cm.Region.id).where(cm.Region.parent_region_id == row.id)):
        raise Forbidden(f"Unable to delete region {row.id} because it has child regions.")


def _endpoint_prepare(s: Session, body: dict, row: Any, call: Call) -> None:
    if "region" in body and "region_id" not in body:
        body["region_id"] = body["region"]
    body.pop("region", None)
    if body.get("service_id") and s.get(cm.Service, body["service_id"]) is None:
        raise BadRequest(f"Invalid service_id {body['service_id']}")
    if body.get("region_id") and s.get(cm.Region, body["region_id"]) is None:
        # Keystone creates a region named by an endpoint on the fly.
        s.add(cm.Region(id=body["region_id"], description="", extra={}))


def _service_delete(s: Session, row: cm.Service) -> None:
    s.execute(sa.delete(cm.Endpoint).where(cm.Endpoint.service_id == row.id))


RESOURCES = [
    Resource("/v3/regions", "region", "regions", cm.Region, views.region, schemas.REGION_CREATE,
             schemas.REGION_UPDATE, {"description", "parent_region_id"}, "identity:get_region",
             "identity:manage_region", ("parent_region_id",), prepare=_region_prepare,
             client_ids=True, on_delete=_region_delete),
    Resource("/v3/services", "service", "services", cm.Service, views.service,
             schemas.SERVICE_CREATE, schemas.SERVICE_UPDATE, {"type", "enabled"}, READ, WRITE,
             ("type",), on_delete=_service_delete, defaults={"enabled": True}),
    Resource("/v3/endpoints", "endpoint", "endpoints", cm.Endpoint, views.endpoint,
             schemas.ENDPOINT_CREATE, schemas.ENDPOINT_UPDATE,
             {"interface", "url", "service_id", "region_id", "enabled"}, READ, WRITE,
             ("interface", "service_id", "region_id"), prepare=_endpoint_prepare,
             defaults={"enabled": True}),
    Resource("/v3/OS-EP-FILTER/endpoint_groups", "endpoint_group", "endpoint_groups",
             cm.EndpointGroup, views.endpoint_group, schemas.ENDPOINT_GROUP,
             schemas.ENDPOINT_GROUP_UPDATE, {"name", "description", "filters"}, READ, WRITE,
             ("name",), kind="endpoint group"),
]


def routes(ident: Identity) -> RouteTable:
    r = RouteTable()

    @r.put("/v3/regions/{item_id}")
    def create_region_with_id(call: Call) -> Reply:
        body = schemas.validate(schemas.REGION_CREATE, call.body("region"))
        ident.enforce(call, "identity:manage_region")
        rid = call.params["item_id"]
        schemas.validate(schemas.REGION_CREATE["properties"]["id"], rid)
        if body.get("id") not in (None, rid):
            raise BadRequest("The region id in the URL and the body differ.")

        def work(s: Session) -> dict:
            if s.get(cm.Region, rid) is not None:
                from onestack.core.errors import conflict
                raise conflict("region", f"Duplicate ID, {rid}")
            _region_prepare(s, body, None, call)
            region = cm.Region(id=rid, description=body.get("description") or "",
                               parent_region_id=body.get("parent_region_id"),
                               extra={k: v for k, v in body.items()
                                      if k not in ("id", "description", "parent_region_id")})
            s.add(region)
            return views.region(region, v3(call))
        return Reply(201, {"region": ident.write(work)})

    for res in RESOURCES:
        add_crud(r, ident, res)

    # --- endpoint filtering -------------------------------------------------
    base = "/v3/OS-EP-FILTER"

    def assoc(call: Call, write: bool, fn) -> Any:
        ident.enforce(call, WRITE if write else READ)

        def work(s: Session) -> Any:
            return fn(s)
        return ident.write(work) if write else ident.read(work)

    def need(s: Session, model: type, ident_: str, kind: str) -> Any:
        row = s.get(model, ident_)
        if row is None or (model is m.Project and row.is_domain):
            raise not_found(kind, ident_)
        return row

    def link_routes(path: str, key_fn) -> None:
        def put(call: Call) -> Reply:
            def fn(s: Session) -> None:
                key = key_fn(s, call)
                if s.get(cm.ProjectEndpoint, key) is None:
                    s.add(cm.ProjectEndpoint(project_id=key[0], endpoint_id=key[1],
                                             endpoint_group_id=key[2]))
                store.bump_generation(s)
            assoc(call, True, fn)
            return Reply(204)

        def check(call: Call) -> Reply:
            def fn(s: Session) -> None:
                if s.get(cm.ProjectEndpoint, key_fn(s, call)) is None:
                    raise NotFound("Could not find the association.")
            assoc(call, False, fn)
            return Reply(204) if call.method == "HEAD" else Reply(200, {})

        def delete(call: Call) -> Reply:
            def fn(s: Session) -> None:
                row = s.get(cm.ProjectEndpoint, key_fn(s, call))
                if row is None:
                    raise NotFound("Could not find the association.")
                s.delete(row)
                store.bump_generation(s)
            assoc(call, True, fn)
            return Reply(204)

        r.add("PUT", path, put)
        r.add("GET", path, check)
        r.add("DELETE", path, delete)

    def project_endpoint_key(s: Session, call: Call) -> tuple[str, str, str]:
        need(s, m.Project, call.params["project_id"], "project")
        need(s, cm.Endpoint, call.params["endpoint_id"], "endpoint")
        return call.params["project_id"], call.params["endpoint_id"], ""

    def group_project_key(s: Session, call: Call) -> tuple[str, str, str]:
        need(s, cm.EndpointGroup, call.params["group_id"], "endpoint group")
        need(s, m.Project, call.params["project_id"], "project")
        return call.params["project_id"], "", call.params["group_id"]

    link_routes(base + "/projects/{project_id}/endpoints/{endpoint_id}", project_endpoint_key)
    link_routes(base + "/endpoint_groups/{group_id}/projects/{project_id}", group_project_key)

    @r.get(base + "/projects/{project_id}/endpoints")
    def project_endpoints(call: Call) -> Reply:
        from onestack.identity.service.catalog import filtered_endpoint_ids

        def fn(s: Session) -> list[dict]:
            need(s, m.Project, call.params["project_id"], "project")
            ids = filtered_endpoint_ids(s, call.params["project_id"]) or set()
            rows = s.scalars(sa.select(cm.Endpoint).where(cm.Endpoint.id.in_(ids)))
            return [views.endpoint(e, v3(call)) for e in rows]
        return Reply(200, views.collection("endpoints", assoc(call, False, fn), self_url(call)))

    @r.get(base + "/endpoints/{endpoint_id}/projects")
    def endpoint_projects(call: Call) -> Reply:
        def fn(s: Session) -> list[dict]:
            need(s, cm.Endpoint, call.params["endpoint_id"], "endpoint")
            ids = s.scalars(sa.select(cm.ProjectEndpoint.project_id).where(
                cm.ProjectEndpoint.endpoint_id == call.params["endpoint_id"]))
            return [views.project(s.get(m.Project, i), store.tags_of(s, i), v3(call))
                    for i in ids if s.get(m.Project, i) is not None]
        return Reply(200, views.collection("projects", assoc(call, False, fn), self_url(call)))

    @r.get(base + "/endpoint_groups/{group_id}/projects")
    def group_projects(call: Call) -> Reply:
        def fn(s: Session) -> list[dict]:
            need(s, cm.EndpointGroup, call.params["group_id"], "endpoint group")
            ids = s.scalars(sa.select(cm.ProjectEndpoint.project_id).where(
                cm.ProjectEndpoint.endpoint_group_id == call.params["group_id"]))
            return [views.project(s.get(m.Project, i), store.tags_of(s, i), v3(call))
                    for i in ids if s.get(m.Project, i) is not None]
        return Reply(200, views.collection("projects", assoc(call, False, fn), self_url(call)))

    @r.get(base + "/endpoint_groups/{group_id}/endpoints")
    def group_endpoints(call: Call) -> Reply:
        def fn(s: Session) -> list[dict]:
            group = need(s, cm.EndpointGroup, call.params["group_id"], "endpoint group")
            rows = s.scalars(sa.select(cm.Endpoint))
            return [views.endpoint(e, v3(call)) for e in rows
                    if all(getattr(e, k, None) == v for k, v in (group.filters or {}).items())]
        return Reply(200, views.collection("endpoints", assoc(call, False, fn), self_url(call)))

    @r.get(base + "/projects/{project_id}/endpoint_groups")
    def project_groups(call: Call) -> Reply:
        def fn(s: Session) -> list[dict]:
            need(s, m.Project, call.params["project_id"], "project")
            ids = [i for i in s.scalars(sa.select(cm.ProjectEndpoint.endpoint_group_id).where(
                cm.ProjectEndpoint.project_id == call.params["project_id"])) if i]
            rows = s.scalars(sa.select(cm.EndpointGroup).where(cm.EndpointGroup.id.in_(ids)))
            return [views.endpoint_group(g, v3(call)) for g in rows]
        return Reply(200, views.collection("endpoint_groups", assoc(call, False, fn),
                                           self_url(call)))

    return r

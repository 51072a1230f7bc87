"""Domains, projects (a hierarchy inside a domain) and project tags: parse, call the use
case, render."""
from __future__ import annotations

from urllib.parse import quote

from onestack.core.http import Call, Reply, RouteTable
from onestack.identity import schemas, views
from onestack.identity.api.common import Identity, bind, self_url, v3
from onestack.identity.service import domains, projects

SHOW_FLAGS = ("parents_as_ids", "parents_as_list", "subtree_as_ids", "subtree_as_list")


# --- domains ----------------------------------------------------------------------------
def create_domain(ident: Identity, call: Call) -> Reply:
    body = schemas.validate(schemas.DOMAIN_CREATE, call.body("domain"))
    return Reply(201, {"domain": domains.create(ident, call.ctx, body, v3(call))})


def list_domains(ident: Identity, call: Call) -> Reply:
    items = domains.list_(ident, call.ctx, call.query, v3(call))
    return Reply(200, views.collection("domains", items, self_url(call)))


def show_domain(ident: Identity, call: Call) -> Reply:
    return Reply(200, {"domain": domains.show(ident, call.ctx, call.params["domain_id"],
                                              v3(call))})


def update_domain(ident: Identity, call: Call) -> Reply:
    body = schemas.validate(schemas.DOMAIN_UPDATE, call.body("domain"))
    return Reply(200, {"domain": domains.update(ident, call.ctx, call.params["domain_id"],
                                                body, v3(call))})


def delete_domain(ident: Identity, call: Call) -> Reply:
    domains.delete(ident, call.ctx, call.params["domain_id"])
    return Reply(204)


# --- projects ---------------------------------------------------------------------------
def create_project(ident: Identity, call: Call) -> Reply:
    body = schemas.validate(schemas.PROJECT_CREATE, call.body("project"))
    return Reply(201, {"project": projects.create(ident, call.ctx, body, v3(call))})


def list_projects(ident: Identity, call: Call) -> Reply:
    return Reply(200, raw=projects.list_json(ident, call.ctx, call.query, v3(call),
                                             self_url(call)))


def show_project(ident: Identity, call: Call) -> Reply:
    flags = {f for f in SHOW_FLAGS if call.flag(f)}
    return Reply(200, {"project": projects.show(ident, call.ctx, call.params["project_id"],
                                                v3(call), flags)})


def update_project(ident: Identity, call: Call) -> Reply:
    body = schemas.validate(schemas.PROJECT_UPDATE, call.body("project"))
    return Reply(200, {"project": projects.update(ident, call.ctx, call.params["project_id"],
                                                  body, v3(call))})


def delete_project(ident: Identity, call: Call) -> Reply:
    projects.delete(ident, call.ctx, call.params["project_id"])
    return Reply(204)


# --- tags -------------------------------------------------------------------------------
def list_tags(ident: Identity, call: Call) -> Reply:
    return Reply(200, {"tags": projects.list_tags(ident, call.ctx, call.params["project_id"])})


def replace_tags(ident: Identity, call: Call) -> Reply:
    tags = call.body().get("tags")
    schemas.validate(schemas.PROJECT_UPDATE["properties"]["tags"], tags)
    return Reply(200, {"tags": projects.replace_tags(ident, call.ctx,
                                                     call.params["project_id"], tags)})


def clear_tags(ident: Identity, call: Call) -> Reply:
    projects.clear_tags(ident, call.ctx, call.params["project_id"])
    return Reply(204)


def check_tag(ident: Identity, call: Call) -> Reply:
    projects.check_tag(ident, call.ctx, call.params["project_id"], call.params["tag"])
    return Reply(204)


def add_tag(ident: Identity, call: Call) -> Reply:
    tag = call.params["tag"]
    schemas.validate(schemas.TAG, tag)
    projects.add_tag(ident, call.ctx, call.params["project_id"], tag)
    return Reply(201, headers={"Location": quote(self_url(call), safe=":/?&=%")})


def remove_tag(ident: Identity, call: Call) -> Reply:
    projects.remove_tag(ident, call.ctx, call.params["project_id"], call.params["tag"])
    return Reply(204)


TAGS = "/v3/projects/{project_id}/tags"
ROUTES = [
    ("POST", "/v3/domains", create_domain),
    ("GET", "/v3/domains", list_domains),
    ("GET", "/v3/domains/{domain_id}", show_domain),
    ("PATCH", "/v3/domains/{domain_id}", update_domain),
    ("DELETE", "/v3/domains/{domain_id}", delete_domain),
    ("POST", "/v3/projects", create_project),
    ("GET", "/v3/projects", list_projects),
    ("GET", "/v3/projects/{project_id}", show_project),
    ("PATCH", "/v3/projects/{project_id}", update_project),
    ("DELETE", "/v3/projects/{project_id}", delete_project),
    ("GET", TAGS, list_tags),
    ("PUT", TAGS, replace_tags),
    ("DELETE", TAGS, clear_tags),
    ("GET", TAGS + "/{tag}", check_tag),
    ("PUT", TAGS + "/{tag}", add_tag),
    ("DELETE", TAGS + "/{tag}", remove_tag),
]


def routes(ident: Identity) -> RouteTable:
    return bind(ident, ROUTES)

"""Users, groups and group membership: parse, call the use case, render."""
from __future__ import annotations

from onestack.core.http import Call, Reply, RouteTable
from onestack.identity import schemas, views
from onestack.identity.api.common import Identity, bind, self_url, v3
from onestack.identity.service import groups, users


# --- users ------------------------------------------------------------------------------
def create_user(ident: Identity, call: Call) -> Reply:
    body = schemas.validate(schemas.USER_CREATE, call.body("user"))
    return Reply(201, {"user": users.create(ident, call.ctx, body, v3(call))})


def list_users(ident: Identity, call: Call) -> Reply:
    items = users.list_(ident, call.ctx, call.query, v3(call))
    return Reply(200, views.collection("users", items, self_url(call)))


def show_user(ident: Identity, call: Call) -> Reply:
    return Reply(200, {"user": users.show(ident, call.ctx, call.params["user_id"], v3(call))})


def update_user(ident: Identity, call: Call) -> Reply:
    body = schemas.validate(schemas.USER_UPDATE, call.body("user"))
    return Reply(200, {"user": users.update(ident, call.ctx, call.params["user_id"], body,
                                            v3(call))})


def delete_user(ident: Identity, call: Call) -> Reply:
    users.delete(ident, call.ctx, call.params["user_id"])
    return Reply(204)


def change_password(ident: Identity, call: Call) -> Reply:
    body = schemas.validate(schemas.PASSWORD_CHANGE, call.body("user"))
    users.change_password(ident, call.params["user_id"], body["original_password"],
                          body["password"])
    return Reply(204)


def user_projects(ident: Identity, call: Call) -> Reply:
    items = users.projects_of(ident, call.ctx, call.params["user_id"], call.query, v3(call))
    return Reply(200, views.collection("projects", items, self_url(call)))


def user_groups(ident: Identity, call: Call) -> Reply:
    items = users.groups_of(ident, call.ctx, call.params["user_id"], v3(call))
    return Reply(200, views.collection("groups", items, self_url(call)))


# --- groups -----------------------------------------------------------------------------
def create_group(ident: Identity, call: Call) -> Reply:
    body = schemas.validate(schemas.GROUP_CREATE, call.body("group"))
    return Reply(201, {"group": groups.create(ident, call.ctx, body, v3(call))})


def list_groups(ident: Identity, call: Call) -> Reply:
    items = groups.list_(ident, call.ctx, call.query, v3(call))
    return Reply(200, views.collection("groups", items, self_url(call)))


def show_group(ident: Identity, call: Call) -> Reply:
    return Reply(200, {"group": groups.show(ident, call.ctx, call.params["group_id"],
                                            v3(call))})


def update_group(ident: Identity, call: Call) -> Reply:
    body = schemas.validate(schemas.GROUP_UPDATE, call.body("group"))
    return Reply(200, {"group": groups.update(ident, call.ctx, call.params["group_id"], body,
                                              v3(call))})


def delete_group(ident: Identity, call: Call) -> Reply:
    groups.delete(ident, call.ctx, call.params["group_id"])
    return Reply(204)


def group_users(ident: Identity, call: Call) -> Reply:
    items = groups.members(ident, call.ctx, call.params["group_id"], v3(call))
    return Reply(200, views.collection("users", items, self_url(call)))


def add_member(ident: Identity, call: Call) -> Reply:
    groups.add_member(ident, call.ctx, call.params["group_id"], call.params["user_id"])
    return Reply(204)


def check_member(ident: Identity, call: Call) -> Reply:
    groups.check_member(ident, call.ctx, call.params["group_id"], call.params["user_id"])
    return Reply(204)


def remove_member(ident: Identity, call: Call) -> Reply:
    groups.remove_member(ident, call.ctx, call.params["group_id"], call.params["user_id"])
    return Reply(204)


MEMBER = "/v3/groups/{group_id}/users/{user_id}"
ROUTES = [
    ("POST", "/v3/users", create_user),
    ("GET", "/v3/users", list_users),
    ("GET", "/v3/users/{user_id}", show_user),
    ("PATCH", "/v3/users/{user_id}", update_user),
    ("DELETE", "/v3/users/{user_id}", delete_user),
    ("POST", "/v3/users/{user_id}/password", change_password, False),
    ("GET", "/v3/users/{user_id}/projects", user_projects),
    ("GET", "/v3/users/{user_id}/groups", user_groups),
    ("POST", "/v3/groups", create_group),
    ("GET", "/v3/groups", list_groups),
    ("GET", "/v3/groups/{group_id}", show_group),
    ("PATCH", "/v3/groups/{group_id}", update_group),
    ("DELETE", "/v3/groups/{group_id}", delete_group),
    ("GET", "/v3/groups/{group_id}/users", group_users),
    ("PUT", MEMBER, add_member),
    ("HEAD", MEMBER, check_member),
    ("GET", MEMBER, check_member),
    ("DELETE", MEMBER, remove_member),
]


def routes(ident: Identity) -> RouteTable:
    return bind(ident, ROUTES)

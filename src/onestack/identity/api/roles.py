"""Roles, implied roles, grants and role assignment listing: parse, call the use case,
render."""
from __future__ import annotations

from functools import partial

from onestack.core.http import Call, Reply, RouteTable
from onestack.identity import schemas, views
from onestack.identity.api.common import Identity, bind, self_url, v3
from onestack.identity.service import grants, roles
from onestack.identity.service.grants import Grant


def create_role(ident: Identity, call: Call) -> Reply:
    body = schemas.validate(schemas.ROLE_CREATE, call.body("role"))
    return Reply(201, {"role": roles.create(ident, call.ctx, body, v3(call))})


def list_roles(ident: Identity, call: Call) -> Reply:
    items = roles.list_(ident, call.ctx, call.query, v3(call))
    return Reply(200, views.collection("roles", items, self_url(call)))


def show_role(ident: Identity, call: Call) -> Reply:
    return Reply(200, {"role": roles.show(ident, call.ctx, call.params["role_id"], v3(call))})


def update_role(ident: Identity, call: Call) -> Reply:
    body = schemas.validate(schemas.ROLE_UPDATE, call.body("role"))
    return Reply(200, {"role": roles.update(ident, call.ctx, call.params["role_id"], body,
                                            v3(call))})


def delete_role(ident: Identity, call: Call) -> Reply:
    roles.delete(ident, call.ctx, call.params["role_id"])
    return Reply(204)


def create_implied(ident: Identity, call: Call) -> Reply:
    body = roles.create_implied(ident, call.ctx, call.params["prior"], call.params["implied"],
                                v3(call))
    return Reply(201, {"role_inference": body})


def show_implied(ident: Identity, call: Call) -> Reply:
    body = roles.show_implied(ident, call.ctx, call.params["prior"], call.params["implied"],
                              v3(call))
    return Reply(204) if call.method == "HEAD" else Reply(200, {"role_inference": body})


def delete_implied(ident: Identity, call: Call) -> Reply:
    roles.delete_implied(ident, call.ctx, call.params["prior"], call.params["implied"])
    return Reply(204)


def list_implied(ident: Identity, call: Call) -> Reply:
    body = roles.list_implied(ident, call.ctx, call.params["prior"], v3(call))
    return Reply(200, {"role_inference": body, "links": {"self": self_url(call)}})


def list_inferences(ident: Identity, call: Call) -> Reply:
    return Reply(200, {"role_inferences": roles.list_inferences(ident, call.ctx, v3(call)),
                       "links": {"self": self_url(call)}})


# --- grants -----------------------------------------------------------------------------
def _grant(call: Call, target: str, actor: str, inherited: bool) -> Grant:
    return Grant(target, actor, inherited, call.params.get("target_id", "all"),
                 call.params["actor_id"])


def put_grant(ident: Identity, call: Call, **kind: object) -> Reply:
    grants.grant(ident, call.ctx, _grant(call, **kind), call.params["role_id"])
    return Reply(204)


def check_grant(ident: Identity, call: Call, **kind: object) -> Reply:
    grants.check(ident, call.ctx, _grant(call, **kind), call.params["role_id"])
    return Reply(204)


def delete_grant(ident: Identity, call: Call, **kind: object) -> Reply:
    grants.revoke(ident, call.ctx, _grant(call, **kind), call.params["role_id"])
    return Reply(204)


def list_grants(ident: Identity, call: Call, **kind: object) -> Reply:
    items = grants.roles_of(ident, call.ctx, _grant(call, **kind), v3(call))
    return Reply(200, views.collection("roles", items, self_url(call)))


def role_assignments(ident: Identity, call: Call) -> Reply:
    items = grants.assignments(ident, call.ctx, call.query, v3(call))
    return Reply(200, views.collection("role_assignments", items, self_url(call)))


def _grant_routes() -> list[tuple]:
    """Every (target, actor, inherited) combination Keystone serves, under its own path."""
    out: list[tuple] = []
    combos = [(t, a, inh) for t in ("project", "domain") for a in ("user", "group")
              for inh in (False, True)] + [("system", a, False) for a in ("user", "group")]
    for target, actor, inherited in combos:
        if target == "system":
            prefix = f"/v3/system/{actor}s/{{actor_id}}/roles"
        else:
            prefix = (("/v3/OS-INHERIT" if inherited else "/v3")
                      + f"/{target}s/{{target_id}}/{actor}s/{{actor_id}}/roles")
        suffix = "/inherited_to_projects" if inherited else ""
        kind = {"target": target, "actor": actor, "inherited": inherited}
        path = f"{prefix}/{{role_id}}{suffix}"
        out += [("PUT", path, partial(put_grant, **kind)),
                ("GET", path, partial(check_grant, **kind)),
                ("HEAD", path, partial(check_grant, **kind)),
                ("DELETE", path, partial(delete_grant, **kind)),
                ("GET", prefix + suffix, partial(list_grants, **kind))]
    return out


IMPLIES = "/v3/roles/{prior}/implies"
ROUTES = [
    ("POST", "/v3/roles", create_role),
    ("GET", "/v3/roles", list_roles),
    ("GET", "/v3/roles/{role_id}", show_role),
    ("PATCH", "/v3/roles/{role_id}", update_role),
    ("DELETE", "/v3/roles/{role_id}", delete_role),
    ("PUT", IMPLIES + "/{implied}", create_implied),
    ("GET", IMPLIES + "/{implied}", show_implied),
    ("HEAD", IMPLIES + "/{implied}", show_implied),
    ("DELETE", IMPLIES + "/{implied}", delete_implied),
    ("GET", IMPLIES, list_implied),
    ("GET", "/v3/role_inferences", list_inferences),
    *_grant_routes(),
    ("GET", "/v3/role_assignments", role_assignments),
]


def routes(ident: Identity) -> RouteTable:
    return bind(ident, ROUTES)

"""Unified limits, policy documents, OAuth1 consumers, domain-specific configuration and
revocation events: parse, call the use case, render."""
from __future__ import annotations

from functools import partial

from onestack.core.http import Call, Reply, RouteTable
from onestack.identity import catalog_models as cm
from onestack.identity import schemas, views
from onestack.identity.api.common import Identity, bind, self_url, v3
from onestack.identity.api.crud import Resource, add_crud
from onestack.identity.service import consumers, domain_config, limits, revocations
from onestack.identity.service.limits import LIMIT, REGISTERED, Kind

ADMIN_READ, ADMIN_WRITE = "identity:read_admin_resource", "identity:manage_admin_resource"

RESOURCES = [
    Resource("/v3/policies", "policy", "policies", cm.PolicyBlob, views.policy,
             schemas.POLICY_CREATE, schemas.POLICY_UPDATE, {"type", "blob"}, ADMIN_READ,
             ADMIN_WRITE, ("type",)),
    Resource("/v3/OS-OAUTH1/consumers", "consumer", "consumers", cm.Consumer, views.consumer,
             schemas.CONSUMER, schemas.CONSUMER, {"description", "secret"}, ADMIN_READ,
             ADMIN_WRITE, prepare=consumers.prepare, shown_once=("secret",)),
]


# --- limits -----------------------------------------------------------------------------
def limits_model(ident: Identity, call: Call) -> Reply:
    return Reply(200, {"model": limits.MODEL})


def create_registered(ident: Identity, call: Call) -> Reply:
    items = schemas.validate(schemas.REGISTERED_LIMITS, call.body().get("registered_limits"))
    return Reply(201, {"registered_limits": limits.create_registered(ident, call.ctx, items,
                                                                     v3(call))})


def create_limits(ident: Identity, call: Call) -> Reply:
    items = schemas.validate(schemas.LIMITS, call.body().get("limits"))
    return Reply(201, {"limits": limits.create_limits(ident, call.ctx, items, v3(call))})


def list_limits(ident: Identity, call: Call, kind: Kind) -> Reply:
    items = limits.list_(ident, call.ctx, kind, call.query, v3(call))
    return Reply(200, views.collection(kind.member + "s", items, self_url(call)))


def show_limit(ident: Identity, call: Call, kind: Kind) -> Reply:
    return Reply(200, {kind.member: limits.show(ident, call.ctx, kind, call.params["item_id"],
                                                v3(call))})


def update_limit(ident: Identity, call: Call, kind: Kind, schema: dict) -> Reply:
    body = schemas.validate(schema, call.body(kind.member))
    return Reply(200, {kind.member: limits.update(ident, call.ctx, kind,
                                                  call.params["item_id"], body, v3(call))})


def delete_limit(ident: Identity, call: Call, kind: Kind) -> Reply:
    limits.delete(ident, call.ctx, kind, call.params["item_id"])
    return Reply(204)


def _limit_routes() -> list[tuple]:
    out: list[tuple] = []
    for path, kind, schema in (("/v3/registered_limits", REGISTERED,
                                schemas.REGISTERED_LIMIT_UPDATE),
                               ("/v3/limits", LIMIT, schemas.LIMIT_UPDATE)):
        item = path + "/{item_id}"
        out += [("GET", path, partial(list_limits, kind=kind)),
                ("GET", item, partial(show_limit, kind=kind)),
                ("PATCH", item, partial(update_limit, kind=kind, schema=schema)),
                ("DELETE", item, partial(delete_limit, kind=kind))]
    return out


# --- domain configuration ---------------------------------------------------------------
def _scope(call: Call) -> tuple[str, str | None, str | None]:
    return call.params["domain_id"], call.params.get("group"), call.params.get("option")


def replace_config(ident: Identity, call: Call) -> Reply:
    created, body = domain_config.replace(ident, call.ctx, call.params["domain_id"], call.json)
    return Reply(201 if created else 200, {"config": body})


def read_config(ident: Identity, call: Call) -> Reply:
    return Reply(200, {"config": domain_config.show(ident, call.ctx, *_scope(call))})


def update_config(ident: Identity, call: Call) -> Reply:
    return Reply(200, {"config": domain_config.update(ident, call.ctx, *_scope(call),
                                                      call.json)})


def delete_config(ident: Identity, call: Call) -> Reply:
    domain_config.delete(ident, call.ctx, *_scope(call))
    return Reply(204)


def default_config(ident: Identity, call: Call) -> Reply:
    return Reply(200, {"config": domain_config.defaults(
        ident, call.ctx, call.params.get("group"), call.params.get("option"))})


def revoke_events(ident: Identity, call: Call) -> Reply:
    return Reply(200, {"events": revocations.list_events(ident, call.ctx),
                       "links": {"self": self_url(call)}})


CONFIG = "/v3/domains/{domain_id}/config"
ROUTES = [
    ("GET", "/v3/limits/model", limits_model),
    ("POST", "/v3/registered_limits", create_registered),
    ("POST", "/v3/limits", create_limits),
    *_limit_routes(),
    ("PUT", CONFIG, replace_config),
    ("GET", "/v3/domains/config/default", default_config),
    ("GET", "/v3/domains/config/{group}/default", default_config),
    ("GET", "/v3/domains/config/{group}/{option}/default", default_config),
    *[(method, path, handler)
      for path in (CONFIG, CONFIG + "/{group}", CONFIG + "/{group}/{option}")
      for method, handler in (("GET", read_config), ("PATCH", update_config),
                              ("DELETE", delete_config))],
    ("GET", "/v3/OS-REVOKE/events", revoke_events),
]


def routes(ident: Identity) -> RouteTable:
    r = RouteTable()
    for res in RESOURCES:
        add_crud(r, ident, res)
    r.routes.extend(bind(ident, ROUTES).routes)
    return r

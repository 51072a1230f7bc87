"""OS-OAUTH1: request tokens, authorization, access tokens and a user's access tokens. The
token endpoints answer form-encoded bodies, as OAuth1 clients expect."""
from __future__ import annotations

from onestack.core.http import Call, Reply, RouteTable
from onestack.identity import schemas, views
from onestack.identity.api.common import Identity, bind, self_url, v3
from onestack.identity.service import oauth1, oauth1_access
from onestack.identity.service.oauth1_signature import SignedRequest

FORM = "application/x-www-form-urlencoded"
AUTHORIZE = {"type": "object", "required": ["roles"], "properties": {"roles": {
    "type": "array", "minItems": 1, "items": {
        "type": "object", "minProperties": 1, "maxProperties": 1,
        "additionalProperties": False,
        "properties": {"id": {"type": "string", "minLength": 1, "maxLength": 64},
                       "name": {"type": "string", "minLength": 1, "maxLength": 255}}}}}}
TOKENS = "/v3/users/{user_id}/OS-OAUTH1/access_tokens"


def signed(call: Call) -> SignedRequest:
    """The OAuth1 parameters of the call: header, query string and a form body."""
    form = ""
    if call.headers.get("content-type", "").startswith(FORM):
        form = call.raw_body.decode("utf-8", "replace")
    return SignedRequest.parse(call.method, call.base_url + call.path,
                               call.headers.get("authorization"), str(call.query), form)


def request_token(ident: Identity, call: Call) -> Reply:
    body = oauth1.request_token(ident, signed(call), call.headers.get("requested-project-id"))
    return Reply(201, raw=body.encode(), content_type=FORM)


def authorize(ident: Identity, call: Call) -> Reply:
    body = schemas.validate(AUTHORIZE, call.body())
    verifier = oauth1.authorize(ident, call.ctx, call.params["request_token_id"],
                                body["roles"])
    return Reply(200, {"token": {"oauth_verifier": verifier}})


def access_token(ident: Identity, call: Call) -> Reply:
    body = oauth1.access_token(ident, signed(call))
    return Reply(201, raw=body.encode(), content_type=FORM)


def list_access_tokens(ident: Identity, call: Call) -> Reply:
    items = oauth1_access.list_(ident, call.ctx, call.params["user_id"], v3(call))
    return Reply(200, views.collection("access_tokens", items, self_url(call)))


def show_access_token(ident: Identity, call: Call) -> Reply:
    return Reply(200, {"access_token": oauth1_access.show(
        ident, call.ctx, call.params["user_id"], call.params["token_id"], v3(call))})


def delete_access_token(ident: Identity, call: Call) -> Reply:
    oauth1_access.delete(ident, call.ctx, call.params["user_id"], call.params["token_id"])
    return Reply(204)


def access_token_roles(ident: Identity, call: Call) -> Reply:
    items = oauth1_access.roles(ident, call.ctx, call.params["user_id"],
                                call.params["token_id"], v3(call))
    return Reply(200, views.collection("roles", items, self_url(call)))


def access_token_role(ident: Identity, call: Call) -> Reply:
    return Reply(200, {"role": oauth1_access.role(
        ident, call.ctx, call.params["user_id"], call.params["token_id"],
        call.params["role_id"], v3(call))})


ROUTES = [
    ("POST", "/v3/OS-OAUTH1/request_token", request_token, False),
    ("PUT", "/v3/OS-OAUTH1/authorize/{request_token_id}", authorize),
    ("POST", "/v3/OS-OAUTH1/access_token", access_token, False),
    ("GET", TOKENS, list_access_tokens),
    ("GET", TOKENS + "/{token_id}", show_access_token),
    ("DELETE", TOKENS + "/{token_id}", delete_access_token),
    ("GET", TOKENS + "/{token_id}/roles", access_token_roles),
    ("GET", TOKENS + "/{token_id}/roles/{role_id}", access_token_role),
]


def routes(ident: Identity) -> RouteTable:
    return bind(ident, ROUTES)

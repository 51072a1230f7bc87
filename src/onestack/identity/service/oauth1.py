"""OS-OAUTH1 delegation, as Keystone serves it: a consumer signs a request for a request token
on a project; a user holding roles there authorizes it for some of them and hands the
verifier to the consumer; the consumer trades the request token (signed with both secrets)
for an access token, once. Every step but authorization is authenticated by the signature
alone, not by a Keystone token."""
from __future__ import annotations

import secrets
import time
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.context import RequestContext
from onestack.core.db import new_id, utcnow
from onestack.core.errors import BadRequest, Forbidden, Unauthorized, not_found
from onestack.identity import catalog_models as cm
from onestack.identity import models as m
from onestack.identity import views
from onestack.identity.service import assignments, store
from onestack.identity.service.container import Identity
from onestack.identity.service.oauth1_signature import SignedRequest

REQUEST_TOKEN_SECONDS = 28800  # Keystone's [oauth1] request_token_duration
ACCESS_TOKEN_SECONDS = 86400  # Keystone's [oauth1] access_token_duration


def _form(token_id: str, secret: str, expires: Any) -> str:
    return (f"oauth_token={token_id}&oauth_token_secret={secret}"
            f"&oauth_expires_at={views.iso(expires)}")


def _consumer(s: Session, consumer_id: str) -> cm.Consumer:
    c = s.get(cm.Consumer, consumer_id)
    if c is None:
        raise not_found("consumer", consumer_id)
    return c


def _unexpired_request_token(s: Session, token_id: str) -> cm.OAuthRequestToken:
    """The request token, 404 when unknown, 401 once expired (authorizing and trading it
    both need one still valid)."""
    token = s.get(cm.OAuthRequestToken, token_id)
    if token is None:
        raise not_found("request token", token_id)
    if token.expires_at and token.expires_at <= utcnow():
        raise Unauthorized("Request token is expired.")
    return token


def _require(value: str | None, name: str) -> str:
    if not value:
        raise BadRequest(f"Expecting to find {name} in request.")
    return value


def request_token(ident: Identity, req: SignedRequest, project_id: str | None) -> str:
    """A new request token for the signing consumer on the project, form-encoded."""
    consumer_id = _require(req.oauth.get("oauth_consumer_key"), "oauth_consumer_key")
    project_id = _require(project_id, "Requested-Project-Id")
    req.check_present()

    def work(s: Session) -> str:
        store.get_project(s, project_id)
        consumer = _consumer(s, consumer_id)
        req.verify(consumer.secret, "", time.time())
        token = cm.OAuthRequestToken(
            id=new_id(), secret=secrets.token_hex(16), consumer_id=consumer.id,
            requested_project_id=project_id,
            expires_at=utcnow() + timedelta(seconds=REQUEST_TOKEN_SECONDS))
        s.add(token)
        return _form(token.id, token.secret, token.expires_at)
    return ident.write(work)


def _role_ids(s: Session, refs: list[dict[str, str]]) -> set[str]:
    out = set()
    for ref in refs:
        if ref.get("id"):
            out.add(store.get_role(s, ref["id"]).id)
            continue
        role = s.scalar(sa.select(m.Role).where(m.Role.name == ref["name"],
                                                m.Role.domain_id == m.GLOBAL_ROLE))
        if role is None:
            raise not_found("role", ref["name"])
        out.add(role.id)
    return out


def authorize(ident: Identity, ctx: RequestContext, request_token_id: str,
              roles: list[dict[str, str]]) -> str:
    """The calling user authorizes the request token for ``roles`` (which the user must hold on
    the requested project); returns the verifier."""
    ident.check(ctx, "identity:authorize_request_token")
    if ctx.trust_id or ctx.app_cred_id:
        raise Forbidden("Cannot authorize a request token with a token issued via delegation.")

    def work(s: Session) -> str:
        token = _unexpired_request_token(s, request_token_id)
        wanted = _role_ids(s, roles)
        held = {r.id for r in assignments.effective_roles(s, ctx.user_id, "project",
                                                          token.requested_project_id)}
        if not held:
            raise Unauthorized("User is not a member of the requested project.")
        if not wanted <= held:
            raise Unauthorized("Authorizing user does not have role required.")
        token.authorizing_user_id = ctx.user_id
        token.role_ids = sorted(wanted)
        token.verifier = secrets.token_hex(4)
        return token.verifier
    return ident.write(work)


def access_token(ident: Identity, req: SignedRequest) -> str:
    """Trade an authorized request token for an access token (form-encoded), once."""
    consumer_id = _require(req.oauth.get("oauth_consumer_key"), "oauth_consumer_key")
    token_id = _require(req.oauth.get("oauth_token"), "oauth_token")
    verifier = _require(req.oauth.get("oauth_verifier"), "oauth_verifier")
    req.check_present()

    def work(s: Session) -> str:
        token = _unexpired_request_token(s, token_id)
        consumer = _consumer(s, consumer_id)
        req.verify(consumer.secret, token.secret, time.time())
        if token.consumer_id != consumer.id:
            raise Unauthorized("Provided consumer key does not match stored consumer key.")
        if not token.verifier or not secrets.compare_digest(token.verifier, verifier):
            raise Unauthorized("Provided verifier does not match stored verifier.")
        if not token.authorizing_user_id:
            raise Unauthorized("Request token does not have an authorizing user id.")
        access = cm.OAuthAccessToken(
            id=new_id(), secret=secrets.token_hex(16), consumer_id=consumer.id,
            project_id=token.requested_project_id,
            authorizing_user_id=token.authorizing_user_id, role_ids=token.role_ids or [],
            expires_at=utcnow() + timedelta(seconds=ACCESS_TOKEN_SECONDS))
        s.add(access)
        s.delete(token)
        return _form(access.id, access.secret, access.expires_at)
    return ident.write(work)

"""A user's OAuth1 access tokens: what consumers hold on the user's behalf, and their revocation
(admins only by default, as in Keystone). A token that is not the named user's answers 404."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.context import RequestContext
from onestack.core.errors import not_found
from onestack.identity import catalog_models as cm
from onestack.identity import models as m
from onestack.identity import views
from onestack.identity.service.container import Identity



def view(t: cm.OAuthAccessToken, base: str) -> dict[str, Any]:
    url = f"{base}/users/{t.authorizing_user_id}/OS-OAUTH1/access_tokens/{t.id}"
    return {"id": t.id, "consumer_id": t.consumer_id, "project_id": t.project_id,
            "authorizing_user_id": t.authorizing_user_id, "expires_at": views.iso(t.expires_at),
            "links": {"self": url, "roles": url + "/roles"}}


def _owned(s: Session, user_id: str, token_id: str) -> cm.OAuthAccessToken:
    t = s.get(cm.OAuthAccessToken, token_id)
    if t is None or t.authorizing_user_id != user_id:
        raise not_found("access token", token_id)
    return t


def list_(ident: Identity, ctx: RequestContext, user_id: str, base: str) -> list[dict]:
    ident.check(ctx, "identity:list_access_tokens", {"user_id": user_id})

    def work(s: Session) -> list[dict]:
        rows = s.scalars(sa.select(cm.OAuthAccessToken).where(
            cm.OAuthAccessToken.authorizing_user_id == user_id)
            .order_by(cm.OAuthAccessToken.id))
        return [view(t, base) for t in rows]
    return ident.read(work)


def show(ident: Identity, ctx: RequestContext, user_id: str, token_id: str,
         base: str) -> dict:
    ident.check(ctx, "identity:get_access_token", {"user_id": user_id})
    return ident.read(lambda s: view(_owned(s, user_id, token_id), base))


def delete(ident: Identity, ctx: RequestContext, user_id: str, token_id: str) -> None:
    ident.check(ctx, "identity:delete_access_token", {"user_id": user_id})
    ident.write(lambda s: s.delete(_owned(s, user_id, token_id)))


def roles(ident: Identity, ctx: RequestContext, user_id: str, token_id: str,
          base: str) -> list[dict]:
    ident.check(ctx, "identity:list_access_token_roles", {"user_id": user_id})

    def work(s: Session) -> list[dict]:
        t = _owned(s, user_id, token_id)
        rows = s.scalars(sa.select(m.Role).where(m.Role.id.in_(t.role_ids or []))
                         .order_by(m.Role.name))
        return [views.role(r, base) for r in rows]
    return ident.read(work)


def role(ident: Identity, ctx: RequestContext, user_id: str, token_id: str, role_id: str,
         base: str) -> dict:
    ident.check(ctx, "identity:get_access_token_role", {"user_id": user_id})

    def work(s: Session) -> dict:
        t = _owned(s, user_id, token_id)
        r = s.get(m.Role, role_id)
        if r is None or r.id not in (t.role_ids or []):
            raise not_found("role", role_id)
        return views.role(r, base)
    return ident.read(work)

"""Users: password rules (history, expiry, minimum age), listing, and what a user belongs to.
Password hashing happens before the transaction opens (it is slow on purpose)."""
from __future__ import annotations

from datetime import timedelta
from typing import Any, Mapping

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.context import RequestContext
from onestack.core.db import new_id, utcnow
from onestack.core.errors import BadRequest, conflict
from onestack.identity import models as m
from onestack.identity import views
from onestack.identity.passwords import check_secret, hash_secret
from onestack.identity.service import assignments, store
from onestack.identity.service.attrs import apply_extra
from onestack.identity.service.container import Identity
from onestack.identity.service.filters import parse_bool, text_filters

USER_COLUMNS = {"name", "enabled", "default_project_id", "description", "options"}
_NOT_ATTRS = ("password", "domain_id")


def target(u: m.User) -> dict[str, Any]:
    return {"user": {"id": u.id, "domain_id": u.domain_id}}


def _hash(ident: Identity, password: str | None) -> str | None:
    return hash_secret(password, ident.settings.password_hash_rounds) if password else None


def set_password(ident: Identity, s: Session, u: m.User, password: str | None,
                 pw_hash: str | None, self_service: bool) -> None:
    """Store a new password (or none), enforcing the unique-history rule on self-service."""
    sc = ident.settings.security_compliance
    if password is None:
        u.password_hash = None
        return
    now = utcnow()
    if sc.unique_last_password_count and self_service:
        recent = list(s.scalars(sa.select(m.PasswordHistory.password_hash)
                                .where(m.PasswordHistory.user_id == u.id)
                                .order_by(m.PasswordHistory.id.desc())
                                .limit(sc.unique_last_password_count)))
        if any(check_secret(password, h) for h in recent):
            raise BadRequest(
                "Password Validation Error: The new password cannot be identical to a "
                "previous password. The total number which includes the new password "
                f"must be unique is {sc.unique_last_password_count}.")
    u.password_hash = pw_hash
    u.password_created_at = now
    u.password_expires_at = (now + timedelta(days=sc.password_expires_days)
                             if sc.password_expires_days else None)
    u.failed_auth_count = 0
    s.add(m.PasswordHistory(user_id=u.id, password_hash=pw_hash, created_at=now))


def create(ident: Identity, ctx: RequestContext, body: dict[str, Any], base: str) -> dict:
    domain_id = body.get("domain_id") or ctx.domain_id or ctx.project_domain_id or "default"
    ident.check(ctx, "identity:manage_user", {"user": {"domain_id": domain_id}})
    pw_hash = _hash(ident, body.get("password"))

    def work(s: Session) -> dict:
        store.get_domain(s, domain_id)
        if s.scalar(sa.select(m.User.id).where(m.User.domain_id == domain_id,
                                               m.User.name == body["name"])):
            raise conflict("user", f"Duplicate entry found with name {body['name']} at "
                           f"domain ID {domain_id}")
        u = m.User(id=new_id(), domain_id=domain_id, enabled=True, extra={}, options={},
                   failed_auth_count=0, created_at=utcnow())
        apply_extra(u, {k: v for k, v in body.items() if k not in _NOT_ATTRS}, USER_COLUMNS)
        s.add(u)
        s.flush()
        if pw_hash:
            set_password(ident, s, u, body["password"], pw_hash, self_service=False)
        store.bump_generation(s)
        return views.user(u, base)
    return ident.write(work)


def list_(ident: Identity, ctx: RequestContext, query: Mapping[str, str], base: str
          ) -> list[dict]:
    ident.check(ctx, "identity:list_users", {"domain_id": query.get("domain_id")
                                             or ctx.domain_id or None})
    # a domain reader sees its own domain only
    scoped = None if ident.may(ctx, "identity:read_admin_resource") else ctx.domain_id

    def work(s: Session) -> list[dict]:
        q = sa.select(m.User)
        if scoped:
            q = q.where(m.User.domain_id == scoped)
        for name in ("name", "domain_id"):
            if query.get(name) is not None:
                q = q.where(getattr(m.User, name) == query[name])
        q = text_filters(s, q, query, {"name": m.User.name})
        enabled = parse_bool(query, "enabled")
        if enabled is not None:
            q = q.where(m.User.enabled.is_(enabled))
        return [views.user(u, base) for u in s.scalars(q.order_by(m.User.name))]
    return ident.read(work)


def show(ident: Identity, ctx: RequestContext, user_id: str, base: str) -> dict:
    def work(s: Session) -> dict:
        u = store.get_user(s, user_id)
        ident.check(ctx, "identity:get_user", target(u))
        return views.user(u, base)
    return ident.read(work)


def update(ident: Identity, ctx: RequestContext, user_id: str, body: dict[str, Any],
           base: str) -> dict:
    pw_hash = _hash(ident, body.get("password"))

    def work(s: Session) -> dict:
        u = store.get_user(s, user_id)
        ident.check(ctx, "identity:manage_user", target(u))
        if "domain_id" in body and body["domain_id"] != u.domain_id:
            raise BadRequest("Update of `domain_id` is not allowed.")
        if "name" in body and s.scalar(sa.select(m.User.id).where(
                m.User.domain_id == u.domain_id, m.User.name == body["name"],
                m.User.id != u.id)):
            raise conflict("user", f"Duplicate entry found with name {body['name']}")
        was_enabled = u.enabled
        apply_extra(u, {k: v for k, v in body.items() if k not in _NOT_ATTRS}, USER_COLUMNS)
        if "password" in body:
            set_password(ident, s, u, body["password"], pw_hash, self_service=False)
            store.revoke(s, user_id=u.id)
        if was_enabled and not u.enabled:
            store.revoke(s, user_id=u.id)
        store.bump_generation(s)
        return views.user(u, base)
    return ident.write(work)


def delete(ident: Identity, ctx: RequestContext, user_id: str) -> None:
    def work(s: Session) -> None:
        u = store.get_user(s, user_id)
        ident.check(ctx, "identity:manage_user", target(u))
        s.execute(sa.delete(m.Assignment).where(m.Assignment.actor_id == u.id))
        s.execute(sa.delete(m.Membership).where(m.Membership.user_id == u.id))
        s.execute(sa.delete(m.PasswordHistory).where(m.PasswordHistory.user_id == u.id))
        s.delete(u)
        store.revoke(s, user_id=u.id)
    ident.write(work)


def change_password(ident: Identity, user_id: str, original: str, password: str) -> None:
    """Self-service change: the original password proves who is asking (no token needed)."""
    sc = ident.settings.security_compliance
    # through the authenticator: unknown, disabled, locked or wrong all answer 401, and a
    # wrong original password counts toward lockout (issue 7, F9)
    current = ident.auth.check_original_password(user_id, original)
    if sc.minimum_password_age and current.password_created_at and \
            current.password_created_at + timedelta(days=sc.minimum_password_age) > utcnow():
        raise BadRequest("You cannot change your password at this time due to the "
                         "minimum password age.")
    pw_hash = _hash(ident, password)

    def work(s: Session) -> None:
        u = store.get_user(s, user_id)
        set_password(ident, s, u, password, pw_hash, self_service=True)
        store.revoke(s, user_id=u.id)
    ident.write(work)


def projects_of(ident: Identity, ctx: RequestContext, user_id: str,
                query: Mapping[str, str], base: str) -> list[dict]:
    def work(s: Session) -> list[dict]:
        u = store.get_user(s, user_id)
        ident.check(ctx, "identity:list_user_projects", target(u))
        ids = assignments.projects_with_roles(s, u.id)
        q = sa.select(m.Project).where(m.Project.id.in_(ids))
        enabled = parse_bool(query, "enabled")
        if enabled is not None:
            q = q.where(m.Project.enabled.is_(enabled))
        if query.get("name") is not None:
            q = q.where(m.Project.name == query["name"])
        q = text_filters(s, q, query, {"name": m.Project.name})
        rows = list(s.scalars(q.order_by(m.Project.name))) if ids else []
        tags = store.tags_by_project(s, [p.id for p in rows])
        return [views.project(p, tags[p.id], base) for p in rows]
    return ident.read(work)


def groups_of(ident: Identity, ctx: RequestContext, user_id: str, base: str) -> list[dict]:
    def work(s: Session) -> list[dict]:
        u = store.get_user(s, user_id)
        ident.check(ctx, "identity:list_groups_for_user", target(u))
        rows = s.scalars(sa.select(m.Group).join(
            m.Membership, m.Membership.group_id == m.Group.id).where(
            m.Membership.user_id == u.id).order_by(m.Group.name))
        return [views.group(g, base) for g in rows]
    return ident.read(work)

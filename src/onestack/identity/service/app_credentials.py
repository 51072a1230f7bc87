"""Application credentials and their access rules.

A restricted application credential (``unrestricted`` false, the default) may not mint
durable credentials that outlive it — trusts, EC2 credentials, further application
credentials (issue 7, F7). A credential is scoped like the token that created it: a project
token cannot create a system credential (F20). Access rules keep the order they were given in.
"""
from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.context import RequestContext
from onestack.core.db import Database, new_id, utcnow
from onestack.core.errors import Forbidden, conflict, not_found
from onestack.core.policy import Policy
from onestack.identity import catalog_models as cm
from onestack.identity import models as m
from onestack.identity.passwords import hash_secret
from onestack.identity.service import store

MANAGE_RESTRICTED = ("Using method 'application_credential' is not allowed for managing "
                     "additional application credentials.")
SECRET_HASH_ROUNDS_CAP = 10  # secrets are 64 random characters: no need for a slow hash


def refuse_restricted(ctx: RequestContext, message: str) -> None:
    """403 when the caller authenticated with a restricted application credential."""
    cred = (ctx.token_data or {}).get("application_credential")
    if ctx.app_cred_id and (cred is None or cred.get("restricted", True)):
        raise Forbidden(message)


def ordered_rules(s: Session, rule_ids: list[str]) -> list[cm.AccessRule]:
    """The access rules named by ``rule_ids``, in that order (not the database's)."""
    if not rule_ids:
        return []
    found = {x.id: x for x in s.scalars(sa.select(cm.AccessRule).where(
        cm.AccessRule.id.in_(rule_ids)))}
    return [found[rid] for rid in rule_ids if rid in found]


def rule_body(x: cm.AccessRule) -> dict[str, Any]:
    return {"id": x.id, "service": x.service, "path": x.path, "method": x.method}


def rule_view(x: cm.AccessRule, base: str) -> dict[str, Any]:
    return {**rule_body(x), "links": {"self": f"{base}/access_rules/{x.id}"}}


def view(s: Session, c: cm.ApplicationCredential, base: str) -> dict[str, Any]:
    roles = s.scalars(sa.select(m.Role).where(m.Role.id.in_(c.role_ids or [])))
    return {"id": c.id, "name": c.name, "description": c.description,
            "user_id": c.user_id, "project_id": c.project_id, "system": c.system,
            "expires_at": c.expires_at.isoformat() if c.expires_at else None,
            "unrestricted": c.unrestricted,
            "roles": [{"id": x.id, "name": x.name, "domain_id": None} for x in roles],
            "access_rules": [rule_body(x) for x in ordered_rules(s, c.access_rule_ids or [])],
            "links": {"self": f"{base}/application_credentials/{c.id}"}}


@dataclass
class NewAppCredential:
    name: str
    description: str | None
    secret: str | None
    expires_at: datetime | None
    roles: list[dict[str, str]]
    unrestricted: bool
    access_rules: list[dict[str, str]]
    system: str | None


def _role_ids(ctx: RequestContext, wanted: list[dict[str, str]]) -> list[str]:
    held = dict(zip(ctx.role_ids, ctx.roles))
    if not wanted:
        return list(held)
    ids = []
    for ref in wanted:
        match = [rid for rid, name in held.items()
                 if rid == ref.get("id") or name == ref.get("name")]
        if not match:
            raise Forbidden("Application credentials may only carry roles that the user "
                            "holds on the project.")
        ids.append(match[0])
    return ids


def _rule_ids(s: Session, user_id: str, rules: list[dict[str, str]]) -> list[str]:
    """Each rule by id (the user's own) or by content (reused when the user has it)."""
    ids = []
    for rule in rules:
        if rule.get("id"):
            existing = s.get(cm.AccessRule, rule["id"])
            if existing is None or existing.user_id != user_id:
                raise not_found("access rule", rule["id"])
        else:
            existing = s.scalar(sa.select(cm.AccessRule).where(
                cm.AccessRule.user_id == user_id, cm.AccessRule.service == rule.get("service"),
                cm.AccessRule.path == rule.get("path"),
                cm.AccessRule.method == rule.get("method")))
            if existing is None:
                existing = cm.AccessRule(id=new_id(), user_id=user_id,
                                         service=rule.get("service", ""),
                                         path=rule.get("path", ""), method=rule.get("method", ""))
                s.add(existing)
        ids.append(existing.id)
    return ids


class AppCredentials:
    """The application-credential and access-rule use cases."""

    def __init__(self, db: Database, policy: Policy, hash_rounds: int) -> None:
        self.db = db
        self.enforce = policy.enforce
        self.hash_rounds = min(hash_rounds, SECRET_HASH_ROUNDS_CAP)

    def _owner(self, ctx: RequestContext, user_id: str, rule: str) -> None:
        self.enforce(rule, ctx, {"user_id": user_id})

    @staticmethod
    def require_self(ctx: RequestContext, user_id: str) -> None:
        if user_id != ctx.user_id:
            raise Forbidden("Application credentials can only be created for yourself.")

    def create(self, ctx: RequestContext, user_id: str, req: NewAppCredential,
               base: str) -> dict[str, Any]:
        self.require_self(ctx, user_id)
        if ctx.trust_id:
            raise Forbidden("A trust-scoped token cannot create application credentials.")
        refuse_restricted(ctx, MANAGE_RESTRICTED)
        if not ctx.project_id and not ctx.system_scope:
            raise Forbidden("Application credentials need a project-scoped token.")
        if req.system and not ctx.system_scope:
            raise Forbidden("A system application credential needs a system-scoped token.")
        secret = req.secret or base64.urlsafe_b64encode(os.urandom(48)).decode().rstrip("=")
        secret_hash = hash_secret(secret, self.hash_rounds)

        def work(s: Session) -> dict[str, Any]:
            role_ids = _role_ids(ctx, req.roles)
            if s.scalar(sa.select(cm.ApplicationCredential.id).where(
                    cm.ApplicationCredential.user_id == user_id,
                    cm.ApplicationCredential.name == req.name)):
                raise conflict("application credential",
                               f"Duplicate entry found with name {req.name}")
            c = cm.ApplicationCredential(
                id=new_id(), name=req.name, user_id=user_id,
                project_id=ctx.project_id or None, description=req.description,
                secret_hash=secret_hash, expires_at=req.expires_at,
                unrestricted=req.unrestricted, system="all" if ctx.system_scope else None,
                role_ids=role_ids, access_rule_ids=_rule_ids(s, user_id, req.access_rules),
                created_at=utcnow())
            s.add(c)
            s.flush()
            return {**view(s, c, base), "secret": secret}

        return self.db.write(work)

    def list(self, ctx: RequestContext, user_id: str, name: str | None,
             base: str) -> list[dict[str, Any]]:
        self._owner(ctx, user_id, "identity:owner_or_reader")

        def work(s: Session) -> list[dict[str, Any]]:
            q = sa.select(cm.ApplicationCredential).where(
                cm.ApplicationCredential.user_id == user_id)
            if name is not None:
                q = q.where(cm.ApplicationCredential.name == name)
            return [view(s, c, base) for c in s.scalars(q)]

        return self.db.read(work)

    @staticmethod
    def _get(s: Session, user_id: str, cred_id: str) -> cm.ApplicationCredential:
        c = s.get(cm.ApplicationCredential, cred_id)
        if c is None or c.user_id != user_id:
            raise not_found("application credential", cred_id)
        return c

    def show(self, ctx: RequestContext, user_id: str, cred_id: str,
             base: str) -> dict[str, Any]:
        self._owner(ctx, user_id, "identity:owner_or_reader")
        return self.db.read(lambda s: view(s, self._get(s, user_id, cred_id), base))

    def delete(self, ctx: RequestContext, user_id: str, cred_id: str) -> None:
        self._owner(ctx, user_id, "identity:owner_or_admin")
        refuse_restricted(ctx, MANAGE_RESTRICTED)

        def work(s: Session) -> None:
            c = self._get(s, user_id, cred_id)
            s.delete(c)
            store.revoke(s, app_cred_id=c.id)

        self.db.write(work)

    # --- access rules --------------------------------------------------------------------
    def list_rules(self, ctx: RequestContext, user_id: str, base: str) -> list[dict[str, Any]]:
        self._owner(ctx, user_id, "identity:owner_or_reader")
        return self.db.read(lambda s: [rule_view(x, base) for x in s.scalars(
            sa.select(cm.AccessRule).where(cm.AccessRule.user_id == user_id))])

    @staticmethod
    def _rule(s: Session, user_id: str, rule_id: str) -> cm.AccessRule:
        x = s.get(cm.AccessRule, rule_id)
        if x is None or x.user_id != user_id:
            raise not_found("access rule", rule_id)
        return x

    def show_rule(self, ctx: RequestContext, user_id: str, rule_id: str,
                  base: str) -> dict[str, Any]:
        self._owner(ctx, user_id, "identity:owner_or_reader")
        return self.db.read(lambda s: rule_view(self._rule(s, user_id, rule_id), base))

    def delete_rule(self, ctx: RequestContext, user_id: str, rule_id: str) -> None:
        self._owner(ctx, user_id, "identity:owner_or_admin")

        def work(s: Session) -> None:
            x = self._rule(s, user_id, rule_id)
            for c in s.scalars(sa.select(cm.ApplicationCredential).where(
                    cm.ApplicationCredential.user_id == user_id)):
                if x.id in (c.access_rule_ids or []):
                    raise Forbidden("The access rule is in use by an application credential.")
            s.delete(x)

        self.db.write(work)

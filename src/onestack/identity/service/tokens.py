"""Token issue, validation and revocation.

A token carries only who, how, which scope and when; roles, names and the catalog are
computed at validation time, so a removed role or disabled project takes effect at once.
Validated tokens are cached per process keyed by the identity generation counter, which
every identity write bumps: a replica's cache can never serve state older than the database.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.cache import GenerationCache
from onestack.core.context import RequestContext
from onestack.core.db import Database
from onestack.core.errors import NotFound, Unauthorized
from onestack.core.tokens import TokenCodec, TokenError, TokenPayload
from onestack.identity import catalog_models as cm
from onestack.identity import models as m
from onestack.identity.service import assignments, catalog, store
from onestack.identity.service.app_credentials import ordered_rules, rule_body
from onestack.identity.service.trusts import ancestry

CHAIN_LIMIT = 32  # longer than any redelegation depth: only stops a hand-made cycle


class TokenInvalid(Exception):
    """The token is unknown, expired, revoked or no longer backed by live data."""


def iso_us(us: int) -> str:
    return datetime.fromtimestamp(us / 1e6, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def iso_s(sec: int) -> str:
    return datetime.fromtimestamp(sec, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000000Z")


@dataclass
class Validated:
    payload: TokenPayload
    data: dict[str, Any]  # the token body without catalog
    role_names: list[str] = field(default_factory=list)
    role_ids: list[str] = field(default_factory=list)
    user_domain_id: str = ""
    project_domain_id: str = ""


def _revoked(s: Session, p: TokenPayload, v: Validated) -> bool:
    project_id = p.scope_id if p.scope in ("project", "trust") else None
    domain_ids = {v.user_domain_id, p.scope_id if p.scope == "domain" else "",
                  v.project_domain_id} - {""}
    ors = [cm.RevocationEvent.audit_id.in_(p.audit_ids), cm.RevocationEvent.user_id == p.user_id]
    if project_id:
        ors.append(cm.RevocationEvent.project_id == project_id)
    if domain_ids:
        ors.append(cm.RevocationEvent.domain_id.in_(domain_ids))
    if p.trust_id:
        ors.append(cm.RevocationEvent.trust_id == p.trust_id)
    if p.app_cred_id:
        ors.append(cm.RevocationEvent.app_cred_id == p.app_cred_id)
    trustor = (v.data.get("OS-TRUST:trust") or {}).get("trustor_user", {}).get("id")
    user_ids = {p.user_id, v.data["user"]["id"], trustor} - {None}
    if trustor:
        ors.append(cm.RevocationEvent.user_id.in_(user_ids))
    events = s.scalars(sa.select(cm.RevocationEvent).where(
        cm.RevocationEvent.issued_before_us >= p.issued_at_us, sa.or_(*ors)))
    for e in events:
        if e.audit_id and e.audit_id not in p.audit_ids:
            continue
        if e.user_id and e.user_id not in user_ids:
            continue
        if e.project_id and e.project_id != project_id:
            continue
        if e.domain_id and e.domain_id not in domain_ids:
            continue
        if e.trust_id and e.trust_id != p.trust_id:
            continue
        if e.app_cred_id and e.app_cred_id != p.app_cred_id:
            continue
        return True
    return False


def _domain_ref(s: Session, domain_id: str) -> dict[str, str]:
    d = s.get(m.Project, domain_id)
    if d is None or not d.enabled:
        raise TokenInvalid("domain gone or disabled")
    return {"id": d.id, "name": d.name}


def _chain_root(s: Session, trust: cm.Trust) -> cm.Trust:
    """The first trust of a redelegation chain; every link must still be live and its
    trustor enabled, or the token is invalid."""
    try:
        chain = ancestry(s, trust, CHAIN_LIMIT)
    except NotFound as exc:
        raise TokenInvalid("a trust this one was redelegated from is gone") from exc
    for link in chain:
        holder = s.get(m.User, link.trustor_user_id)
        if holder is None or not holder.enabled:
            raise TokenInvalid("a trustor in the chain is gone or disabled")
    return chain[-1] if chain else trust


def describe(s: Session, p: TokenPayload) -> Validated:
    """Re-derive everything a token means from live data; raises TokenInvalid."""
    user = s.get(m.User, p.user_id)
    if user is None or not user.enabled:
        raise TokenInvalid("user gone or disabled")
    data: dict[str, Any] = {
        "methods": list(p.methods),
        "user": {"domain": _domain_ref(s, user.domain_id), "id": user.id, "name": user.name,
                 "password_expires_at": (user.password_expires_at.strftime(
                     "%Y-%m-%dT%H:%M:%S.%f") if user.password_expires_at else None)},
        "audit_ids": list(p.audit_ids),
        "expires_at": iso_s(p.expires_at),
        "issued_at": iso_us(p.issued_at_us),
    }
    v = Validated(p, data, user_domain_id=user.domain_id)
    role_holder = user.id
    if p.trust_id:
        trust = s.get(cm.Trust, p.trust_id)
        if trust is None or (trust.expires_at and trust.expires_at < datetime.utcnow()):
            raise TokenInvalid("trust gone")
        trustor = s.get(m.User, trust.trustor_user_id)
        if trustor is None or not trustor.enabled:
            raise TokenInvalid("trustor gone")
        root = _chain_root(s, trust)
        data["OS-TRUST:trust"] = {"id": trust.id, "impersonation": trust.impersonation,
                                  "trustee_user": {"id": trust.trustee_user_id},
                                  "trustor_user": {"id": trust.trustor_user_id}}
        role_holder = root.trustor_user_id  # a redelegated trust acts for the first trustor
        if trust.impersonation:
            data["user"] = {"domain": _domain_ref(s, trustor.domain_id), "id": trustor.id,
                            "name": trustor.name, "password_expires_at": None}
    roles: list[assignments.RoleRef] = []
    if p.scope in ("project", "trust"):
        project = s.get(m.Project, p.scope_id)
        if project is None or project.is_domain or not project.enabled:
            raise TokenInvalid("project gone or disabled")
        data["project"] = {"domain": _domain_ref(s, project.domain_id), "id": project.id,
                           "name": project.name}
        data["is_domain"] = False
        v.project_domain_id = project.domain_id
        roles = assignments.effective_roles(s, role_holder, "project", project.id)
    elif p.scope == "domain":
        data["domain"] = _domain_ref(s, p.scope_id)
        roles = assignments.effective_roles(s, role_holder, "domain", p.scope_id)
    elif p.scope == "system":
        data["system"] = {"all": True}
        roles = assignments.effective_roles(s, role_holder, "system", "all")
    if p.trust_id:
        trust_roles = set(assignments.implied_closure(s, set(s.get(cm.Trust, p.trust_id).role_ids)))
        roles = [r for r in roles if r.id in trust_roles]
    if p.app_cred_id:
        cred = s.get(cm.ApplicationCredential, p.app_cred_id)
        if cred is None or (cred.expires_at and cred.expires_at < datetime.utcnow()):
            raise TokenInvalid("application credential gone or expired")
        allowed = assignments.implied_closure(s, set(cred.role_ids))
        roles = [r for r in roles if r.id in allowed]
        data["application_credential"] = {"id": cred.id, "name": cred.name,
                                           "restricted": not cred.unrestricted}
        if cred.access_rule_ids:
            data["application_credential"]["access_rules"] = [
                rule_body(r) for r in ordered_rules(s, cred.access_rule_ids)]
    if p.scope != "unscoped":
        if not roles:
            raise TokenInvalid("no roles on scope")
        data["roles"] = [{"id": r.id, "name": r.name} for r in roles]
    v.role_names = [r.name for r in roles]
    v.role_ids = [r.id for r in roles]
    if _revoked(s, p, v):
        raise TokenInvalid("revoked")
    return v


class TokenService:
    def __init__(self, db: Database, codec: TokenCodec):
        self.db = db
        self.codec = codec
        self._cache = GenerationCache()

    def decode(self, token: str) -> TokenPayload:
        try:
            p = self.codec.decode(token)
        except TokenError as exc:
            raise TokenInvalid("not a token of ours") from exc
        return p

    def generation(self) -> int:
        return int(self.db.read_value(store.GENERATION_SQL) or 0)

    def validate(self, token: str, allow_expired: bool = False) -> Validated:
        p = self.decode(token)
        if not allow_expired and p.expires_at <= time.time():
            raise TokenInvalid("expired")
        gen = self.generation()
        cached = self._cache.get(gen, token)
        if cached is not None:
            if isinstance(cached, TokenInvalid):
                raise cached
            return cached
        with self.db.reader() as s:
            try:
                v = describe(s, p)
            except TokenInvalid as exc:
                self._cache.put(gen, token, exc)
                raise
            self._cache.put(gen, token, v)
            return v

    def catalog(self, project_id: str) -> list[dict[str, Any]]:
        gen = self.generation()
        key = ("catalog", project_id)
        cached = self._cache.get(gen, key)
        if cached is None:
            with self.db.reader() as s:
                cached = catalog.build(s, project_id)
            self._cache.put(gen, key, cached)
        return cached

    def authenticate(self, token: str, request_id: str) -> RequestContext:
        """The ``core.app.Authenticator`` seam: a context for a valid token, else 401."""
        try:
            v = self.validate(token)
        except TokenInvalid as exc:
            raise Unauthorized() from exc
        p = v.payload
        return RequestContext(
            request_id=request_id, token=token, user_id=v.data["user"]["id"],
            user_domain_id=v.data["user"]["domain"]["id"],
            project_id=p.scope_id if p.scope in ("project", "trust") else "",
            project_domain_id=v.project_domain_id,
            domain_id=p.scope_id if p.scope == "domain" else "",
            system_scope="all" if p.scope == "system" else "",
            roles=v.role_names, role_ids=v.role_ids, audit_ids=p.audit_ids,
            trust_id=p.trust_id, app_cred_id=p.app_cred_id, token_data=v.data)

    def body(self, v: Validated, with_catalog: bool) -> dict[str, Any]:
        data = dict(v.data)
        if with_catalog and v.payload.scope != "unscoped":
            project_id = v.payload.scope_id if v.payload.scope in ("project", "trust") else ""
            data["catalog"] = self.catalog(project_id)
        return {"token": data}

    def subject(self, token: str, allow_expired: bool = False) -> Validated:
        """Validate the token named in ``X-Subject-Token``: 404 when it is not valid."""
        try:
            return self.validate(token, allow_expired)
        except TokenInvalid as exc:
            raise NotFound("Could not recognize Fernet token" if "ours" in str(exc)
                           else "Failed to validate token") from exc

    def revoke_token(self, token: str) -> None:
        v = self.subject(token)
        self.db.write(lambda s: store.revoke(s, audit_id=v.payload.audit_ids[0]))

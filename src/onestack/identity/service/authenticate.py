"""``POST /v3/auth/tokens``: identify the caller by each requested method, settle the scope,
and mint a token. Failures are a bare 401 so an attacker learns nothing."""
from __future__ import annotations

import time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.config import Settings
from onestack.core.db import Database, utcnow
from onestack.core.errors import Forbidden, Unauthorized, ValidationError
from onestack.core.tokens import TokenPayload, new_audit_id
from onestack.identity import catalog_models as cm
from onestack.identity import models as m
from onestack.identity.passwords import check_secret
from onestack.identity.service import assignments, store
from onestack.identity.service.password_auth import PasswordCheck, find_user, usable
from onestack.identity.service.tokens import TokenInvalid, TokenService, Validated


def _user_by_ref(s: Session, ref: dict[str, Any]) -> m.User:
    user = find_user(s, ref) if isinstance(ref, dict) else None
    if user is None:
        raise Unauthorized()
    return user


def _check_user_usable(s: Session, user: m.User) -> None:
    if not usable(s, user):
        raise Unauthorized()


class Authenticator:
    def __init__(self, db: Database, settings: Settings, tokens: TokenService):
        self.db = db
        self.settings = settings
        self.tokens = tokens
        self.passwords = PasswordCheck(db, settings)

    # --- methods ---------------------------------------------------------
    def _password(self, ref: dict[str, Any]) -> str:
        if not isinstance(ref, dict) or not isinstance(ref.get("password"), str):
            raise Unauthorized()
        user = self.passwords.verify(ref, ref["password"])
        if user.password_expires_at and user.password_expires_at <= utcnow():
            raise Unauthorized(f"The password is expired and needs to be changed for user: "
                               f"{user.id}.")
        return user.id

    def check_original_password(self, user_id: str, password: str) -> m.User:
        """For ``POST /v3/users/{id}/password``: the same proof, lockout and 401 as a login
        (an expired password may still be changed, which is the point)."""
        return self.passwords.verify({"id": user_id}, password)

    def _app_credential(self, ref: dict[str, Any]) -> tuple[str, cm.ApplicationCredential]:
        if not isinstance(ref, dict) or not isinstance(ref.get("secret"), str):
            raise Unauthorized()

        def find(s: Session) -> cm.ApplicationCredential:
            if ref.get("id"):
                cred = s.get(cm.ApplicationCredential, ref["id"])
            else:
                user = _user_by_ref(s, ref.get("user") or {})
                cred = s.scalar(sa.select(cm.ApplicationCredential).where(
                    cm.ApplicationCredential.user_id == user.id,
                    cm.ApplicationCredential.name == ref.get("name")))
            if cred is None:
                raise Unauthorized()
            user = s.get(m.User, cred.user_id)
            if user is None:
                raise Unauthorized()
            _check_user_usable(s, user)
            return cred

        cred = self.db.read(find)
        if cred.expires_at and cred.expires_at <= utcnow():
            raise Unauthorized()
        if not check_secret(ref["secret"], cred.secret_hash):
            raise Unauthorized()
        return cred.user_id, cred

    # --- scope -----------------------------------------------------------
    def _scope(self, s: Session, scope: Any, user: m.User) -> tuple[str, str]:
        if scope is None:
            if user.default_project_id:
                p = s.get(m.Project, user.default_project_id)
                if p is not None and p.enabled and not p.is_domain and \
                        assignments.effective_roles(s, user.id, "project", p.id):
                    return "project", p.id
            return "unscoped", ""
        if scope == "unscoped":
            return "unscoped", ""
        if not isinstance(scope, dict):
            raise ValidationError("Invalid scope.")
        if "project" in scope:
            ref = scope["project"] or {}
            if ref.get("id"):
                p = s.get(m.Project, ref["id"])
            else:
                dom = ref.get("domain") or {}
                domain_id = dom.get("id")
                if not domain_id and dom.get("name"):
                    d = s.scalar(sa.select(m.Project).where(m.Project.is_domain.is_(True),
                                                            m.Project.name == dom["name"]))
                    domain_id = d.id if d else None
                if ref.get("name") and not dom:
                    raise ValidationError("Expecting to find domain in project. The server "
                                          "could not comply with the request since it is "
                                          "either malformed or otherwise incorrect.")
                if not ref.get("name") or not domain_id:
                    raise Unauthorized()
                p = s.scalar(sa.select(m.Project).where(m.Project.domain_id == domain_id,
                                                        m.Project.name == ref["name"],
                                                        m.Project.is_domain.is_(False)))
            if p is None or p.is_domain:
                raise Unauthorized()
            domain = s.get(m.Project, p.domain_id)
            if not p.enabled or domain is None or not domain.enabled:
                raise Unauthorized()
            return "project", p.id
        if "domain" in scope:
            ref = scope["domain"] or {}
            if ref.get("id"):
                d = s.get(m.Project, ref["id"])
            else:
                d = s.scalar(sa.select(m.Project).where(m.Project.is_domain.is_(True),
                                                        m.Project.name == ref.get("name")))
            if d is None or not d.is_domain or not d.enabled:
                raise Unauthorized()
            return "domain", d.id
        if "system" in scope:
            if (scope["system"] or {}).get("all") is not True:
                raise Unauthorized()  # the only system there is is "all"
            return "system", "all"
        if "OS-TRUST:trust" in scope:
            return "trust", (scope["OS-TRUST:trust"] or {}).get("id", "")
        raise ValidationError("Invalid scope.")

    # --- the use case ----------------------------------------------------
    def issue(self, auth: dict[str, Any]) -> tuple[str, Validated]:
        from onestack.identity.schemas import AUTH, validate

        validate(AUTH, auth)
        identity = auth.get("identity")
        if not isinstance(identity, dict):
            raise ValidationError("'identity' is a required property")
        methods = identity.get("methods")
        if not isinstance(methods, list) or not all(isinstance(x, str) for x in methods):
            raise ValidationError("'methods' must be a list of strings")
        if not methods:
            raise Unauthorized()  # nothing to authenticate with
        supported = {"password", "token", "application_credential"}
        if not set(methods) <= supported:
            raise Unauthorized("Attempted to authenticate with an unsupported method.")
        now_s = int(time.time())
        expires = now_s + self.settings.token_expiration
        audit_ids = [new_audit_id()]
        user_id = ""
        out_methods: list[str] = []
        app_cred: cm.ApplicationCredential | None = None
        parent: Validated | None = None
        if "token" in methods:
            tref = identity.get("token") or {}
            if not isinstance(tref, dict) or not tref.get("id"):
                raise ValidationError("'id' is a required property")
            parent = self.tokens.subject(tref["id"])  # 404 when invalid, as Keystone answers
            if parent.payload.trust_id or parent.payload.app_cred_id:
                raise Forbidden("Re-scoping a delegated token is not allowed.")
            user_id = parent.payload.user_id
            expires = parent.payload.expires_at
            audit_ids = [audit_ids[0], parent.payload.audit_ids[-1]]
            out_methods = list(parent.payload.methods)
        if "password" in methods:
            pw_user = self._password(identity.get("password", {}).get("user") if isinstance(
                identity.get("password"), dict) else None)
            if user_id and user_id != pw_user:
                raise Unauthorized()
            user_id = pw_user
        if "application_credential" in methods:
            user_id, app_cred = self._app_credential(identity.get("application_credential"))
        for meth in methods:
            if meth not in out_methods:
                out_methods.append(meth)
        scope = auth.get("scope")

        def settle(s: Session) -> TokenPayload:
            user = s.get(m.User, user_id)
            if user is None:
                raise Unauthorized()
            _check_user_usable(s, user)
            trust_id = ""
            nonlocal expires
            if app_cred is not None:
                if scope is not None and not isinstance(scope, dict):
                    raise Unauthorized()  # an application credential is always scoped
                if scope is not None and \
                        (scope.get("project") or {}).get("id") not in (None, app_cred.project_id):
                    raise Unauthorized()
                if app_cred.system:
                    kind, scope_id = "system", "all"
                else:
                    kind, scope_id = "project", app_cred.project_id or ""
                if app_cred.expires_at:
                    expires = min(expires, int(app_cred.expires_at.timestamp()))
            else:
                kind, scope_id = self._scope(s, scope, user)
            if kind == "trust":
                trust = s.get(cm.Trust, scope_id)
                if trust is None or trust.trustee_user_id != user.id:
                    raise Unauthorized() if trust is None else Forbidden()
                if trust.expires_at:
                    if trust.expires_at <= utcnow():
                        raise Unauthorized()
                    expires = min(expires, int(trust.expires_at.timestamp()))
                if trust.remaining_uses is not None:
                    if trust.remaining_uses <= 0:
                        raise Unauthorized()
                    trust.remaining_uses -= 1
                trust_id, kind, scope_id = trust.id, "trust", trust.project_id or ""
            elif kind != "unscoped" and not assignments.effective_roles(s, user.id, kind,
                                                                       scope_id):
                raise Unauthorized(f"User {user.id} has no access to {kind} {scope_id}")
            return TokenPayload(user_id=user.id, methods=out_methods, scope=kind,
                                scope_id=scope_id, issued_at_us=store.now_us(),
                                expires_at=expires, audit_ids=audit_ids, trust_id=trust_id,
                                app_cred_id=app_cred.id if app_cred else "")

        payload = self.db.write(settle) if isinstance(scope, dict) and \
            "OS-TRUST:trust" in scope else self.db.read(settle)
        token = self.tokens.codec.encode(payload)
        try:
            v = self.tokens.validate(token)
        except TokenInvalid as exc:
            raise Unauthorized() from exc
        return token, v

"""Credentials (blobs encrypted at rest) and EC2 credentials.

An EC2 credential is a durable key pair bound to a project: it is refused when the owner
holds no role there, and when the caller authenticated with a restricted application
credential (it would outlive the application credential; issue 7, F7).
"""
from __future__ import annotations

import hashlib
import json
import os
from typing import Any

import sqlalchemy as sa
from cryptography.fernet import Fernet, MultiFernet
from sqlalchemy.orm import Session

from onestack.core import json_limits
from onestack.core.context import RequestContext
from onestack.core.db import Database, new_id
from onestack.core.errors import BadRequest, Forbidden, conflict, not_found
from onestack.core.policy import Policy
from onestack.identity import catalog_models as cm
from onestack.identity.service import assignments, keys, store
from onestack.identity.service.app_credentials import refuse_restricted

RESERVED = ("user_id", "project_id", "type", "blob", "id")
EC2_RESTRICTED = ("Using method 'application_credential' is not allowed for managing EC2 "
                  "credentials.")


def ec2_credential_id(access: str) -> str:
    """EC2 credentials are found by their access key: the id is its hash."""
    return hashlib.sha256(access.encode()).hexdigest()


def _credential_id(body: dict[str, Any]) -> str:
    if body["type"] != "ec2":
        return new_id()
    try:
        access = json_limits.loads(body["blob"])["access"]  # bounded: no RecursionError
    except (ValueError, KeyError, TypeError) as exc:
        raise BadRequest("EC2 credential blob must be JSON with an 'access' key.") from exc
    if not isinstance(access, str) or not access:
        raise BadRequest("The EC2 credential's 'access' must be a non-empty string.")
    return ec2_credential_id(access)


def _require_role(s: Session, user_id: str, project_id: str) -> None:
    store.get_project(s, project_id)
    if not assignments.effective_roles(s, user_id, "project", project_id):
        raise Forbidden("The user has no role on the project the EC2 credential is for.")


class Credentials:
    """The ``/v3/credentials`` and ``OS-EC2`` use cases."""

    def __init__(self, db: Database, policy: Policy) -> None:
        self.db = db
        self.allowed = policy.allowed
        self.policy = policy

    def cipher(self) -> MultiFernet:
        return MultiFernet([Fernet(k) for k in keys.active_keys(self.db, "credential")])

    def _enforce(self, ctx: RequestContext, rule: str, user_id: str) -> None:
        self.policy.enforce(rule, ctx, {"user_id": user_id})

    @staticmethod
    def view(c: cm.Credential, base: str, f: MultiFernet) -> dict[str, Any]:
        body = dict(c.extra or {})
        body.update({"id": c.id, "user_id": c.user_id, "project_id": c.project_id,
                     "type": c.type, "blob": f.decrypt(c.encrypted_blob.encode()).decode(),
                     "links": {"self": f"{base}/credentials/{c.id}"}})
        return body

    # --- /v3/credentials -----------------------------------------------------------------
    def create(self, ctx: RequestContext, body: dict[str, Any], base: str) -> dict[str, Any]:
        self._enforce(ctx, "identity:owner_or_admin", body["user_id"])
        if body["type"] == "ec2":
            if not body.get("project_id"):
                raise BadRequest("project_id is required for ec2 credentials.")
            refuse_restricted(ctx, EC2_RESTRICTED)
        f = self.cipher()

        # a user's own EC2 credential needs a role on its project; the cloud admin may
        # register one for anyone (Keystone's, and Tempest's credential tests rely on it)
        needs_role = body["type"] == "ec2" and not self.allowed(
            "identity:manage_admin_resource", ctx)

        def work(s: Session) -> dict[str, Any]:
            if needs_role:
                _require_role(s, body["user_id"], body["project_id"])
            cid = _credential_id(body)
            if s.get(cm.Credential, cid) is not None:
                raise conflict("credential", f"Duplicate ID, {cid}")
            c = cm.Credential(id=cid, user_id=body["user_id"], project_id=body.get("project_id"),
                              type=body["type"],
                              encrypted_blob=f.encrypt(body["blob"].encode()).decode(),
                              extra={k: v for k, v in body.items() if k not in RESERVED})
            s.add(c)
            return self.view(c, base, f)

        return self.db.write(work)

    def list(self, ctx: RequestContext, filters: dict[str, str], base: str
             ) -> list[dict[str, Any]]:
        f = self.cipher()
        admin = self.allowed("identity:read_admin_resource", ctx, None)

        def work(s: Session) -> list[dict[str, Any]]:
            q = sa.select(cm.Credential)
            for name, value in filters.items():
                q = q.where(getattr(cm.Credential, name) == value)
            if not admin:
                q = q.where(cm.Credential.user_id == ctx.user_id)
            return [self.view(c, base, f) for c in s.scalars(q)]

        return self.db.read(work)

    def _owned(self, s: Session, ctx: RequestContext, cred_id: str, rule: str
               ) -> cm.Credential:
        c = s.get(cm.Credential, cred_id)
        if c is None or not self.allowed(rule, ctx, {"user_id": c.user_id}):
            raise not_found("credential", cred_id)
        return c

    def show(self, ctx: RequestContext, cred_id: str, base: str) -> dict[str, Any]:
        f = self.cipher()
        return self.db.read(lambda s: self.view(
            self._owned(s, ctx, cred_id, "identity:owner_or_reader"), base, f))

    def update(self, ctx: RequestContext, cred_id: str, body: dict[str, Any],
               base: str) -> dict[str, Any]:
        f = self.cipher()

        def work(s: Session) -> dict[str, Any]:
            c = self._owned(s, ctx, cred_id, "identity:owner_or_admin")
            if "user_id" in body and body["user_id"] != c.user_id and not self.allowed(
                    "identity:manage_admin_resource", ctx, None):
                raise Forbidden("Only an administrator may give a credential to another "
                                "user.")
            for key in ("user_id", "project_id", "type"):
                if key in body:
                    setattr(c, key, body[key])
            if "blob" in body:
                c.encrypted_blob = f.encrypt(body["blob"].encode()).decode()
            c.extra = {**(c.extra or {}),
                       **{k: v for k, v in body.items() if k not in RESERVED}}
            return self.view(c, base, f)

        return self.db.write(work)

    def delete(self, ctx: RequestContext, cred_id: str) -> None:
        self.db.write(lambda s: s.delete(
            self._owned(s, ctx, cred_id, "identity:owner_or_admin")))

    # --- OS-EC2 --------------------------------------------------------------------------
    @staticmethod
    def ec2_view(c: cm.Credential, base: str, f: MultiFernet) -> dict[str, Any]:
        blob = json.loads(f.decrypt(c.encrypted_blob.encode()))
        return {"user_id": c.user_id, "tenant_id": c.project_id, "access": blob["access"],
                "secret": blob["secret"], "trust_id": blob.get("trust_id"),
                "links": {"self": f"{base}/users/{c.user_id}/credentials/OS-EC2/"
                                  f"{blob['access']}"}}

    def ec2_create(self, ctx: RequestContext, user_id: str, tenant_id: Any,
                   base: str) -> dict[str, Any]:
        self._enforce(ctx, "identity:owner_or_admin", user_id)
        if not isinstance(tenant_id, str):
            raise BadRequest("'tenant_id' is a required property")
        refuse_restricted(ctx, EC2_RESTRICTED)
        f = self.cipher()

        def work(s: Session) -> dict[str, Any]:
            store.get_user(s, user_id)
            _require_role(s, user_id, tenant_id)
            access, secret = os.urandom(16).hex(), os.urandom(16).hex()
            blob = json.dumps({"access": access, "secret": secret, "trust_id": None})
            c = cm.Credential(id=ec2_credential_id(access), user_id=user_id,
                              project_id=tenant_id, type="ec2",
                              encrypted_blob=f.encrypt(blob.encode()).decode(), extra={})
            s.add(c)
            return self.ec2_view(c, base, f)

        return self.db.write(work)

    def ec2_list(self, ctx: RequestContext, user_id: str, base: str) -> list[dict[str, Any]]:
        self._enforce(ctx, "identity:owner_or_admin", user_id)
        f = self.cipher()
        return self.db.read(lambda s: [self.ec2_view(c, base, f) for c in s.scalars(
            sa.select(cm.Credential).where(cm.Credential.user_id == user_id,
                                           cm.Credential.type == "ec2"))])

    @staticmethod
    def _ec2_get(s: Session, user_id: str, access: str) -> cm.Credential:
        c = s.get(cm.Credential, ec2_credential_id(access))
        if c is None or c.user_id != user_id or c.type != "ec2":
            raise not_found("credential", access)
        return c

    def ec2_show(self, ctx: RequestContext, user_id: str, access: str,
                 base: str) -> dict[str, Any]:
        self._enforce(ctx, "identity:owner_or_admin", user_id)
        f = self.cipher()
        return self.db.read(lambda s: self.ec2_view(self._ec2_get(s, user_id, access), base, f))

    def ec2_delete(self, ctx: RequestContext, user_id: str, access: str) -> None:
        self._enforce(ctx, "identity:owner_or_admin", user_id)
        self.db.write(lambda s: s.delete(self._ec2_get(s, user_id, access)))

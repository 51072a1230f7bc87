"""Credentials (encrypted at rest), EC2 credentials, application credentials and their
access rules."""
from __future__ import annotations

import base64
import hashlib
import json
import os
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa
from cryptography.fernet import Fernet, MultiFernet
from sqlalchemy.orm import Session

from onestack.core.db import new_id, utcnow
from onestack.core.errors import BadRequest, Forbidden, NotFound, conflict, not_found
from onestack.core.http import Call, Reply, RouteTable
from onestack.identity import catalog_models as cm
from onestack.identity import models as m
from onestack.identity import schemas, views
from onestack.identity.api.common import Identity, self_url, v3
from onestack.identity.passwords import hash_secret
from onestack.identity.service import keys, store


def parse_time(value: str | None, field: str) -> datetime | None:
    if value is None:
        return None
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise BadRequest(f"Invalid {field}: {value}") from exc
    if dt.tzinfo is not None:
        dt = dt.astimezone(timezone.utc).replace(tzinfo=None)
    return dt


def routes(ident: Identity) -> RouteTable:
    r = RouteTable()

    def cipher() -> MultiFernet:
        return MultiFernet([Fernet(k) for k in keys.active_keys(ident.db, "credential")])

    def cred_view(c: cm.Credential, base: str, f: MultiFernet) -> dict[str, Any]:
        body = dict(c.extra or {})
        body.update({"id": c.id, "user_id": c.user_id, "project_id": c.project_id,
                     "type": c.type, "blob": f.decrypt(c.encrypted_blob.encode()).decode(),
                     "links": {"self": f"{base}/credentials/{c.id}"}})
        return body

    def cred_id_for(body: dict) -> str:
        if body["type"] == "ec2":
            try:
                access = json.loads(body["blob"])["access"]
            except (ValueError, KeyError, TypeError) as exc:
                raise BadRequest("EC2 credential blob must be JSON with an 'access' key.") \
                    from exc
            if not isinstance(access, str) or not access:
                raise BadRequest("The EC2 credential's 'access' must be a non-empty string.")
            return hashlib.sha256(access.encode()).hexdigest()
        return new_id()

    @r.post("/v3/credentials")
    def create_cred(call: Call) -> Reply:
        body = schemas.validate(schemas.CREDENTIAL_CREATE, call.body("credential"))
        ident.enforce(call, "identity:owner_or_admin", {"user_id": body["user_id"]})
        if body["type"] == "ec2" and not body.get("project_id"):
            raise BadRequest("project_id is required for ec2 credentials.")
        f = cipher()

        def work(s: Session) -> dict:
            cid = cred_id_for(body)
            if s.get(cm.Credential, cid) is not None:
                raise conflict("credential", f"Duplicate ID, {cid}")
            c = cm.Credential(id=cid, user_id=body["user_id"], project_id=body.get("project_id"),
                              type=body["type"], encrypted_blob=f.encrypt(
                                  body["blob"].encode()).decode(),
                              extra={k: v for k, v in body.items() if k not in (
                                  "user_id", "project_id", "type", "blob", "id")})
            s.add(c)
            return cred_view(c, v3(call), f)
        return Reply(201, {"credential": ident.write(work)})

    @r.get("/v3/credentials")
    def list_creds(call: Call) -> Reply:
        f = cipher()
        admin = ident.allowed(call, "identity:read_admin_resource")

        def work(s: Session) -> list[dict]:
            q = sa.select(cm.Credential)
            for name in ("user_id", "type"):
                if call.q(name) is not None:
                    q = q.where(getattr(cm.Credential, name) == call.q(name))
            if not admin:
                q = q.where(cm.Credential.user_id == call.ctx.user_id)
            return [cred_view(c, v3(call), f) for c in s.scalars(q)]
        return Reply(200, views.collection("credentials", ident.read(work), self_url(call)))

    def owned(s: Session, call: Call, rule: str) -> cm.Credential:
        c = s.get(cm.Credential, call.params["cred_id"])
        if c is None:
            raise not_found("credential", call.params["cred_id"])
        if not ident.allowed(call, rule, {"user_id": c.user_id}):
            raise not_found("credential", call.params["cred_id"])
        return c

    @r.get("/v3/credentials/{cred_id}")
    def show_cred(call: Call) -> Reply:
        f = cipher()
        return Reply(200, {"credential": ident.read(
            lambda s: cred_view(owned(s, call, "identity:owner_or_reader"), v3(call), f))})

    @r.patch("/v3/credentials/{cred_id}")
    def update_cred(call: Call) -> Reply:
        body = schemas.validate(schemas.CREDENTIAL_UPDATE, call.body("credential"))
        f = cipher()

        def work(s: Session) -> dict:
            c = owned(s, call, "identity:owner_or_admin")
            if "user_id" in body and body["user_id"] != c.user_id and not ident.allowed(
                    call, "identity:manage_admin_resource"):
                raise Forbidden("Only an administrator may give a credential to another "
                                "user.")
            for key in ("user_id", "project_id", "type"):
                if key in body:
                    setattr(c, key, body[key])
            if "blob" in body:
                c.encrypted_blob = f.encrypt(body["blob"].encode()).decode()
            c.extra = {**(c.extra or {}), **{k: v for k, v in body.items() if k not in (
                "user_id", "project_id", "type", "blob", "id")}}
            return cred_view(c, v3(call), f)
        return Reply(200, {"credential": ident.write(work)})

    @r.delete("/v3/credentials/{cred_id}")
    def delete_cred(call: Call) -> Reply:
        ident.write(lambda s: s.delete(owned(s, call, "identity:owner_or_admin")))
        return Reply(204)

    # --- EC2 ----------------------------------------------------------------
    ec2 = "/v3/users/{user_id}/credentials/OS-EC2"

    def ec2_view(c: cm.Credential, base: str, f: MultiFernet) -> dict[str, Any]:
        blob = json.loads(f.decrypt(c.encrypted_blob.encode()))
        return {"user_id": c.user_id, "tenant_id": c.project_id, "access": blob["access"],
                "secret": blob["secret"], "trust_id": blob.get("trust_id"),
                "links": {"self": f"{base}/users/{c.user_id}/credentials/OS-EC2/{blob['access']}"}}

    def ec2_owner(call: Call) -> str:
        uid = call.params["user_id"]
        ident.enforce(call, "identity:owner_or_admin", {"user_id": uid})
        return uid

    @r.post(ec2)
    def create_ec2(call: Call) -> Reply:
        uid = ec2_owner(call)
        tenant = call.body().get("tenant_id")
        if not isinstance(tenant, str):
            raise BadRequest("'tenant_id' is a required property")
        f = cipher()

        def work(s: Session) -> dict:
            store.get_user(s, uid)
            store.get_project(s, tenant)
            access, secret = os.urandom(16).hex(), os.urandom(16).hex()
            blob = json.dumps({"access": access, "secret": secret, "trust_id": None})
            c = cm.Credential(id=hashlib.sha256(access.encode()).hexdigest(), user_id=uid,
                              project_id=tenant, type="ec2",
                              encrypted_blob=f.encrypt(blob.encode()).decode(), extra={})
            s.add(c)
            return ec2_view(c, v3(call), f)
        return Reply(201, {"credential": ident.write(work)})

    @r.get(ec2)
    def list_ec2(call: Call) -> Reply:
        uid = ec2_owner(call)
        f = cipher()
        items = ident.read(lambda s: [ec2_view(c, v3(call), f) for c in s.scalars(
            sa.select(cm.Credential).where(cm.Credential.user_id == uid,
                                           cm.Credential.type == "ec2"))])
        return Reply(200, views.collection("credentials", items, self_url(call)))

    def ec2_get(s: Session, uid: str, access: str) -> cm.Credential:
        c = s.get(cm.Credential, hashlib.sha256(access.encode()).hexdigest())
        if c is None or c.user_id != uid or c.type != "ec2":
            raise not_found("credential", access)
        return c

    @r.get(ec2 + "/{access}")
    def show_ec2(call: Call) -> Reply:
        uid = ec2_owner(call)
        f = cipher()
        return Reply(200, {"credential": ident.read(
            lambda s: ec2_view(ec2_get(s, uid, call.params["access"]), v3(call), f))})

    @r.delete(ec2 + "/{access}")
    def delete_ec2(call: Call) -> Reply:
        uid = ec2_owner(call)
        ident.write(lambda s: s.delete(ec2_get(s, uid, call.params["access"])))
        return Reply(204)

    # --- application credentials -------------------------------------------
    apps = "/v3/users/{user_id}/application_credentials"

    def app_view(s: Session, c: cm.ApplicationCredential, base: str) -> dict[str, Any]:
        roles = s.scalars(sa.select(m.Role).where(m.Role.id.in_(c.role_ids or [])))
        rules = s.scalars(sa.select(cm.AccessRule).where(
            cm.AccessRule.id.in_(c.access_rule_ids or [])))
        return {"id": c.id, "name": c.name, "description": c.description,
                "user_id": c.user_id, "project_id": c.project_id, "system": c.system,
                "expires_at": c.expires_at.isoformat() if c.expires_at else None,
                "unrestricted": c.unrestricted,
                "roles": [{"id": x.id, "name": x.name, "domain_id": None} for x in roles],
                "access_rules": [{"id": x.id, "service": x.service, "path": x.path,
                                  "method": x.method} for x in rules],
                "links": {"self": f"{base}/application_credentials/{c.id}"}}

    def app_owner(call: Call, rule: str = "identity:owner_or_reader") -> str:
        uid = call.params["user_id"]
        ident.enforce(call, rule, {"user_id": uid})
        return uid

    @r.post(apps)
    def create_app(call: Call) -> Reply:
        uid = call.params["user_id"]
        if uid != call.ctx.user_id:
            raise Forbidden("Application credentials can only be created for yourself.")
        body = schemas.validate(schemas.APP_CREDENTIAL_CREATE, call.body("application_credential"))
        if call.ctx.app_cred_id or call.ctx.trust_id:
            def restricted(s: Session) -> bool:
                c = s.get(cm.ApplicationCredential, call.ctx.app_cred_id)
                return c is None or not c.unrestricted
            if call.ctx.trust_id or ident.read(restricted):
                raise Forbidden("A restricted application credential cannot create another.")
        if not call.ctx.project_id and not call.ctx.system_scope:
            raise Forbidden("Application credentials need a project-scoped token.")
        expires = parse_time(body.get("expires_at"), "expires_at")
        secret = body.get("secret") or base64.urlsafe_b64encode(os.urandom(48)).decode().rstrip("=")
        secret_hash = hash_secret(secret, min(ident.settings.password_hash_rounds, 10))

        def work(s: Session) -> dict:
            held = {rid: name for rid, name in zip(call.ctx.role_ids, call.ctx.roles)}
            wanted = body.get("roles")
            if wanted:
                role_ids = []
                for ref in wanted:
                    match = [rid for rid, name in held.items()
                             if rid == ref.get("id") or name == ref.get("name")]
                    if not match:
                        raise Forbidden("Application credentials may only carry roles that "
                                        "the user holds on the project.")
                    role_ids.append(match[0])
            else:
                role_ids = list(held)
            if s.scalar(sa.select(cm.ApplicationCredential.id).where(
                    cm.ApplicationCredential.user_id == uid,
                    cm.ApplicationCredential.name == body["name"])):
                raise conflict("application credential",
                               f"Duplicate entry found with name {body['name']}")
            rule_ids = []
            for rule in body.get("access_rules") or []:
                existing = None
                if rule.get("id"):
                    existing = s.get(cm.AccessRule, rule["id"])
                    if existing is None or existing.user_id != uid:
                        raise not_found("access rule", rule["id"])
                else:
                    existing = s.scalar(sa.select(cm.AccessRule).where(
                        cm.AccessRule.user_id == uid, cm.AccessRule.service == rule.get("service"),
                        cm.AccessRule.path == rule.get("path"),
                        cm.AccessRule.method == rule.get("method")))
                    if existing is None:
                        existing = cm.AccessRule(id=new_id(), user_id=uid,
                                                 service=rule.get("service", ""),
                                                 path=rule.get("path", ""),
                                                 method=rule.get("method", ""))
                        s.add(existing)
                rule_ids.append(existing.id)
            c = cm.ApplicationCredential(
                id=new_id(), name=body["name"], user_id=uid,
                project_id=call.ctx.project_id or None, description=body.get("description"),
                secret_hash=secret_hash, expires_at=expires,
                unrestricted=bool(body.get("unrestricted")),
                system=body.get("system") or ("all" if call.ctx.system_scope else None),
                role_ids=role_ids, access_rule_ids=rule_ids, created_at=utcnow())
            s.add(c)
            s.flush()
            view = app_view(s, c, v3(call))
            view["secret"] = secret
            return view
        return Reply(201, {"application_credential": ident.write(work)})

    @r.get(apps)
    def list_apps(call: Call) -> Reply:
        uid = app_owner(call)

        def work(s: Session) -> list[dict]:
            q = sa.select(cm.ApplicationCredential).where(
                cm.ApplicationCredential.user_id == uid)
            if call.q("name") is not None:
                q = q.where(cm.ApplicationCredential.name == call.q("name"))
            return [app_view(s, c, v3(call)) for c in s.scalars(q)]
        return Reply(200, views.collection("application_credentials", ident.read(work),
                                           self_url(call)))

    def app_get(s: Session, uid: str, cid: str) -> cm.ApplicationCredential:
        c = s.get(cm.ApplicationCredential, cid)
        if c is None or c.user_id != uid:
            raise not_found("application credential", cid)
        return c

    @r.get(apps + "/{cred_id}")
    def show_app(call: Call) -> Reply:
        uid = app_owner(call)
        return Reply(200, {"application_credential": ident.read(
            lambda s: app_view(s, app_get(s, uid, call.params["cred_id"]), v3(call)))})

    @r.delete(apps + "/{cred_id}")
    def delete_app(call: Call) -> Reply:
        uid = app_owner(call, "identity:owner_or_admin")

        def work(s: Session) -> None:
            c = app_get(s, uid, call.params["cred_id"])
            s.delete(c)
            store.revoke(s, app_cred_id=c.id)
        ident.write(work)
        return Reply(204)

    # --- access rules -------------------------------------------------------
    rules = "/v3/users/{user_id}/access_rules"

    def rule_view(x: cm.AccessRule, base: str) -> dict[str, Any]:
        return {"id": x.id, "service": x.service, "path": x.path, "method": x.method,
                "links": {"self": f"{base}/access_rules/{x.id}"}}

    @r.get(rules)
    def list_rules(call: Call) -> Reply:
        uid = app_owner(call)
        items = ident.read(lambda s: [rule_view(x, v3(call)) for x in s.scalars(
            sa.select(cm.AccessRule).where(cm.AccessRule.user_id == uid))])
        return Reply(200, views.collection("access_rules", items, self_url(call)))

    def rule_get(s: Session, uid: str, rid: str) -> cm.AccessRule:
        x = s.get(cm.AccessRule, rid)
        if x is None or x.user_id != uid:
            raise not_found("access rule", rid)
        return x

    @r.get(rules + "/{rule_id}")
    def show_rule(call: Call) -> Reply:
        uid = app_owner(call)
        return Reply(200, {"access_rule": ident.read(
            lambda s: rule_view(rule_get(s, uid, call.params["rule_id"]), v3(call)))})

    @r.delete(rules + "/{rule_id}")
    def delete_rule(call: Call) -> Reply:
        uid = app_owner(call, "identity:owner_or_admin")

        def work(s: Session) -> None:
            x = rule_get(s, uid, call.params["rule_id"])
            for c in s.scalars(sa.select(cm.ApplicationCredential).where(
                    cm.ApplicationCredential.user_id == uid)):
                if x.id in (c.access_rule_ids or []):
                    raise Forbidden("The access rule is in use by an application credential.")
            s.delete(x)
        ident.write(work)
        return Reply(204)

    return r

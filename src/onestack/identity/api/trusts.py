"""Trusts (OS-TRUST): a trustor delegates some of its roles on a project to a trustee."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.db import new_id, utcnow
from onestack.core.errors import Forbidden, NotFound, not_found
from onestack.core.http import Call, Reply, RouteTable
from onestack.identity import catalog_models as cm
from onestack.identity import models as m
from onestack.identity import schemas, views
from onestack.identity.api.common import Identity, self_url, v3
from onestack.identity.api.credentials import parse_time
from onestack.identity.service import assignments, store

BASE = "/v3/OS-TRUST/trusts"


def trust_view(s: Session, t: cm.Trust, base: str) -> dict[str, Any]:
    roles = list(s.scalars(sa.select(m.Role).where(m.Role.id.in_(t.role_ids or []))))
    body = dict(t.extra or {})
    body.update({
        "id": t.id, "trustor_user_id": t.trustor_user_id, "trustee_user_id": t.trustee_user_id,
        "project_id": t.project_id, "impersonation": t.impersonation,
        "expires_at": views.iso(t.expires_at), "remaining_uses": t.remaining_uses,
        "allow_redelegation": t.allow_redelegation,
        "roles": [views.role(x, base) for x in roles],
        "roles_links": {"self": f"{base}/OS-TRUST/trusts/{t.id}/roles", "previous": None,
                        "next": None},
        "links": {"self": f"{base}/OS-TRUST/trusts/{t.id}"}})
    if t.allow_redelegation:
        body["redelegation_count"] = t.redelegation_count
    return body


def routes(ident: Identity) -> RouteTable:
    r = RouteTable()

    @r.post(BASE)
    def create(call: Call) -> Reply:
        body = schemas.validate(schemas.TRUST_CREATE, call.body("trust"))
        if body["trustor_user_id"] != call.ctx.user_id:
            raise Forbidden("The authenticated user should match the trustor.")
        expires = parse_time(body.get("expires_at"), "expires_at")

        def work(s: Session) -> dict:
            store.get_user(s, body["trustee_user_id"])
            project_id = body.get("project_id")
            role_ids: list[str] = []
            if project_id:
                store.get_project(s, project_id)
                held = assignments.effective_roles(s, call.ctx.user_id, "project", project_id)
                for ref in body.get("roles") or []:
                    match = [x.id for x in held
                             if x.id == ref.get("id") or x.name == ref.get("name")]
                    if not match:
                        raise Forbidden("The trustor does not hold the requested role on the "
                                        "project.")
                    role_ids.append(match[0])
            t = cm.Trust(id=new_id(), trustor_user_id=body["trustor_user_id"],
                         trustee_user_id=body["trustee_user_id"], project_id=project_id,
                         impersonation=body["impersonation"], expires_at=expires,
                         remaining_uses=body.get("remaining_uses"),
                         allow_redelegation=bool(body.get("allow_redelegation")),
                         redelegation_count=body.get("redelegation_count"), role_ids=role_ids,
                         extra={})
            s.add(t)
            s.flush()
            return trust_view(s, t, v3(call))
        return Reply(201, {"trust": ident.write(work)})

    @r.get(BASE)
    def list_(call: Call) -> Reply:
        trustor, trustee = call.q("trustor_user_id"), call.q("trustee_user_id")
        admin = ident.allowed(call, "identity:read_admin_resource")
        if not admin:
            if not trustor and not trustee:
                raise Forbidden("Listing all trusts requires admin rights.")
            if (trustor and trustor != call.ctx.user_id) or \
                    (trustee and trustee != call.ctx.user_id):
                raise Forbidden("You may only list your own trusts.")

        def work(s: Session) -> list[dict]:
            q = sa.select(cm.Trust)
            if trustor:
                q = q.where(cm.Trust.trustor_user_id == trustor)
            if trustee:
                q = q.where(cm.Trust.trustee_user_id == trustee)
            now = utcnow()
            return [trust_view(s, t, v3(call)) for t in s.scalars(q)
                    if not t.expires_at or t.expires_at > now]
        return Reply(200, views.collection("trusts", ident.read(work), self_url(call)))

    def get(s: Session, call: Call) -> cm.Trust:
        t = s.get(cm.Trust, call.params["trust_id"])
        if t is None or (t.expires_at and t.expires_at <= utcnow()):
            raise not_found("trust", call.params["trust_id"])
        if call.ctx.user_id not in (t.trustor_user_id, t.trustee_user_id) and \
                not ident.allowed(call, "identity:read_admin_resource"):
            raise Forbidden()
        return t

    @r.get(BASE + "/{trust_id}")
    def show(call: Call) -> Reply:
        return Reply(200, {"trust": ident.read(lambda s: trust_view(s, get(s, call), v3(call)))})

    @r.delete(BASE + "/{trust_id}")
    def delete(call: Call) -> Reply:
        def work(s: Session) -> None:
            t = s.get(cm.Trust, call.params["trust_id"])
            if t is None:
                raise not_found("trust", call.params["trust_id"])
            if call.ctx.user_id != t.trustor_user_id and not ident.allowed(
                    call, "identity:manage_admin_resource"):
                raise Forbidden()
            s.delete(t)
            store.revoke(s, trust_id=t.id)
        ident.write(work)
        return Reply(204)

    @r.get(BASE + "/{trust_id}/roles")
    def roles(call: Call) -> Reply:
        def work(s: Session) -> list[dict]:
            t = get(s, call)
            return [views.role(x, v3(call)) for x in s.scalars(
                sa.select(m.Role).where(m.Role.id.in_(t.role_ids or [])))]
        return Reply(200, views.collection("roles", ident.read(work), self_url(call)))

    @r.get(BASE + "/{trust_id}/roles/{role_id}")
    def role(call: Call) -> Reply:
        def work(s: Session) -> dict:
            t = get(s, call)
            if call.params["role_id"] not in (t.role_ids or []):
                raise NotFound(f"Could not find role: {call.params['role_id']}.")
            return views.role(store.get_role(s, call.params["role_id"]), v3(call))
        return Reply(200, {"role": ident.read(work)})

    return r

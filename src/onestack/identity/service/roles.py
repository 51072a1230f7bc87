"""Roles (global or domain-specific) and implied roles. No role may imply ``admin``, or
granting any role could grant admin (Keystone's default)."""
from __future__ import annotations

from typing import Any, Mapping

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.context import RequestContext
from onestack.core.db import new_id
from onestack.core.errors import BadRequest, Forbidden, conflict, not_found
from onestack.identity import models as m
from onestack.identity import views
from onestack.identity.service import assignments as asg
from onestack.identity.service import store
from onestack.identity.service.attrs import apply_extra
from onestack.identity.service.container import Identity
from onestack.identity.service.filters import text_filters

ROLE_COLUMNS = {"name", "description", "options"}
PROHIBITED_IMPLIED = {"admin"}
READ, WRITE = "identity:get_role", "identity:manage_role"


def _name_taken(s: Session, name: str, domain_id: str, exclude: str = "") -> bool:
    return bool(s.scalar(sa.select(m.Role.id).where(
        m.Role.name == name, m.Role.domain_id == domain_id, m.Role.id != exclude)))


def create(ident: Identity, ctx: RequestContext, body: dict[str, Any], base: str) -> dict:
    ident.check(ctx, WRITE)

    def work(s: Session) -> dict:
        domain_id = body.get("domain_id") or m.GLOBAL_ROLE
        if domain_id != m.GLOBAL_ROLE:
            store.get_domain(s, domain_id)
        if _name_taken(s, body["name"], domain_id):
            raise conflict("role", f"Duplicate entry found with name {body['name']}")
        role = m.Role(id=new_id(), domain_id=domain_id, extra={}, options={})
        apply_extra(role, {k: v for k, v in body.items() if k != "domain_id"}, ROLE_COLUMNS)
        s.add(role)
        return views.role(role, base)
    return ident.write(work)


def list_(ident: Identity, ctx: RequestContext, query: Mapping[str, str], base: str
          ) -> list[dict]:
    ident.check(ctx, "identity:list_roles")

    def work(s: Session) -> list[dict]:
        q = sa.select(m.Role).where(m.Role.domain_id == (query.get("domain_id")
                                                         or m.GLOBAL_ROLE))
        if query.get("name") is not None:
            q = q.where(m.Role.name == query["name"])
        q = text_filters(s, q, query, {"name": m.Role.name})
        return [views.role(x, base) for x in s.scalars(q.order_by(m.Role.name))]
    return ident.read(work)


def show(ident: Identity, ctx: RequestContext, role_id: str, base: str) -> dict:
    def work(s: Session) -> dict:
        role = store.get_role(s, role_id)
        ident.check(ctx, READ, {"role": {"id": role.id, "name": role.name}})
        return views.role(role, base)
    return ident.read(work)


def update(ident: Identity, ctx: RequestContext, role_id: str, body: dict[str, Any],
           base: str) -> dict:
    ident.check(ctx, WRITE)

    def work(s: Session) -> dict:
        role = store.get_role(s, role_id)
        if "domain_id" in body and (body["domain_id"] or m.GLOBAL_ROLE) != role.domain_id:
            raise BadRequest("Update of `domain_id` is not allowed.")
        if "name" in body and _name_taken(s, body["name"], role.domain_id, role.id):
            raise conflict("role", f"Duplicate entry found with name {body['name']}")
        apply_extra(role, {k: v for k, v in body.items() if k != "domain_id"}, ROLE_COLUMNS)
        store.bump_generation(s)
        return views.role(role, base)
    return ident.write(work)


def delete(ident: Identity, ctx: RequestContext, role_id: str) -> None:
    ident.check(ctx, WRITE)

    def work(s: Session) -> None:
        role = store.get_role(s, role_id)
        if (role.options or {}).get("immutable"):
            raise Forbidden(f"Role {role.id} is immutable.")
        s.execute(sa.delete(m.Assignment).where(m.Assignment.role_id == role.id))
        s.execute(sa.delete(m.ImpliedRole).where(sa.or_(
            m.ImpliedRole.prior_role_id == role.id, m.ImpliedRole.implied_role_id == role.id)))
        s.delete(role)
        store.bump_generation(s)
    ident.write(work)


# --- implied roles ----------------------------------------------------------------------
def _inference(prior: m.Role, implied: m.Role, base: str) -> dict[str, Any]:
    return {"prior_role": views.role_ref(prior, base), "implies": views.role_ref(implied, base)}


def create_implied(ident: Identity, ctx: RequestContext, prior_id: str, implied_id: str,
                   base: str) -> dict:
    ident.check(ctx, WRITE)

    def work(s: Session) -> dict:
        prior = store.get_role(s, prior_id)
        implied = store.get_role(s, implied_id)
        if implied.domain_id != m.GLOBAL_ROLE and prior.domain_id == m.GLOBAL_ROLE:
            raise Forbidden("A global role cannot imply a domain-specific role.")
        if prior.id in asg.implied_closure(s, {implied.id}):
            raise Forbidden("Implied roles may not form a cycle.")
        if implied.name in PROHIBITED_IMPLIED:
            raise Forbidden(f"{implied.name} is not a permitted implied role.")
        if s.get(m.ImpliedRole, (prior.id, implied.id)) is None:
            s.add(m.ImpliedRole(prior_role_id=prior.id, implied_role_id=implied.id))
        store.bump_generation(s)
        return _inference(prior, implied, base)
    return ident.write(work)


def show_implied(ident: Identity, ctx: RequestContext, prior_id: str, implied_id: str,
                 base: str) -> dict:
    ident.check(ctx, "identity:get_implied_role")

    def work(s: Session) -> dict:
        prior = store.get_role(s, prior_id)
        implied = store.get_role(s, implied_id)
        if s.get(m.ImpliedRole, (prior.id, implied.id)) is None:
            raise not_found("implied role", f"{prior.id} implies {implied.id}")
        return _inference(prior, implied, base)
    return ident.read(work)


def delete_implied(ident: Identity, ctx: RequestContext, prior_id: str,
                   implied_id: str) -> None:
    ident.check(ctx, WRITE)

    def work(s: Session) -> None:
        row = s.get(m.ImpliedRole, (prior_id, implied_id))
        if row is None:
            raise not_found("implied role", implied_id)
        s.delete(row)
        store.bump_generation(s)
    ident.write(work)


def list_implied(ident: Identity, ctx: RequestContext, prior_id: str, base: str) -> dict:
    ident.check(ctx, "identity:list_implied_roles")

    def work(s: Session) -> dict:
        prior = store.get_role(s, prior_id)
        implied = s.scalars(sa.select(m.Role).join(
            m.ImpliedRole, m.ImpliedRole.implied_role_id == m.Role.id).where(
            m.ImpliedRole.prior_role_id == prior.id))
        return {"prior_role": views.role_ref(prior, base),
                "implies": [views.role_ref(x, base) for x in implied]}
    return ident.read(work)


def list_inferences(ident: Identity, ctx: RequestContext, base: str) -> list[dict]:
    ident.check(ctx, "identity:list_role_inference_rules")

    def work(s: Session) -> list[dict]:
        rules = list(s.scalars(sa.select(m.ImpliedRole)))
        roles = {x.id: x for x in s.scalars(sa.select(m.Role))}
        out: dict[str, dict] = {}
        for rule in rules:
            prior = roles[rule.prior_role_id]
            entry = out.setdefault(prior.id, {"prior_role": views.role_ref(prior, base),
                                              "implies": []})
            entry["implies"].append(views.role_ref(roles[rule.implied_role_id], base))
        return list(out.values())
    return ident.read(work)

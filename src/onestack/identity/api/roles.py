"""Roles (global and domain-specific), implied roles, grants and role assignment listing."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.db import new_id
from onestack.core.errors import BadRequest, Forbidden, NotFound, conflict, not_found
from onestack.core.http import Call, Reply, RouteTable
from onestack.identity import models as m
from onestack.identity import schemas, views
from onestack.identity.api.common import Identity, apply_extra, bool_query, self_url, v3
from onestack.identity.service import assignments as asg
from onestack.identity.service import store
from onestack.identity.service.role_listing import list_assignments

ROLE_COLUMNS = {"name", "description", "options"}
# As Keystone's default: nothing may imply admin, or granting any role could grant admin.
PROHIBITED_IMPLIED = {"admin"}


def routes(ident: Identity) -> RouteTable:
    r = RouteTable()

    @r.post("/v3/roles")
    def create_role(call: Call) -> Reply:
        body = schemas.validate(schemas.ROLE_CREATE, call.body("role"))
        ident.enforce(call, "identity:manage_role")

        def work(s: Session) -> dict:
            domain_id = body.get("domain_id") or m.GLOBAL_ROLE
            if domain_id != m.GLOBAL_ROLE:
                store.get_domain(s, domain_id)
            if s.scalar(sa.select(m.Role.id).where(m.Role.name == body["name"],
                                                   m.Role.domain_id == domain_id)):
                raise conflict("role", f"Duplicate entry found with name {body['name']}")
            role = m.Role(id=new_id(), domain_id=domain_id, extra={}, options={})
            apply_extra(role, {k: v for k, v in body.items() if k != "domain_id"}, ROLE_COLUMNS)
            s.add(role)
            return views.role(role, v3(call))
        return Reply(201, {"role": ident.write(work)})

    @r.get("/v3/roles")
    def list_roles(call: Call) -> Reply:
        ident.enforce(call, "identity:list_roles")

        def work(s: Session) -> list[dict]:
            q = sa.select(m.Role).where(m.Role.domain_id == (call.q("domain_id") or m.GLOBAL_ROLE))
            if call.q("name") is not None:
                q = q.where(m.Role.name == call.q("name"))
            return [views.role(x, v3(call)) for x in s.scalars(q.order_by(m.Role.name))]
        return Reply(200, views.collection("roles", ident.read(work), self_url(call)))

    @r.get("/v3/roles/{role_id}")
    def show_role(call: Call) -> Reply:
        ident.enforce(call, "identity:get_role")
        return Reply(200, {"role": ident.read(
            lambda s: views.role(store.get_role(s, call.params["role_id"]), v3(call)))})

    @r.patch("/v3/roles/{role_id}")
    def update_role(call: Call) -> Reply:
        body = schemas.validate(schemas.ROLE_UPDATE, call.body("role"))
        ident.enforce(call, "identity:manage_role")

        def work(s: Session) -> dict:
            role = store.get_role(s, call.params["role_id"])
            if "domain_id" in body and (body["domain_id"] or m.GLOBAL_ROLE) != role.domain_id:
                raise BadRequest("Update of `domain_id` is not allowed.")
            if "name" in body and s.scalar(sa.select(m.Role.id).where(
                    m.Role.name == body["name"], m.Role.domain_id == role.domain_id,
                    m.Role.id != role.id)):
                raise conflict("role", f"Duplicate entry found with name {body['name']}")
            apply_extra(role, {k: v for k, v in body.items() if k != "domain_id"}, ROLE_COLUMNS)
            store.bump_generation(s)
            return views.role(role, v3(call))
        return Reply(200, {"role": ident.write(work)})

    @r.delete("/v3/roles/{role_id}")
    def delete_role(call: Call) -> Reply:
        ident.enforce(call, "identity:manage_role")

        def work(s: Session) -> None:
            role = store.get_role(s, call.params["role_id"])
            if (role.options or {}).get("immutable"):
                raise Forbidden(f"Role {role.id} is immutable.")
            s.execute(sa.delete(m.Assignment).where(m.Assignment.role_id == role.id))
            s.execute(sa.delete(m.ImpliedRole).where(sa.or_(
                m.ImpliedRole.prior_role_id == role.id, m.ImpliedRole.implied_role_id == role.id)))
            s.delete(role)
            store.bump_generation(s)
        ident.write(work)
        return Reply(204)

    # --- implied roles ------------------------------------------------------
    def inference(s: Session, prior: m.Role, implied: m.Role, base: str) -> dict[str, Any]:
        return {"prior_role": views.role_ref(prior, base),
                "implies": views.role_ref(implied, base)}

    @r.put("/v3/roles/{prior}/implies/{implied}")
    def create_implied(call: Call) -> Reply:
        ident.enforce(call, "identity:manage_role")

        def work(s: Session) -> dict:
            prior = store.get_role(s, call.params["prior"])
            implied = store.get_role(s, call.params["implied"])
            if implied.domain_id != m.GLOBAL_ROLE and prior.domain_id == m.GLOBAL_ROLE:
                raise Forbidden("A global role cannot imply a domain-specific role.")
            if prior.id in asg.implied_closure(s, {implied.id}):
                raise Forbidden("Implied roles may not form a cycle.")
            if implied.name in PROHIBITED_IMPLIED:
                raise Forbidden(f"{implied.name} is not a permitted implied role.")
            if s.get(m.ImpliedRole, (prior.id, implied.id)) is None:
                s.add(m.ImpliedRole(prior_role_id=prior.id, implied_role_id=implied.id))
            store.bump_generation(s)
            return inference(s, prior, implied, v3(call))
        return Reply(201, {"role_inference": ident.write(work)})

    @r.get("/v3/roles/{prior}/implies/{implied}")
    @r.head("/v3/roles/{prior}/implies/{implied}")
    def show_implied(call: Call) -> Reply:
        ident.enforce(call, "identity:get_role")

        def work(s: Session) -> dict:
            prior = store.get_role(s, call.params["prior"])
            implied = store.get_role(s, call.params["implied"])
            if s.get(m.ImpliedRole, (prior.id, implied.id)) is None:
                raise not_found("implied role", f"{prior.id} implies {implied.id}")
            return inference(s, prior, implied, v3(call))
        body = ident.read(work)
        if call.method == "HEAD":
            return Reply(204)
        return Reply(200, {"role_inference": body})

    @r.delete("/v3/roles/{prior}/implies/{implied}")
    def delete_implied(call: Call) -> Reply:
        ident.enforce(call, "identity:manage_role")

        def work(s: Session) -> None:
            row = s.get(m.ImpliedRole, (call.params["prior"], call.params["implied"]))
            if row is None:
                raise not_found("implied role", call.params["implied"])
            s.delete(row)
            store.bump_generation(s)
        ident.write(work)
        return Reply(204)

    @r.get("/v3/roles/{prior}/implies")
    def list_implied(call: Call) -> Reply:
        ident.enforce(call, "identity:get_role")

        def work(s: Session) -> dict:
            prior = store.get_role(s, call.params["prior"])
            implied = s.scalars(sa.select(m.Role).join(
                m.ImpliedRole, m.ImpliedRole.implied_role_id == m.Role.id).where(
                m.ImpliedRole.prior_role_id == prior.id))
            return {"prior_role": views.role_ref(prior, v3(call)),
                    "implies": [views.role_ref(x, v3(call)) for x in implied]}
        return Reply(200, {"role_inference": ident.read(work),
                           "links": {"self": self_url(call)}})

    @r.get("/v3/role_inferences")
    def list_inferences(call: Call) -> Reply:
        ident.enforce(call, "identity:get_role")

        def work(s: Session) -> list[dict]:
            rules = list(s.scalars(sa.select(m.ImpliedRole)))
            roles = {x.id: x for x in s.scalars(sa.select(m.Role))}
            out: dict[str, dict] = {}
            for rule in rules:
                prior = roles[rule.prior_role_id]
                entry = out.setdefault(prior.id, {"prior_role": views.role_ref(prior, v3(call)),
                                                  "implies": []})
                entry["implies"].append(views.role_ref(roles[rule.implied_role_id], v3(call)))
            return list(out.values())
        return Reply(200, {"role_inferences": ident.read(work),
                           "links": {"self": self_url(call)}})

    # --- grants -------------------------------------------------------------
    def grant_refs(call: Call, s: Session, target: str, actor: str) -> tuple[str, str, str]:
        tid = call.params.get("target_id", "all")
        aid = call.params["actor_id"]
        if target == "project":
            store.get_project(s, tid)
        elif target == "domain":
            store.get_domain(s, tid)
        if actor == "user":
            store.get_user(s, aid)
        else:
            store.get_group(s, aid)
        role_id = call.params["role_id"]
        role = store.get_role(s, role_id)
        if role.domain_id != m.GLOBAL_ROLE and target == "project":
            project = s.get(m.Project, tid)
            if project.domain_id != role.domain_id:
                raise Forbidden("Domain-specific roles may only be granted within their domain.")
        return asg.kind_for(actor, target), aid, tid

    def grant_routes(prefix: str, target: str, actor: str, inherited: bool) -> None:
        path = f"{prefix}/{{role_id}}" + ("/inherited_to_projects" if inherited else "")

        def put(call: Call) -> Reply:
            ident.enforce(call, "identity:manage_grants")

            def work(s: Session) -> None:
                kind, aid, tid = grant_refs(call, s, target, actor)
                asg.grant(s, kind, aid, tid, call.params["role_id"], inherited)
            ident.write(work)
            return Reply(204)

        def check(call: Call) -> Reply:
            ident.enforce(call, "identity:list_grants")

            def work(s: Session) -> None:
                kind, aid, tid = grant_refs(call, s, target, actor)
                if not asg.has_grant(s, kind, aid, tid, call.params["role_id"], inherited):
                    raise NotFound(f"Could not find role assignment with role: "
                                   f"{call.params['role_id']}.")
            ident.read(work)
            return Reply(204)

        def delete(call: Call) -> Reply:
            ident.enforce(call, "identity:manage_grants")

            def work(s: Session) -> None:
                kind, aid, tid = grant_refs(call, s, target, actor)
                if not asg.ungrant(s, kind, aid, tid, call.params["role_id"], inherited):
                    raise NotFound(f"Could not find role assignment with role: "
                                   f"{call.params['role_id']}.")
            ident.write(work)
            return Reply(204)

        r.add("PUT", path, put)
        r.add("GET", path, check)
        r.add("HEAD", path, check)
        r.add("DELETE", path, delete)
        list_path = prefix + ("/inherited_to_projects" if inherited else "")

        def list_(call: Call) -> Reply:
            ident.enforce(call, "identity:list_grants")

            def work(s: Session) -> list[dict]:
                tid = call.params.get("target_id", "all")
                aid = call.params["actor_id"]
                if target == "project":
                    store.get_project(s, tid)
                elif target == "domain":
                    store.get_domain(s, tid)
                (store.get_user if actor == "user" else store.get_group)(s, aid)
                rows = s.scalars(sa.select(m.Role).join(
                    m.Assignment, m.Assignment.role_id == m.Role.id).where(
                    m.Assignment.kind == asg.kind_for(actor, target),
                    m.Assignment.actor_id == aid, m.Assignment.target_id == tid,
                    m.Assignment.inherited.is_(inherited)).order_by(m.Role.name))
                return [views.role(x, v3(call)) for x in rows]
            return Reply(200, views.collection("roles", ident.read(work), self_url(call)))

        r.add("GET", list_path, list_)

    for target in ("project", "domain"):
        for actor in ("user", "group"):
            grant_routes(f"/v3/{target}s/{{target_id}}/{actor}s/{{actor_id}}/roles",
                         target, actor, False)
            grant_routes(f"/v3/OS-INHERIT/{target}s/{{target_id}}/{actor}s/{{actor_id}}/roles",
                         target, actor, True)
    for actor in ("user", "group"):
        grant_routes(f"/v3/system/{actor}s/{{actor_id}}/roles", "system", actor, False)

    @r.get("/v3/role_assignments")
    def role_assignments(call: Call) -> Reply:
        ident.enforce(call, "identity:list_role_assignments",
                      {"domain_id": call.q("scope.domain.id") or call.ctx.domain_id or None})
        domain = None
        if not ident.allowed(call, "identity:read_admin_resource"):
            domain = call.ctx.domain_id  # a domain reader sees its own domain only
        items = ident.read(lambda s: list_assignments(s, call.query, v3(call), domain))
        return Reply(200, views.collection("role_assignments", items, self_url(call)))

    return r

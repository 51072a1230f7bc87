"""Users (with password rules), groups and group membership."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.db import new_id, utcnow
from onestack.core.errors import BadRequest, Unauthorized, conflict, not_found
from onestack.core.http import Call, Reply, RouteTable
from onestack.identity import models as m
from onestack.identity import schemas, views
from onestack.identity.api.common import Identity, apply_extra, bool_query, self_url, v3
from onestack.identity.passwords import check_secret, hash_secret
from onestack.identity.service import assignments, store

USER_COLUMNS = {"name", "enabled", "default_project_id", "description", "options"}
GROUP_COLUMNS = {"name", "description"}


def routes(ident: Identity) -> RouteTable:
    r = RouteTable()
    sc = ident.settings.security_compliance

    def hash_pw(pw: str) -> str:
        return hash_secret(pw, ident.settings.password_hash_rounds)

    def set_password(s: Session, u: m.User, password: str | None, pw_hash: str | None,
                     self_service: bool) -> None:
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

    def user_target(u: m.User) -> dict[str, Any]:
        return {"user": {"id": u.id, "domain_id": u.domain_id}}

    @r.post("/v3/users")
    def create_user(call: Call) -> Reply:
        body = schemas.validate(schemas.USER_CREATE, call.body("user"))
        domain_id = body.get("domain_id") or call.ctx.domain_id or \
            call.ctx.project_domain_id or "default"
        ident.enforce(call, "identity:manage_user", {"user": {"domain_id": domain_id}})
        pw_hash = hash_pw(body["password"]) if body.get("password") else None

        def work(s: Session) -> dict:
            store.get_domain(s, domain_id)
            if s.scalar(sa.select(m.User.id).where(m.User.domain_id == domain_id,
                                                   m.User.name == body["name"])):
                raise conflict("user", f"Duplicate entry found with name {body['name']} at "
                               f"domain ID {domain_id}")
            u = m.User(id=new_id(), domain_id=domain_id, enabled=True, extra={}, options={},
                       failed_auth_count=0, created_at=utcnow())
            apply_extra(u, {k: v for k, v in body.items() if k not in ("password", "domain_id")},
                        USER_COLUMNS)
            s.add(u)
            s.flush()
            if pw_hash:
                set_password(s, u, body["password"], pw_hash, self_service=False)
            store.bump_generation(s)
            return views.user(u, v3(call))
        return Reply(201, {"user": ident.write(work)})

    @r.get("/v3/users")
    def list_users(call: Call) -> Reply:
        ident.enforce(call, "identity:list_users", {"domain_id": call.q("domain_id") or
                                                    call.ctx.domain_id or None})

        scoped_domain = None
        if not ident.allowed(call, "identity:read_admin_resource"):
            scoped_domain = call.ctx.domain_id  # a domain reader sees its own domain only

        def work(s: Session) -> list[dict]:
            q = sa.select(m.User)
            if scoped_domain:
                q = q.where(m.User.domain_id == scoped_domain)
            for name in ("name", "domain_id"):
                if call.q(name) is not None:
                    q = q.where(getattr(m.User, name) == call.q(name))
            enabled = bool_query(call, "enabled")
            if enabled is not None:
                q = q.where(m.User.enabled.is_(enabled))
            if call.q("password_expires_at"):
                pass  # accepted; comparison operators are not supported yet
            return [views.user(u, v3(call)) for u in s.scalars(q.order_by(m.User.name))]
        return Reply(200, views.collection("users", ident.read(work), self_url(call)))

    @r.get("/v3/users/{user_id}")
    def show_user(call: Call) -> Reply:
        def work(s: Session) -> dict:
            u = store.get_user(s, call.params["user_id"])
            ident.enforce(call, "identity:get_user", user_target(u))
            return views.user(u, v3(call))
        return Reply(200, {"user": ident.read(work)})

    @r.patch("/v3/users/{user_id}")
    def update_user(call: Call) -> Reply:
        body = schemas.validate(schemas.USER_UPDATE, call.body("user"))
        pw_hash = hash_pw(body["password"]) if body.get("password") else None

        def work(s: Session) -> dict:
            u = store.get_user(s, call.params["user_id"])
            ident.enforce(call, "identity:manage_user", user_target(u))
            if "domain_id" in body and body["domain_id"] != u.domain_id:
                raise BadRequest("Update of `domain_id` is not allowed.")
            if "name" in body and s.scalar(sa.select(m.User.id).where(
                    m.User.domain_id == u.domain_id, m.User.name == body["name"],
                    m.User.id != u.id)):
                raise conflict("user", f"Duplicate entry found with name {body['name']}")
            was_enabled = u.enabled
            apply_extra(u, {k: v for k, v in body.items() if k not in ("password", "domain_id")},
                        USER_COLUMNS)
            if "password" in body:
                set_password(s, u, body["password"], pw_hash, self_service=False)
                store.revoke(s, user_id=u.id)
            if was_enabled and not u.enabled:
                store.revoke(s, user_id=u.id)
            store.bump_generation(s)
            return views.user(u, v3(call))
        return Reply(200, {"user": ident.write(work)})

    @r.delete("/v3/users/{user_id}")
    def delete_user(call: Call) -> Reply:
        def work(s: Session) -> None:
            u = store.get_user(s, call.params["user_id"])
            ident.enforce(call, "identity:manage_user", user_target(u))
            s.execute(sa.delete(m.Assignment).where(m.Assignment.actor_id == u.id))
            s.execute(sa.delete(m.Membership).where(m.Membership.user_id == u.id))
            s.execute(sa.delete(m.PasswordHistory).where(m.PasswordHistory.user_id == u.id))
            s.delete(u)
            store.revoke(s, user_id=u.id)
        ident.write(work)
        return Reply(204)

    @r.post("/v3/users/{user_id}/password", auth=False)
    def change_password(call: Call) -> Reply:
        body = schemas.validate(schemas.PASSWORD_CHANGE, call.body("user"))
        uid = call.params["user_id"]
        current = ident.read(lambda s: store.get_user(s, uid))
        if not check_secret(body["original_password"], current.password_hash):
            raise Unauthorized()
        if sc.minimum_password_age and current.password_created_at and \
                current.password_created_at + timedelta(days=sc.minimum_password_age) > utcnow():
            raise BadRequest("You cannot change your password at this time due to the "
                             "minimum password age.")
        pw_hash = hash_pw(body["password"])

        def work(s: Session) -> None:
            u = store.get_user(s, uid)
            set_password(s, u, body["password"], pw_hash, self_service=True)
            store.revoke(s, user_id=u.id)
        ident.write(work)
        return Reply(204)

    @r.get("/v3/users/{user_id}/projects")
    def user_projects(call: Call) -> Reply:
        def work(s: Session) -> list[dict]:
            u = store.get_user(s, call.params["user_id"])
            ident.enforce(call, "identity:list_user_projects", user_target(u))
            ids = assignments.projects_with_roles(s, u.id)
            q = sa.select(m.Project).where(m.Project.id.in_(ids))
            enabled = bool_query(call, "enabled")
            if enabled is not None:
                q = q.where(m.Project.enabled.is_(enabled))
            if call.q("name") is not None:
                q = q.where(m.Project.name == call.q("name"))
            rows = list(s.scalars(q.order_by(m.Project.name))) if ids else []
            tags = store.tags_by_project(s, [p.id for p in rows])
            return [views.project(p, tags[p.id], v3(call)) for p in rows]
        return Reply(200, views.collection("projects", ident.read(work), self_url(call)))

    @r.get("/v3/users/{user_id}/groups")
    def user_groups(call: Call) -> Reply:
        def work(s: Session) -> list[dict]:
            u = store.get_user(s, call.params["user_id"])
            ident.enforce(call, "identity:list_groups_for_user", user_target(u))
            rows = s.scalars(sa.select(m.Group).join(
                m.Membership, m.Membership.group_id == m.Group.id).where(
                m.Membership.user_id == u.id).order_by(m.Group.name))
            return [views.group(g, v3(call)) for g in rows]
        return Reply(200, views.collection("groups", ident.read(work), self_url(call)))

    # --- groups -------------------------------------------------------------
    def group_target(g: m.Group) -> dict[str, Any]:
        return {"group": {"id": g.id, "domain_id": g.domain_id}}

    @r.post("/v3/groups")
    def create_group(call: Call) -> Reply:
        body = schemas.validate(schemas.GROUP_CREATE, call.body("group"))
        domain_id = body.get("domain_id") or call.ctx.domain_id or \
            call.ctx.project_domain_id or "default"
        ident.enforce(call, "identity:manage_group", {"group": {"domain_id": domain_id}})

        def work(s: Session) -> dict:
            store.get_domain(s, domain_id)
            if s.scalar(sa.select(m.Group.id).where(m.Group.domain_id == domain_id,
                                                    m.Group.name == body["name"])):
                raise conflict("group", f"Duplicate entry found with name {body['name']}")
            g = m.Group(id=new_id(), domain_id=domain_id, extra={})
            apply_extra(g, {k: v for k, v in body.items() if k != "domain_id"}, GROUP_COLUMNS)
            s.add(g)
            return views.group(g, v3(call))
        return Reply(201, {"group": ident.write(work)})

    @r.get("/v3/groups")
    def list_groups(call: Call) -> Reply:
        ident.enforce(call, "identity:list_groups", {"domain_id": call.q("domain_id") or
                                                     call.ctx.domain_id or None})

        scoped_domain = None
        if not ident.allowed(call, "identity:read_admin_resource"):
            scoped_domain = call.ctx.domain_id

        def work(s: Session) -> list[dict]:
            q = sa.select(m.Group)
            if scoped_domain:
                q = q.where(m.Group.domain_id == scoped_domain)
            for name in ("name", "domain_id"):
                if call.q(name) is not None:
                    q = q.where(getattr(m.Group, name) == call.q(name))
            return [views.group(g, v3(call)) for g in s.scalars(q.order_by(m.Group.name))]
        return Reply(200, views.collection("groups", ident.read(work), self_url(call)))

    @r.get("/v3/groups/{group_id}")
    def show_group(call: Call) -> Reply:
        def work(s: Session) -> dict:
            g = store.get_group(s, call.params["group_id"])
            ident.enforce(call, "identity:get_group", group_target(g))
            return views.group(g, v3(call))
        return Reply(200, {"group": ident.read(work)})

    @r.patch("/v3/groups/{group_id}")
    def update_group(call: Call) -> Reply:
        body = schemas.validate(schemas.GROUP_UPDATE, call.body("group"))

        def work(s: Session) -> dict:
            g = store.get_group(s, call.params["group_id"])
            ident.enforce(call, "identity:manage_group", group_target(g))
            if "domain_id" in body and body["domain_id"] != g.domain_id:
                raise BadRequest("Update of `domain_id` is not allowed.")
            apply_extra(g, {k: v for k, v in body.items() if k != "domain_id"}, GROUP_COLUMNS)
            return views.group(g, v3(call))
        return Reply(200, {"group": ident.write(work)})

    @r.delete("/v3/groups/{group_id}")
    def delete_group(call: Call) -> Reply:
        def work(s: Session) -> None:
            g = store.get_group(s, call.params["group_id"])
            ident.enforce(call, "identity:manage_group", group_target(g))
            s.execute(sa.delete(m.Assignment).where(m.Assignment.actor_id == g.id))
            s.execute(sa.delete(m.Membership).where(m.Membership.group_id == g.id))
            s.delete(g)
            store.bump_generation(s)
        ident.write(work)
        return Reply(204)

    @r.get("/v3/groups/{group_id}/users")
    def group_users(call: Call) -> Reply:
        def work(s: Session) -> list[dict]:
            g = store.get_group(s, call.params["group_id"])
            ident.enforce(call, "identity:get_group", group_target(g))
            rows = s.scalars(sa.select(m.User).join(
                m.Membership, m.Membership.user_id == m.User.id).where(
                m.Membership.group_id == g.id).order_by(m.User.name))
            return [views.user(u, v3(call)) for u in rows]
        return Reply(200, views.collection("users", ident.read(work), self_url(call)))

    def membership(call: Call, fn) -> Any:
        def work(s: Session) -> Any:
            g = store.get_group(s, call.params["group_id"])
            u = store.get_user(s, call.params["user_id"])
            return fn(s, g, u)
        return work

    @r.put("/v3/groups/{group_id}/users/{user_id}")
    def add_member(call: Call) -> Reply:
        def fn(s: Session, g: m.Group, u: m.User) -> None:
            ident.enforce(call, "identity:manage_group", group_target(g))
            if s.get(m.Membership, (u.id, g.id)) is None:
                s.add(m.Membership(user_id=u.id, group_id=g.id))
            store.bump_generation(s)
        ident.write(membership(call, fn))
        return Reply(204)

    @r.head("/v3/groups/{group_id}/users/{user_id}")
    @r.get("/v3/groups/{group_id}/users/{user_id}")
    def check_member(call: Call) -> Reply:
        def fn(s: Session, g: m.Group, u: m.User) -> None:
            ident.enforce(call, "identity:get_group", group_target(g))
            if s.get(m.Membership, (u.id, g.id)) is None:
                raise not_found("membership", f"user {u.id} in group {g.id}")
        ident.read(membership(call, fn))
        return Reply(204)

    @r.delete("/v3/groups/{group_id}/users/{user_id}")
    def remove_member(call: Call) -> Reply:
        def fn(s: Session, g: m.Group, u: m.User) -> None:
            ident.enforce(call, "identity:manage_group", group_target(g))
            row = s.get(m.Membership, (u.id, g.id))
            if row is None:
                raise not_found("membership", f"user {u.id} in group {g.id}")
            s.delete(row)
            store.bump_generation(s)
        ident.write(membership(call, fn))
        return Reply(204)

    return r

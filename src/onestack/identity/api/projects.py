"""Domains, projects (a hierarchy inside a domain) and project tags."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.db import new_id
from onestack.core.errors import BadRequest, Conflict, Forbidden, NotFound, conflict, not_found
from onestack.core.http import Call, Reply, RouteTable
from onestack.identity import models as m
from onestack.identity import schemas, views
from onestack.identity.api.common import Identity, apply_extra, bool_query, self_url, v3
from onestack.identity.service import store

PROJECT_COLUMNS = {"name", "description", "enabled", "options"}


def _name_taken(s: Session, domain_id: str, name: str, exclude: str = "") -> bool:
    q = sa.select(m.Project.id).where(m.Project.domain_id == domain_id, m.Project.name == name)
    return any(pid != exclude for pid in s.scalars(q))


def _domain_name_taken(s: Session, name: str, exclude: str = "") -> bool:
    q = sa.select(m.Project.id).where(m.Project.is_domain.is_(True), m.Project.name == name)
    return any(pid != exclude for pid in s.scalars(q))


def _tag_filter(q: sa.Select, call: Call) -> sa.Select:
    def tag_set(name: str) -> list[str] | None:
        value = call.q(name)
        return [t for t in value.split(",") if t] if value is not None else None

    for name in ("tags", "tags-any", "not-tags", "not-tags-any"):
        tags = tag_set(name)
        if tags is None:
            continue
        has = lambda t: sa.exists().where(m.ProjectTag.project_id == m.Project.id,  # noqa: E731
                                          m.ProjectTag.name == t)
        if name == "tags":
            q = q.where(*[has(t) for t in tags])
        elif name == "tags-any":
            q = q.where(sa.or_(*[has(t) for t in tags]))
        elif name == "not-tags":
            q = q.where(sa.not_(sa.and_(*[has(t) for t in tags])))
        else:
            q = q.where(sa.not_(sa.or_(*[has(t) for t in tags])))
    return q


def delete_domain_contents(s: Session, domain_id: str) -> None:
    """Remove everything that lives in a domain (projects, users, groups, domain roles)."""
    project_ids = list(s.scalars(sa.select(m.Project.id).where(
        m.Project.domain_id == domain_id, m.Project.is_domain.is_(False))))
    user_ids = list(s.scalars(sa.select(m.User.id).where(m.User.domain_id == domain_id)))
    group_ids = list(s.scalars(sa.select(m.Group.id).where(m.Group.domain_id == domain_id)))
    targets = project_ids + [domain_id]
    s.execute(sa.delete(m.Assignment).where(m.Assignment.target_id.in_(targets)))
    actors = user_ids + group_ids
    if actors:
        s.execute(sa.delete(m.Assignment).where(m.Assignment.actor_id.in_(actors)))
    s.execute(sa.delete(m.ProjectTag).where(m.ProjectTag.project_id.in_(targets)))
    s.execute(sa.delete(m.Project).where(m.Project.id.in_(project_ids)))
    s.execute(sa.delete(m.Membership).where(m.Membership.user_id.in_(user_ids)))
    s.execute(sa.delete(m.Membership).where(m.Membership.group_id.in_(group_ids)))
    s.execute(sa.delete(m.User).where(m.User.domain_id == domain_id))
    s.execute(sa.delete(m.Group).where(m.Group.domain_id == domain_id))
    s.execute(sa.delete(m.Role).where(m.Role.domain_id == domain_id))


def routes(ident: Identity) -> RouteTable:
    r = RouteTable()

    # --- domains ------------------------------------------------------------
    def create_domain_row(s: Session, body: dict[str, Any], domain_id: str | None = None) -> m.Project:
        if _domain_name_taken(s, body["name"]):
            raise conflict("domain", f"Duplicate entry found with name {body['name']}")
        d = m.Project(id=domain_id or body.get("explicit_domain_id") or new_id(),
                      domain_id=m.ROOT_DOMAIN, is_domain=True, parent_id=None, enabled=True,
                      extra={}, options={})
        attrs = {k: v for k, v in body.items() if k not in ("tags", "explicit_domain_id",
                                                             "domain_id", "parent_id",
                                                             "is_domain")}
        apply_extra(d, attrs, PROJECT_COLUMNS)
        if s.get(m.Project, d.id) is not None:
            raise conflict("domain", f"Duplicate ID, {d.id}")
        s.add(d)
        s.flush()
        store.set_tags(s, d.id, body.get("tags") or [])
        store.bump_generation(s)
        return d

    @r.post("/v3/domains")
    def create_domain(call: Call) -> Reply:
        body = schemas.validate(schemas.DOMAIN_CREATE, call.body("domain"))
        ident.enforce(call, "identity:manage_domain")

        def work(s: Session) -> dict:
            d = create_domain_row(s, body)
            return views.domain(d, store.tags_of(s, d.id), v3(call))
        return Reply(201, {"domain": ident.write(work)})

    @r.get("/v3/domains")
    def list_domains(call: Call) -> Reply:
        ident.enforce(call, "identity:list_domains")

        def work(s: Session) -> list[dict]:
            q = sa.select(m.Project).where(m.Project.is_domain.is_(True))
            if call.q("name") is not None:
                q = q.where(m.Project.name == call.q("name"))
            enabled = bool_query(call, "enabled")
            if enabled is not None:
                q = q.where(m.Project.enabled.is_(enabled))
            rows = list(s.scalars(_tag_filter(q, call).order_by(m.Project.name)))
            tags = store.tags_by_project(s, [d.id for d in rows])
            return [views.domain(d, tags[d.id], v3(call)) for d in rows]
        return Reply(200, views.collection("domains", ident.read(work), self_url(call)))

    @r.get("/v3/domains/{domain_id}")
    def show_domain(call: Call) -> Reply:
        did = call.params["domain_id"]
        ident.enforce(call, "identity:get_domain", {"domain": {"id": did}})

        def work(s: Session) -> dict:
            d = store.get_domain(s, did)
            return views.domain(d, store.tags_of(s, d.id), v3(call))
        return Reply(200, {"domain": ident.read(work)})

    @r.patch("/v3/domains/{domain_id}")
    def update_domain(call: Call) -> Reply:
        body = schemas.validate(schemas.DOMAIN_UPDATE, call.body("domain"))
        ident.enforce(call, "identity:manage_domain")
        did = call.params["domain_id"]

        def work(s: Session) -> dict:
            d = store.get_domain(s, did)
            if "name" in body and _domain_name_taken(s, body["name"], d.id):
                raise conflict("domain", f"Duplicate entry found with name {body['name']}")
            was_enabled = d.enabled
            apply_extra(d, {k: v for k, v in body.items() if k != "tags"}, PROJECT_COLUMNS)
            if "tags" in body:
                store.set_tags(s, d.id, body["tags"])
            if was_enabled and not d.enabled:
                store.revoke(s, domain_id=d.id)
            store.bump_generation(s)
            return views.domain(d, store.tags_of(s, d.id), v3(call))
        return Reply(200, {"domain": ident.write(work)})

    @r.delete("/v3/domains/{domain_id}")
    def delete_domain(call: Call) -> Reply:
        ident.enforce(call, "identity:manage_domain")
        did = call.params["domain_id"]

        def work(s: Session) -> None:
            d = store.get_domain(s, did)
            if d.enabled:
                raise Forbidden("Cannot delete a domain that is enabled, please disable it "
                                "first.")
            delete_domain_contents(s, d.id)
            s.delete(d)
            store.revoke(s, domain_id=d.id)
        ident.write(work)
        return Reply(204)

    # --- projects -----------------------------------------------------------
    def project_target(p: m.Project) -> dict[str, Any]:
        return {"project": {"id": p.id, "domain_id": p.domain_id}}

    @r.post("/v3/projects")
    def create_project(call: Call) -> Reply:
        body = schemas.validate(schemas.PROJECT_CREATE, call.body("project"))
        domain_id = body.get("domain_id") or call.ctx.domain_id or \
            call.ctx.project_domain_id or "default"
        ident.enforce(call, "identity:create_project", {"project": {"domain_id": domain_id}})

        def work(s: Session) -> dict:
            if body.get("is_domain"):
                d = create_domain_row(s, body)
                return views.project(d, store.tags_of(s, d.id), v3(call))
            parent_id = body.get("parent_id")
            dom = domain_id
            if parent_id:
                parent = s.get(m.Project, parent_id)
                if parent is None:
                    raise not_found("project", parent_id)
                parent_domain = parent.id if parent.is_domain else parent.domain_id
                if body.get("domain_id") and body["domain_id"] != parent_domain:
                    raise BadRequest("Cannot create project, the parent is in a different "
                                     "domain.")
                dom = parent_domain
            domain = s.get(m.Project, dom)
            if domain is None or not domain.is_domain:
                raise not_found("domain", dom)
            if _name_taken(s, dom, body["name"]):
                raise conflict("project", f"Duplicate entry found with name {body['name']} "
                               f"at domain ID {dom}")
            p = m.Project(id=new_id(), domain_id=dom, parent_id=parent_id or dom,
                          is_domain=False, enabled=True, extra={}, options={})
            apply_extra(p, {k: v for k, v in body.items()
                            if k not in ("tags", "domain_id", "parent_id", "is_domain")},
                        PROJECT_COLUMNS)
            s.add(p)
            s.flush()
            store.set_tags(s, p.id, body.get("tags") or [])
            store.bump_generation(s)
            return views.project(p, store.tags_of(s, p.id), v3(call))
        return Reply(201, {"project": ident.write(work)})

    @r.get("/v3/projects")
    def list_projects(call: Call) -> Reply:
        domain_filter = call.q("domain_id")
        ident.enforce(call, "identity:list_projects", {"domain_id": domain_filter or
                                                       call.ctx.domain_id or None})
        scoped_domain = None
        if not ident.allowed(call, "identity:read_admin_resource"):
            scoped_domain = call.ctx.domain_id

        def work(s: Session) -> list[dict]:
            is_domain = bool_query(call, "is_domain")
            q = sa.select(m.Project).where(m.Project.is_domain.is_(bool(is_domain)))
            for name in ("name", "domain_id", "parent_id"):
                if call.q(name) is not None:
                    q = q.where(getattr(m.Project, name) == call.q(name))
            if scoped_domain:
                q = q.where(m.Project.domain_id == scoped_domain)
            enabled = bool_query(call, "enabled")
            if enabled is not None:
                q = q.where(m.Project.enabled.is_(enabled))
            rows = list(s.scalars(_tag_filter(q, call).order_by(m.Project.name)))
            tags = store.tags_by_project(s, [p.id for p in rows])
            return [views.project(p, tags[p.id], v3(call)) for p in rows]
        key = ("projects", scoped_domain, str(call.query), self_url(call))
        return Reply(200, raw=ident.cached_json(key, lambda: views.collection(
            "projects", ident.read(work), self_url(call))))

    @r.get("/v3/projects/{project_id}")
    def show_project(call: Call) -> Reply:
        pid = call.params["project_id"]

        def work(s: Session) -> dict:
            p = s.get(m.Project, pid)
            if p is None:
                raise not_found("project", pid)
            ident.enforce(call, "identity:get_project", project_target(p))
            body = views.project(p, store.tags_of(s, p.id), v3(call))
            if call.flag("parents_as_ids"):
                body["parents"] = _nested([a.id for a in store.ancestors(s, p)])
            if call.flag("parents_as_list"):
                body["parents"] = [{"project": views.project(a, store.tags_of(s, a.id), v3(call))}
                                   for a in store.ancestors(s, p)]
            if call.flag("subtree_as_ids"):
                body["subtree"] = _subtree_ids(s, p.id)
            if call.flag("subtree_as_list"):
                body["subtree"] = [{"project": views.project(s.get(m.Project, i),
                                                             store.tags_of(s, i), v3(call))}
                                   for i in store.subtree_ids(s, p.id)]
            return body
        return Reply(200, {"project": ident.read(work)})

    @r.patch("/v3/projects/{project_id}")
    def update_project(call: Call) -> Reply:
        body = schemas.validate(schemas.PROJECT_UPDATE, call.body("project"))
        pid = call.params["project_id"]

        def work(s: Session) -> dict:
            p = s.get(m.Project, pid)
            if p is None:
                raise not_found("project", pid)
            ident.enforce(call, "identity:update_project", project_target(p))
            if "domain_id" in body and body["domain_id"] != p.domain_id:
                raise BadRequest("Update of `domain_id` is not allowed.")
            if "parent_id" in body and body["parent_id"] != p.parent_id:
                raise BadRequest("Update of `parent_id` is not allowed.")
            if "is_domain" in body and body["is_domain"] != p.is_domain:
                raise BadRequest("Update of `is_domain` is not allowed.")
            if "name" in body and (_domain_name_taken(s, body["name"], p.id) if p.is_domain
                                   else _name_taken(s, p.domain_id, body["name"], p.id)):
                raise conflict("project", f"Duplicate entry found with name {body['name']}")
            was_enabled = p.enabled
            apply_extra(p, {k: v for k, v in body.items()
                            if k not in ("tags", "domain_id", "parent_id", "is_domain")},
                        PROJECT_COLUMNS)
            if "tags" in body:
                store.set_tags(s, p.id, body["tags"])
            if was_enabled and not p.enabled:
                store.revoke(s, **({"domain_id": p.id} if p.is_domain else {"project_id": p.id}))
            store.bump_generation(s)
            return views.project(p, store.tags_of(s, p.id), v3(call))
        return Reply(200, {"project": ident.write(work)})

    @r.delete("/v3/projects/{project_id}")
    def delete_project(call: Call) -> Reply:
        pid = call.params["project_id"]

        def work(s: Session) -> None:
            p = s.get(m.Project, pid)
            if p is None:
                raise not_found("project", pid)
            ident.enforce(call, "identity:delete_project", project_target(p))
            if p.is_domain:
                if p.enabled:
                    raise Forbidden("Cannot delete a domain that is enabled, please disable "
                                    "it first.")
                delete_domain_contents(s, p.id)
            elif store.subtree_ids(s, p.id):
                raise Forbidden(f"Cannot delete the project {p.id} since it is not a leaf in "
                                "the hierarchy.")
            s.execute(sa.delete(m.Assignment).where(m.Assignment.target_id == p.id))
            s.execute(sa.delete(m.ProjectTag).where(m.ProjectTag.project_id == p.id))
            s.delete(p)
            store.revoke(s, project_id=p.id)
        ident.write(work)
        return Reply(204)

    # --- tags ---------------------------------------------------------------
    def tag_call(call: Call, write: bool, fn) -> Any:
        pid = call.params["project_id"]

        def work(s: Session) -> Any:
            p = store.get_project(s, pid)
            ident.enforce(call, "identity:project_tags" if write else
                          "identity:get_project_tags", project_target(p))
            return fn(s, p)
        return ident.write(work) if write else ident.read(work)

    @r.get("/v3/projects/{project_id}/tags")
    def list_tags(call: Call) -> Reply:
        return Reply(200, {"tags": tag_call(call, False, lambda s, p: store.tags_of(s, p.id))})

    @r.put("/v3/projects/{project_id}/tags")
    def replace_tags(call: Call) -> Reply:
        tags = call.body().get("tags")
        schemas.validate(schemas.PROJECT_UPDATE["properties"]["tags"], tags)

        def fn(s: Session, p: m.Project) -> list[str]:
            store.set_tags(s, p.id, tags)
            return store.tags_of(s, p.id)
        return Reply(200, {"tags": tag_call(call, True, fn)})

    @r.delete("/v3/projects/{project_id}/tags")
    def clear_tags(call: Call) -> Reply:
        tag_call(call, True, lambda s, p: store.set_tags(s, p.id, []))
        return Reply(204)

    @r.get("/v3/projects/{project_id}/tags/{tag}")
    def check_tag(call: Call) -> Reply:
        if call.params["tag"] not in tag_call(call, False, lambda s, p: store.tags_of(s, p.id)):
            raise NotFound(f"Could not find project tag: {call.params['tag']}.")
        return Reply(204)

    @r.put("/v3/projects/{project_id}/tags/{tag}")
    def add_tag(call: Call) -> Reply:
        tag = call.params["tag"]
        schemas.validate(schemas.TAG, tag)

        def fn(s: Session, p: m.Project) -> None:
            current = store.tags_of(s, p.id)
            if tag not in current:
                if len(current) >= 80:
                    raise BadRequest("A project may carry at most 80 tags.")
                s.add(m.ProjectTag(project_id=p.id, name=tag))
                store.bump_generation(s)
        tag_call(call, True, fn)
        from urllib.parse import quote

        return Reply(201, headers={"Location": quote(self_url(call), safe=":/?&=%")})

    @r.delete("/v3/projects/{project_id}/tags/{tag}")
    def remove_tag(call: Call) -> Reply:
        tag = call.params["tag"]

        def fn(s: Session, p: m.Project) -> None:
            if tag not in store.tags_of(s, p.id):
                raise NotFound(f"Could not find project tag: {tag}.")
            s.execute(sa.delete(m.ProjectTag).where(m.ProjectTag.project_id == p.id,
                                                    m.ProjectTag.name == tag))
            store.bump_generation(s)
        tag_call(call, True, fn)
        return Reply(204)

    return r


def _nested(ids: list[str]) -> dict[str, Any] | None:
    """Keystone's nested-dict form: ``{parent: {grandparent: None}}``."""
    out: dict[str, Any] | None = None
    for pid in reversed(ids):
        out = {pid: out}
    return out


def _subtree_ids(s: Session, project_id: str) -> dict[str, Any] | None:
    children = list(s.scalars(sa.select(m.Project.id).where(m.Project.parent_id == project_id,
                                                            m.Project.is_domain.is_(False))))
    if not children:
        return None
    return {c: _subtree_ids(s, c) for c in children}

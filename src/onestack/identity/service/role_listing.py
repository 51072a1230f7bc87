"""``GET /v3/role_assignments``: filters, ``effective`` expansion (groups → members,
inherited grants → the projects below, implied roles) and ``include_names``."""
from __future__ import annotations

from typing import Any, Mapping

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.errors import BadRequest
from onestack.identity import models as m
from onestack.identity.service import assignments as asg
from onestack.identity.service import store


def _flag(query: Mapping[str, str], name: str) -> bool:
    if name not in query:
        return False
    return query.get(name, "").lower() not in ("0", "false", "no")


class _Row:
    __slots__ = ("actor_type", "actor_id", "target_type", "target_id", "role_id", "inherited",
                 "via_group", "prior_role")

    def __init__(self, actor_type: str, actor_id: str, target_type: str, target_id: str,
                 role_id: str, inherited: bool, via_group: str = "", prior_role: str = ""):
        self.actor_type, self.actor_id = actor_type, actor_id
        self.target_type, self.target_id = target_type, target_id
        self.role_id, self.inherited = role_id, inherited
        self.via_group, self.prior_role = via_group, prior_role

    def key(self) -> tuple:
        return (self.actor_type, self.actor_id, self.target_type, self.target_id, self.role_id,
                self.inherited)


def _from_assignment(a: m.Assignment) -> _Row:
    actor = "user" if a.kind.startswith("User") else "group"
    target = a.kind[len("User"):] if actor == "user" else a.kind[len("Group"):]
    return _Row(actor, a.actor_id, target.lower(), a.target_id, a.role_id, a.inherited)


def _effective(s: Session, rows: list[_Row]) -> list[_Row]:
    out: list[_Row] = []
    for row in rows:
        members = [row.actor_id]
        if row.actor_type == "group":
            members = list(s.scalars(sa.select(m.Membership.user_id)
                                     .where(m.Membership.group_id == row.actor_id)))
        if row.inherited:
            if row.target_type == "domain":
                targets = list(s.scalars(sa.select(m.Project.id).where(
                    m.Project.domain_id == row.target_id, m.Project.is_domain.is_(False))))
            else:
                targets = store.subtree_ids(s, row.target_id)
            scope_type = "project"
        else:
            targets, scope_type = [row.target_id], row.target_type
        for user_id in members:
            for target in targets:
                via = row.actor_id if row.actor_type == "group" else ""
                out.append(_Row("user", user_id, scope_type, target, row.role_id, False, via))
    domain_roles = set(s.scalars(sa.select(m.Role.id).where(m.Role.domain_id != m.GLOBAL_ROLE)))
    expanded: list[_Row] = []
    for row in out:
        if row.role_id not in domain_roles:  # domain-specific roles only lend what they imply
            expanded.append(row)
        for implied in sorted(asg.implied_closure(s, {row.role_id}) - {row.role_id}):
            if implied not in domain_roles:
                expanded.append(_Row(row.actor_type, row.actor_id, row.target_type,
                                     row.target_id, implied, False, row.via_group, row.role_id))
    return expanded


def _named(s: Session, model: type, ident: str) -> dict[str, Any]:
    row = s.get(model, ident)
    ref: dict[str, Any] = {"id": ident}
    if row is None:
        return ref
    ref["name"] = row.name
    domain_id = getattr(row, "domain_id", None)
    if model is m.Role:
        if domain_id != m.GLOBAL_ROLE:
            d = s.get(m.Project, domain_id)
            ref["domain"] = {"id": domain_id, "name": d.name if d else None}
    elif domain_id and domain_id != m.ROOT_DOMAIN:
        d = s.get(m.Project, domain_id)
        ref["domain"] = {"id": domain_id, "name": d.name if d else None}
    return ref


def _render(s: Session, row: _Row, base: str, names: bool) -> dict[str, Any]:
    actor_model = m.User if row.actor_type == "user" else m.Group
    actor = _named(s, actor_model, row.actor_id) if names else {"id": row.actor_id}
    role = _named(s, m.Role, row.role_id) if names else {"id": row.role_id}
    if row.target_type == "system":
        scope: dict[str, Any] = {"system": {"all": True}}
        url = f"{base}/system/{row.actor_type}s/{row.actor_id}/roles/{row.role_id}"
    else:
        target = _named(s, m.Project, row.target_id) if names else {"id": row.target_id}
        scope = {row.target_type: target}
        url = f"{base}/{row.target_type}s/{row.target_id}/{row.actor_type}s/{row.actor_id}" \
              f"/roles/{row.role_id}"
        if row.inherited:
            scope["OS-INHERIT:inherited_to"] = "projects"
            url = f"{base}/OS-INHERIT{url[len(base):]}/inherited_to_projects"
    links: dict[str, str] = {"assignment": url}
    if row.via_group:
        links["membership"] = f"{base}/groups/{row.via_group}/users/{row.actor_id}"
        links["assignment"] = url.replace(f"/users/{row.actor_id}/", f"/groups/{row.via_group}/")
    if row.prior_role:
        links["prior_role"] = f"{base}/roles/{row.prior_role}"
    return {"role": role, row.actor_type: actor, "scope": scope, "links": links}


def list_assignments(s: Session, query: Mapping[str, str], base: str,
                     domain: str | None = None) -> list[dict[str, Any]]:
    """``domain``: only assignments on that domain or on projects inside it."""
    effective = _flag(query, "effective")
    names = _flag(query, "include_names")
    user_id, group_id = query.get("user.id"), query.get("group.id")
    project_id, domain_id = query.get("scope.project.id"), query.get("scope.domain.id")
    system = query.get("scope.system")
    role_id = query.get("role.id")
    inherited_to = query.get("scope.OS-INHERIT:inherited_to")
    if user_id and group_id:
        raise BadRequest("Specify a user or a group, not both.")
    if sum(bool(x) for x in (project_id, domain_id, system)) > 1:
        raise BadRequest("Specify one scope.")
    if effective and group_id:
        raise BadRequest("Combining effective and group filter will always result in an "
                         "empty list.")
    rows = [_from_assignment(a) for a in s.scalars(sa.select(m.Assignment))]
    if effective:
        rows = _effective(s, rows)
    project_ids = None
    if project_id:
        project_ids = {project_id}
        if _flag(query, "include_subtree"):
            project_ids |= set(store.subtree_ids(s, project_id))
    in_domain: set[str] | None = None
    if domain:
        in_domain = {domain, *s.scalars(sa.select(m.Project.id).where(
            m.Project.domain_id == domain))}
    seen: set[tuple] = set()
    result: list[dict[str, Any]] = []
    for row in rows:
        if in_domain is not None and (row.target_type == "system" or
                                      row.target_id not in in_domain):
            continue
        if user_id and not (row.actor_type == "user" and row.actor_id == user_id):
            continue
        if group_id and not (row.actor_type == "group" and row.actor_id == group_id):
            continue
        if role_id and row.role_id != role_id:
            continue
        if project_ids is not None and not (row.target_type == "project" and
                                            row.target_id in project_ids):
            continue
        if domain_id and not (row.target_type == "domain" and row.target_id == domain_id):
            continue
        if system and row.target_type != "system":
            continue
        if inherited_to and not row.inherited:
            continue
        key = row.key() + (row.via_group, row.prior_role)
        if key in seen:
            continue
        seen.add(key)
        result.append(_render(s, row, base, names))
    return result

"""Role grants and the effective roles a user holds on a scope.

Effective roles on a project = the user's and its groups' direct grants there, plus
inherited grants on the project's domain and ancestors, expanded through implied roles;
domain-specific roles only contribute what they imply.
"""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.identity import models as m
from onestack.identity.service import store

USER_PROJECT, GROUP_PROJECT = "UserProject", "GroupProject"
USER_DOMAIN, GROUP_DOMAIN = "UserDomain", "GroupDomain"
USER_SYSTEM, GROUP_SYSTEM = "UserSystem", "GroupSystem"
SYSTEM_TARGET = "all"


def kind_for(actor: str, target: str) -> str:
    return {("user", "project"): USER_PROJECT, ("group", "project"): GROUP_PROJECT,
            ("user", "domain"): USER_DOMAIN, ("group", "domain"): GROUP_DOMAIN,
            ("user", "system"): USER_SYSTEM, ("group", "system"): GROUP_SYSTEM}[(actor, target)]


def group_ids_of(s: Session, user_id: str) -> list[str]:
    return list(s.scalars(sa.select(m.Membership.group_id).where(m.Membership.user_id == user_id)))


def implied_closure(s: Session, role_ids: set[str]) -> set[str]:
    """``role_ids`` plus everything they imply, transitively."""
    result = set(role_ids)
    frontier = set(role_ids)
    while frontier:
        implied = set(s.scalars(sa.select(m.ImpliedRole.implied_role_id)
                                .where(m.ImpliedRole.prior_role_id.in_(frontier))))
        frontier = implied - result
        result |= implied
    return result


def _grants(s: Session, actor_ids: list[str], targets: list[tuple[str, str, bool]]) -> set[str]:
    """Role ids granted to any actor on any (kind-family, target, inherited) triple."""
    if not actor_ids or not targets:
        return set()
    conds = []
    for family, target_id, inherited in targets:
        kinds = {"project": (USER_PROJECT, GROUP_PROJECT), "domain": (USER_DOMAIN, GROUP_DOMAIN),
                 "system": (USER_SYSTEM, GROUP_SYSTEM)}[family]
        conds.append(sa.and_(m.Assignment.kind.in_(kinds), m.Assignment.target_id == target_id,
                             m.Assignment.inherited.is_(inherited)))
    q = sa.select(m.Assignment.role_id).where(m.Assignment.actor_id.in_(actor_ids), sa.or_(*conds))
    return set(s.scalars(q))


def direct_role_ids(s: Session, user_id: str, scope: str, scope_id: str) -> set[str]:
    """Role ids held on a scope before implied-role expansion."""
    actors = [user_id, *group_ids_of(s, user_id)]
    if scope == "project":
        project = s.get(m.Project, scope_id)
        if project is None:
            return set()
        targets = [("project", scope_id, False), ("domain", project.domain_id, True)]
        targets += [("project", a.id, True) for a in store.ancestors(s, project)]
    elif scope == "domain":
        targets = [("domain", scope_id, False)]
    elif scope == "system":
        targets = [("system", SYSTEM_TARGET, False)]
    else:
        return set()
    return _grants(s, actors, targets)


@dataclass
class RoleRef:
    id: str
    name: str
    domain_id: str | None


def effective_roles(s: Session, user_id: str, scope: str, scope_id: str) -> list[RoleRef]:
    return expand(s, direct_role_ids(s, user_id, scope, scope_id))


def expand(s: Session, role_ids: set[str]) -> list[RoleRef]:
    """Implied-role closure, without domain-specific roles, sorted by name."""
    if not role_ids:
        return []
    ids = implied_closure(s, role_ids)
    rows = s.execute(sa.select(m.Role.id, m.Role.name, m.Role.domain_id)
                     .where(m.Role.id.in_(ids)))
    return sorted((RoleRef(i, n, None) for i, n, d in rows if d == m.GLOBAL_ROLE),
                  key=lambda r: r.name)


def projects_with_roles(s: Session, user_id: str) -> list[str]:
    """Ids of every project on which the user holds some role (directly, by group or by
    inheritance)."""
    actors = [user_id, *group_ids_of(s, user_id)]
    rows = s.execute(sa.select(m.Assignment.kind, m.Assignment.target_id, m.Assignment.inherited)
                     .where(m.Assignment.actor_id.in_(actors)))
    project_ids: set[str] = set()
    for kind, target, inherited in rows:
        if kind in (USER_PROJECT, GROUP_PROJECT):
            if not inherited:
                project_ids.add(target)
            else:
                project_ids.update(store.subtree_ids(s, target))
        elif kind in (USER_DOMAIN, GROUP_DOMAIN) and inherited:
            project_ids.update(s.scalars(sa.select(m.Project.id).where(
                m.Project.domain_id == target, m.Project.is_domain.is_(False))))
    return sorted(project_ids)


def domains_with_roles(s: Session, user_id: str) -> list[str]:
    actors = [user_id, *group_ids_of(s, user_id)]
    return sorted(set(s.scalars(sa.select(m.Assignment.target_id).where(
        m.Assignment.actor_id.in_(actors), m.Assignment.kind.in_((USER_DOMAIN, GROUP_DOMAIN)),
        m.Assignment.inherited.is_(False)))))


def grant(s: Session, kind: str, actor_id: str, target_id: str, role_id: str,
          inherited: bool) -> None:
    exists = s.get(m.Assignment, (kind, actor_id, target_id, role_id, inherited))
    if exists is None:
        s.add(m.Assignment(kind=kind, actor_id=actor_id, target_id=target_id, role_id=role_id,
                           inherited=inherited))
    store.bump_generation(s)


def has_grant(s: Session, kind: str, actor_id: str, target_id: str, role_id: str,
              inherited: bool) -> bool:
    return s.get(m.Assignment, (kind, actor_id, target_id, role_id, inherited)) is not None


def ungrant(s: Session, kind: str, actor_id: str, target_id: str, role_id: str,
            inherited: bool) -> bool:
    row = s.get(m.Assignment, (kind, actor_id, target_id, role_id, inherited))
    if row is None:
        return False
    s.delete(row)
    store.bump_generation(s)
    return True

"""Lookups shared by the identity use cases. Each takes an open session; none commits."""
from __future__ import annotations

import time

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.db import utcnow
from onestack.core.errors import not_found
from onestack.identity import catalog_models as cm
from onestack.identity import models as m


def now_us() -> int:
    return time.time_ns() // 1000


def get_project(s: Session, project_id: str) -> m.Project:
    p = s.get(m.Project, project_id)
    if p is None or p.is_domain:
        raise not_found("project", project_id)
    return p


def get_domain(s: Session, domain_id: str) -> m.Project:
    d = s.get(m.Project, domain_id)
    if d is None or not d.is_domain:
        raise not_found("domain", domain_id)
    return d


def get_user(s: Session, user_id: str) -> m.User:
    u = s.get(m.User, user_id)
    if u is None:
        raise not_found("user", user_id)
    return u


def get_group(s: Session, group_id: str) -> m.Group:
    g = s.get(m.Group, group_id)
    if g is None:
        raise not_found("group", group_id)
    return g


def get_role(s: Session, role_id: str) -> m.Role:
    r = s.get(m.Role, role_id)
    if r is None:
        raise not_found("role", role_id)
    return r


def tags_of(s: Session, project_id: str) -> list[str]:
    return list(s.scalars(sa.select(m.ProjectTag.name).where(m.ProjectTag.project_id == project_id)
                          .order_by(m.ProjectTag.name)))


def tags_by_project(s: Session, ids: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {i: [] for i in ids}
    if not ids:
        return out
    rows = s.execute(sa.select(m.ProjectTag.project_id, m.ProjectTag.name)
                     .where(m.ProjectTag.project_id.in_(ids)).order_by(m.ProjectTag.name))
    for pid, name in rows:
        out[pid].append(name)
    return out


def set_tags(s: Session, project_id: str, tags: list[str]) -> None:
    s.execute(sa.delete(m.ProjectTag).where(m.ProjectTag.project_id == project_id))
    for t in dict.fromkeys(tags):
        s.add(m.ProjectTag(project_id=project_id, name=t))
    bump_generation(s)


def bump_generation(s: Session) -> None:
    """Tell every replica that identity data changed (their caches key on this)."""
    updated = s.execute(sa.update(cm.Generation).where(cm.Generation.id == 1)
                        .values(value=cm.Generation.value + 1)).rowcount
    if not updated:
        s.add(cm.Generation(id=1, value=1))


def generation(s: Session) -> int:
    return s.scalar(sa.select(cm.Generation.value).where(cm.Generation.id == 1)) or 0


GENERATION_SQL = "SELECT value FROM identity_generation WHERE id = 1"


def revoke(s: Session, **match: str | None) -> None:
    """Record a revocation event for tokens issued up to now that match every given field."""
    s.add(cm.RevocationEvent(issued_before_us=now_us(), revoked_at=utcnow(), **match))
    bump_generation(s)


def ancestors(s: Session, project: m.Project) -> list[m.Project]:
    """Parents of ``project`` from nearest up to (not including) its domain."""
    out: list[m.Project] = []
    seen = {project.id}
    parent_id = project.parent_id
    while parent_id and parent_id not in seen:
        seen.add(parent_id)
        parent = s.get(m.Project, parent_id)
        if parent is None or parent.is_domain:
            break
        out.append(parent)
        parent_id = parent.parent_id
    return out


def subtree_ids(s: Session, project_id: str) -> list[str]:
    """All descendants of a project (not the project itself), breadth first."""
    out: list[str] = []
    frontier = [project_id]
    while frontier:
        children = list(s.scalars(sa.select(m.Project.id).where(
            m.Project.parent_id.in_(frontier), m.Project.is_domain.is_(False))))
        out.extend(children)
        frontier = children
    return out

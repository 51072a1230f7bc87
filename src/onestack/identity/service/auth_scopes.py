"""What ``/v3/auth/{projects,domains,system}`` list: the scopes the caller could get a token
for — enabled projects and domains where it holds a role, and the system if it holds one."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.db import Database
from onestack.identity import models as m
from onestack.identity import views
from onestack.identity.service import assignments


def _enabled(s: Session, ids: list[str]) -> list[m.Project]:
    if not ids:
        return []
    return list(s.scalars(sa.select(m.Project).where(m.Project.id.in_(ids),
                                                     m.Project.enabled.is_(True))))


def projects(db: Database, user_id: str, base: str) -> list[dict[str, Any]]:
    return db.read(lambda s: [views.project(p, [], base) for p in _enabled(
        s, list(assignments.projects_with_roles(s, user_id)))])


def domains(db: Database, user_id: str, base: str) -> list[dict[str, Any]]:
    return db.read(lambda s: [views.domain(d, [], base) for d in _enabled(
        s, list(set(assignments.domains_with_roles(s, user_id))))])


def has_system_role(db: Database, user_id: str) -> bool:
    return db.read(lambda s: bool(assignments.effective_roles(s, user_id, "system", "all")))

"""The seam through which other services ask identity about its projects (Nova asks
Keystone whether a project exists before storing quotas for it). Callers pass their own
``Session``: identity's tables live in the same database, but only identity reads them."""
from __future__ import annotations

from sqlalchemy.orm import Session

from onestack.core.errors import NotFound
from onestack.identity.service import store


def project_exists(s: Session, project_id: str) -> bool:
    """Whether ``project_id`` names a project (a domain is not one)."""
    try:
        store.get_project(s, project_id)
    except NotFound:
        return False
    return True

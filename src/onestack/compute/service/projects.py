"""Compute's question to identity: does a project exist? (Nova asks Keystone before storing
quotas for one.) Answered through identity's own lookup, not its tables."""
from __future__ import annotations

from sqlalchemy.orm import Session

from onestack.core.errors import NotFound
from onestack.identity.service import store


def project_exists(s: Session, project_id: str) -> bool:
    try:
        store.get_project(s, project_id)
    except NotFound:
        return False
    return True

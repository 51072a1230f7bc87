"""Compute's question to identity: does a project exist? (Nova asks Keystone before storing
quotas for one.) Answered through identity's seam, not its tables."""
from __future__ import annotations

from sqlalchemy.orm import Session

from onestack.identity import seam as identity


def project_exists(s: Session, project_id: str) -> bool:
    return identity.project_exists(s, project_id)

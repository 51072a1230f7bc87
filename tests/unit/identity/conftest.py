"""Identity unit tests work on a real, migrated SQLite file (one per test) and make rows with
the small factory below; the service functions under test take the open session."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session

from onestack import migrations
from onestack.core.db import Database, new_id, utcnow
from onestack.identity import models as m


@pytest.fixture
def identity_db(tmp_path) -> Iterator[Database]:
    url = f"sqlite:///{tmp_path / 'identity.db'}"
    migrations.upgrade(url)
    db = Database(url)
    yield db
    db.dispose()


class Rows:
    """Adds identity rows to an open session; every method returns the new row's id."""

    def __init__(self, s: Session):
        self.s = s

    def domain(self, name: str | None = None, enabled: bool = True) -> str:
        pid = new_id()
        self.s.add(m.Project(id=pid, name=name or pid[:12], domain_id=m.ROOT_DOMAIN,
                             is_domain=True, enabled=enabled, extra={}, options={}))
        self.s.flush()
        return pid

    def project(self, domain_id: str, parent_id: str | None = None, name: str | None = None,
                enabled: bool = True) -> str:
        pid = new_id()
        self.s.add(m.Project(id=pid, name=name or pid[:12], domain_id=domain_id,
                             parent_id=parent_id or domain_id, is_domain=False,
                             enabled=enabled, extra={}, options={}))
        self.s.flush()
        return pid

    def user(self, domain_id: str, name: str | None = None) -> str:
        uid = new_id()
        self.s.add(m.User(id=uid, name=name or uid[:12], domain_id=domain_id, enabled=True,
                          extra={}, options={}, failed_auth_count=0, created_at=utcnow()))
        self.s.flush()
        return uid

    def group(self, domain_id: str, *members: str) -> str:
        gid = new_id()
        self.s.add(m.Group(id=gid, name=gid[:12], domain_id=domain_id, extra={}))
        self.s.flush()
        for uid in members:
            self.s.add(m.Membership(user_id=uid, group_id=gid))
        self.s.flush()
        return gid

    def role(self, name: str, domain_id: str = m.GLOBAL_ROLE) -> str:
        rid = new_id()
        self.s.add(m.Role(id=rid, name=name, domain_id=domain_id, extra={}, options={}))
        self.s.flush()
        return rid

    def implies(self, prior: str, implied: str) -> None:
        self.s.add(m.ImpliedRole(prior_role_id=prior, implied_role_id=implied))
        self.s.flush()


@pytest.fixture
def session(identity_db: Database) -> Iterator[Session]:
    """One session for arranging and asserting; rolled back at the end."""
    with Session(identity_db.engine) as s:
        yield s
        s.rollback()


@pytest.fixture
def rows(session: Session) -> Rows:
    return Rows(session)

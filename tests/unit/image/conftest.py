"""Image service unit tests: the use cases on a real, migrated SQLite file, with the
in-memory stores and request contexts made here (no HTTP)."""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from onestack import migrations
from onestack.core.context import RequestContext
from onestack.core.db import Database
from onestack.core.policy import Policy
from onestack.image import policies
from onestack.image.api.common import Glance
from onestack.image.drivers.memory import MemoryStore
from onestack.image.service.common import Deps


def ctx(project: str = "p1", *roles: str, user: str = "u1") -> RequestContext:
    return RequestContext(request_id="req-unit", user_id=user, project_id=project,
                          roles=list(roles or ("member", "reader")))


OWNER = ctx("p1")
OTHER = ctx("p2", user="u2")
READER = ctx("p1", "reader", user="u3")
ADMIN = ctx("padmin", "admin", "member", "reader", user="admin")


@pytest.fixture
def db(tmp_path) -> Iterator[Database]:
    url = f"sqlite:///{tmp_path / 'image.db'}"
    migrations.upgrade(url)
    database = Database(url)
    yield database
    database.dispose()


@pytest.fixture
def glance(db: Database) -> Glance:
    policy = Policy()
    policy.register(policies.RULES)
    return Glance.build(Deps(db, policy, MemoryStore("file"), MemoryStore("staging")))


def new_image(g: Glance, who: RequestContext = OWNER, **attrs) -> str:
    body = {"disk_format": "raw", "container_format": "bare", **attrs}
    return g.images.create(who, body)["id"]

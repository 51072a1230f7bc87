"""The visibility matrix of tests/unit/image/test_visibility_rule.py on every configured
backend: the SQL the listing and lookups use selects exactly what the pure rule allows
(NULL owners, the no-project caller and member statuses behave alike on all three)."""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from onestack.core.db import Database
from onestack.core.policy import Policy
from onestack.image import policies
from onestack.image.api.common import Glance
from onestack.image.drivers.memory import MemoryStore
from onestack.image.service.common import Deps
from tests.unit.image import test_visibility_rule as matrix


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    yield database
    database.dispose()


@pytest.fixture
def glance(db: Database) -> Glance:
    policy = Policy()
    policy.register(policies.RULES)
    return Glance.build(Deps(db, policy, MemoryStore("file"), MemoryStore("staging")))


images = matrix.images  # the fixture, over this module's db


@pytest.mark.parametrize("who", matrix.CALLERS)
def test_sql_and_both_services_agree_with_the_rule(db, glance, images, who):
    matrix.test_sql_and_both_services_agree_with_the_rule(db, glance, images, who)

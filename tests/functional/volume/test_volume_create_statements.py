"""How many SQL statements a volume create sends: the create's transaction holds the
database's write lock, and on a loaded API each statement in it is a wait for the
interpreter, so the count is kept down (and a change that adds one shows up here)."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event

from onestack.core.db import Database
from onestack.server import build_app
from tests.functional.conftest import settings_for
from tests.functional.volume.conftest import VolApi
from tests.support.api import Api, assert_status

# the statements of one empty create (12 on SQLite, 11 elsewhere before the quota limits
# became one query and SQLite's create stopped reading a quota lock row): on SQLite its
# BEGIN IMMEDIATE is one of them, and no lock row is read (that transaction already
# excludes every other writer); MariaDB and PostgreSQL lock the project's quota row
CEILING = 10


@pytest.fixture(scope="module")
def counted(db_url: str, admin_token: str, vol: VolApi
            ) -> Iterator[tuple[VolApi, list[str]]]:
    db = Database(db_url)
    sent: list[str] = []

    @event.listens_for(db.engine, "before_cursor_execute")
    def _count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        sent.append(" ".join(statement.split())[:100])

    base = Api(build_app(settings_for(db_url), db).asgi)
    try:
        yield VolApi(base, admin_token, vol.db), sent
    finally:
        base.close()
        db.dispose()


def test_an_empty_create_sends_at_most_its_ceiling_of_statements(
        counted: tuple[VolApi, list[str]], admin_project_id: str) -> None:
    client, sent = counted
    client.unlimit(admin_project_id)
    client.volume(settle=False)  # the first request of an app reads what it caches
    sent.clear()
    body = assert_status(client.post("/volumes", json={"volume": {"size": 1}}), 202)
    assert body["volume"]["status"] == "creating"
    assert 0 < len(sent) <= CEILING, sent

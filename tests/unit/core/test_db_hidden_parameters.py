"""A database error never puts the statement's bound values (names, metadata, blobs users
sent) into the log: the app's 500 path logs the exception with its SQL, but with parameters
hidden, on every configured backend."""
from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from onestack.core.app import Mount, OpenStackApp
from onestack.core.db import Database
from onestack.core.http import Call, Reply, Route
from onestack.core.logs import KeyValueFormatter
from tests.support.api import Api
from tests.support.databases import Backend, TestDatabase, configured_backends

BACKENDS = configured_backends()
SECRET = "s3cr3t-user-data-7f1e"


@pytest.fixture(params=BACKENDS, ids=[b.kind for b in BACKENDS])
def db(request, tmp_path) -> Iterator[Database]:
    backend: Backend = request.param
    database = TestDatabase(backend, tmp_path)
    db = Database(database.url)
    try:
        yield db
    finally:
        db.dispose()
        database.drop()


def failing_write(db: Database) -> None:
    db.write(lambda s: s.execute(sa.text("INSERT INTO no_such_table (name) VALUES (:name)"),
                                 {"name": SECRET}))


def test_engines_hide_parameters(db):
    assert db.engine.hide_parameters
    with pytest.raises(sa.exc.DBAPIError) as info:
        failing_write(db)
    assert "no_such_table" in str(info.value)
    assert SECRET not in str(info.value)


def test_logged_500_holds_no_parameter_value(db, caplog):
    def boom(call: Call) -> Reply:
        failing_write(db)
        return Reply(204)

    app = OpenStackApp([Mount("/t", [Route("POST", "/boom", boom, auth=False)])],
                       authenticator=None, base_url="http://onestack.test")  # type: ignore
    api = Api(app.asgi)
    try:
        with caplog.at_level(logging.INFO):
            response = api.http.post("/t/boom", content=b"{}")
    finally:
        api.close()
    assert response.status_code == 500
    formatter = KeyValueFormatter()
    logged = "\n".join(formatter.format(record) for record in caplog.records)
    assert "no_such_table" in logged  # the error itself is logged, with its statement
    assert SECRET not in logged

"""Functional tests run the whole app in process, once per configured database backend.

Each test module gets, per backend, a fresh uniquely named database (migrated and
bootstrapped, dropped afterwards), one app and one client; tests make uniquely named
resources, so they never depend on each other.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from onestack import migrations
from onestack.core.config import Settings
from onestack.core.db import Database
from onestack.identity.bootstrap import bootstrap
from onestack.server import build_app
from tests.support.api import Api, assert_status
from tests.support.databases import Backend, TestDatabase, configured_backends
from tests.support.identity import ADMIN_PASSWORD, Cloud, Member, password_auth

BACKENDS = configured_backends()
HASH_ROUNDS = 4


@pytest.fixture(scope="module", params=BACKENDS, ids=[b.kind for b in BACKENDS])
def backend(request: pytest.FixtureRequest) -> Backend:
    return request.param


@pytest.fixture(scope="module")
def db_url(backend: Backend, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    database = TestDatabase(backend, tmp_path_factory.mktemp("db"))
    try:
        migrations.upgrade(database.url)
        db = Database(database.url)
        try:
            bootstrap(db, admin_password=ADMIN_PASSWORD, public_url="http://onestack.test",
                      password_hash_rounds=HASH_ROUNDS)
        finally:
            db.dispose()
        yield database.url
    finally:
        database.drop()


def settings_for(db_url: str, **overrides: Any) -> Settings:
    return Settings(database_url=db_url, password_hash_rounds=HASH_ROUNDS,
                    public_url="http://onestack.test", **overrides)


class AppFactory:
    """Builds apps (with their own settings) over one database and closes them all."""

    def __init__(self, db_url: str):
        self.db_url = db_url
        self._open: list[tuple[Api, Database]] = []

    def __call__(self, **overrides: Any) -> Api:
        db = Database(self.db_url)
        api = Api(build_app(settings_for(self.db_url, **overrides), db).asgi)
        self._open.append((api, db))
        return api

    def close(self) -> None:
        while self._open:
            api, db = self._open.pop()
            api.close()
            db.dispose()


@pytest.fixture(scope="module")
def api(db_url: str) -> Iterator[Api]:
    factory = AppFactory(db_url)
    try:
        yield factory()
    finally:
        factory.close()


@pytest.fixture
def make_api(db_url: str) -> Iterator[Callable[..., Api]]:
    """``make_api(token_expiration=1)``: another app with other settings, same database."""
    factory = AppFactory(db_url)
    try:
        yield factory
    finally:
        factory.close()


@pytest.fixture(scope="module")
def admin_login(api: Api) -> tuple[str, dict[str, Any]]:
    body = password_auth(name="admin", password=ADMIN_PASSWORD,
                         scope={"project": {"name": "admin", "domain": {"id": "default"}}})
    response = api.post("/v3/auth/tokens", json=body)
    data = assert_status(response, 201)
    return response.headers["x-subject-token"], data["token"]


@pytest.fixture(scope="module")
def admin_token(admin_login: tuple[str, dict[str, Any]]) -> str:
    """A project-scoped token of the bootstrap admin."""
    return admin_login[0]


@pytest.fixture(scope="module")
def admin_project_id(admin_login: tuple[str, dict[str, Any]]) -> str:
    return admin_login[1]["project"]["id"]


@pytest.fixture(scope="module")
def cloud(api: Api, admin_token: str, admin_project_id: str) -> Cloud:
    return Cloud(api, admin_token, admin_project_id)


@pytest.fixture
def make_project_member(cloud: Cloud) -> Callable[..., Member]:
    return cloud.make_project_member


@pytest.fixture
def member(cloud: Cloud) -> Member:
    """A fresh user with the member role on a fresh project, and a token scoped to it."""
    return cloud.make_project_member()


@pytest.fixture
def sql(db_url: str) -> Iterator[Database]:
    """Direct database access, for checks and for arranging what the API cannot (clocks)."""
    db = Database(db_url)
    try:
        yield db
    finally:
        db.dispose()

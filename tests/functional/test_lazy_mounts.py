"""``onestack up`` builds only identity before it listens; every other service is built at
its first request (or after the first login). A lazily built service answers its first
request — bodies included — exactly as an eagerly built one, and unknown paths under it are
still the service's own 404."""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from onestack.core.db import Database
from onestack.server import build_app
from tests.functional.conftest import settings_for
from tests.support.api import Api


@pytest.fixture
def lazy(db_url: str) -> Iterator[tuple[Api, object]]:
    db = Database(db_url)
    app = build_app(settings_for(db_url), db, lazy=True)
    api = Api(app.asgi)
    try:
        yield api, app
    finally:
        api.close()
        db.dispose()


def mounts_by_prefix(app) -> dict:
    return {m.prefix: m for m in app.mounts}


def test_only_identity_is_built_before_the_first_request(lazy, admin_token: str) -> None:
    api, app = lazy
    mounts = mounts_by_prefix(app)
    assert mounts["/identity"].build is None and mounts["/identity"].routes
    assert all(m.build is not None and not m.routes for p, m in mounts.items()
               if p != "/identity")
    reply = api.http.get("/network/v2.0/networks", headers={"X-Auth-Token": admin_token})
    assert reply.status_code == 200 and "networks" in reply.json()
    assert mounts["/network"].build is None and mounts["/network"].routes
    assert mounts["/compute"].build is not None  # untouched services stay unbuilt


def test_a_first_request_with_a_body_reaches_the_built_handler(lazy, admin_token: str) -> None:
    api, _ = lazy
    reply = api.http.post("/network/v2.0/networks", headers={"X-Auth-Token": admin_token},
                          json={"network": {"name": "lazy-first"}})
    assert reply.status_code == 201, reply.text
    assert reply.json()["network"]["name"] == "lazy-first"
    api.http.delete(f"/network/v2.0/networks/{reply.json()['network']['id']}",
                    headers={"X-Auth-Token": admin_token})


def test_unknown_paths_and_build_pending(lazy, admin_token: str) -> None:
    api, app = lazy
    reply = api.http.get("/compute/v2.1/no-such-thing", headers={"X-Auth-Token": admin_token})
    assert reply.status_code == 404
    assert "itemNotFound" in reply.json()  # compute's own fault style
    app.build_pending()
    assert all(m.build is None and m.routes for m in app.mounts)
    reply = api.http.get("/image/v2/images", headers={"X-Auth-Token": admin_token})
    assert reply.status_code == 200

"""Adding a service is "add a package and register it": a tiny service registered beside
the real ones is mounted with its fault style, and bootstrap puts it in the catalog, where
identity renders its ``$(project_id)s`` URL per token as Keystone does."""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from onestack.core.db import Database
from onestack.core.errors import NotFound
from onestack.core.http import Call, Reply, Route
from onestack.core.registry import CatalogEntry, ServiceSpec
from onestack.identity.bootstrap import bootstrap
from onestack.server import build_app, default_registry
from tests.functional.conftest import settings_for
from tests.support.api import Api, assert_status
from tests.support.identity import ADMIN_PASSWORD, password_auth

OBJECT_STORE_PATH = "/dummy-store/v1/AUTH_$(project_id)s"


def ping(call: Call) -> Reply:
    if call.params["account"] == "missing":
        raise NotFound("no such account")
    return Reply(200, {"account": call.params["account"], "project": call.ctx.project_id})


def dummy_routes(platform) -> list[Route]:
    return [Route("GET", "/v1/{account}", ping)]


DUMMY = ServiceSpec(
    name="dummy-store", prefix="/dummy-store", routes=dummy_routes,
    catalog=(CatalogEntry("dummy-object-store", "dummy-swift", OBJECT_STORE_PATH),),
    fault_style="nova")


@pytest.fixture(scope="module")
def dummy_api(db_url: str) -> Iterator[Api]:
    registry = default_registry()
    registry.register(DUMMY)
    db = Database(db_url)
    bootstrap(db, admin_password=ADMIN_PASSWORD, public_url="http://onestack.test",
              password_hash_rounds=4, services=registry.catalog_entries())
    api = Api(build_app(settings_for(db_url), db, registry=registry).asgi)
    try:
        yield api
    finally:
        api.close()
        db.dispose()


def admin_token(api: Api, system: bool = False) -> tuple[str, dict]:
    scope = ({"system": {"all": True}} if system
             else {"project": {"name": "admin", "domain": {"id": "default"}}})
    response = api.post("/v3/auth/tokens",
                        json=password_auth(name="admin", password=ADMIN_PASSWORD, scope=scope))
    return response.headers["x-subject-token"], assert_status(response, 201)["token"]


def dummy_urls(catalog: list[dict]) -> list[str]:
    return [e["url"] for s in catalog if s["type"] == "dummy-object-store"
            for e in s["endpoints"]]


def test_registered_service_is_mounted_behind_token_validation(dummy_api: Api):
    token, data = admin_token(dummy_api)
    ok = dummy_api.http.get("/dummy-store/v1/acct", headers={"X-Auth-Token": token})
    assert assert_status(ok, 200) == {"account": "acct", "project": data["project"]["id"]}
    assert dummy_api.http.get("/dummy-store/v1/acct").status_code == 401


def test_registered_service_faults_in_its_own_style(dummy_api: Api):
    token, _ = admin_token(dummy_api)
    missing = dummy_api.http.get("/dummy-store/v1/missing", headers={"X-Auth-Token": token})
    assert missing.status_code == 404
    assert missing.json() == {"itemNotFound": {"code": 404, "message": "no such account"}}


def test_catalog_renders_the_project_id_per_token(dummy_api: Api):
    _, data = admin_token(dummy_api)
    project_id = data["project"]["id"]
    urls = dummy_urls(data["catalog"])
    assert urls == [f"http://onestack.test/dummy-store/v1/AUTH_{project_id}"] * 3


def test_endpoint_list_keeps_the_template(dummy_api: Api):
    token, _ = admin_token(dummy_api)
    listed = assert_status(dummy_api.get("/v3/endpoints", token=token), 200)["endpoints"]
    templated = [e["url"] for e in listed if e["url"].endswith("$(project_id)s")]
    assert templated == ["http://onestack.test" + OBJECT_STORE_PATH] * 3


def test_system_scoped_catalog_leaves_out_what_needs_a_project(dummy_api: Api):
    """Keystone drops an endpoint it cannot render for the token (no project to fill in)."""
    token, data = admin_token(dummy_api, system=True)
    catalog = assert_status(dummy_api.get("/v3/auth/catalog", token=token), 200)["catalog"]
    for listed in (catalog, data["catalog"]):
        assert dummy_urls(listed) == []
        assert any(s["type"] == "identity" and s["endpoints"] for s in listed)

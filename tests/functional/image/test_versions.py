"""Version discovery and the Glance fault style."""
from __future__ import annotations

import pytest

from tests.functional.image.conftest import assert_glance_fault


@pytest.mark.parametrize("path", ["", "/", "/v2", "/v2/"])
def test_version_discovery_is_300_without_a_token(glance, path):
    response = glance.get(path)
    assert response.status_code == 300
    versions = response.json()["versions"]
    assert versions[0] == {"id": "v2.13", "status": "CURRENT", "links": [
        {"rel": "self", "href": "http://onestack.test/image/v2/"}]}
    assert {v["id"] for v in versions} >= {"v2.0", "v2.6", "v2.12"}
    assert all(v["status"] in ("CURRENT", "SUPPORTED") for v in versions)


def test_versions_document_is_200(glance):
    response = glance.get("/versions")
    assert response.status_code == 200
    assert response.json()["versions"][0]["id"] == "v2.13"


def test_the_api_needs_a_token(glance):
    response = glance.get("/v2/images")
    assert_glance_fault(response, 401)
    assert response.headers["www-authenticate"].startswith("Keystone uri=")


def test_unknown_paths_are_html_404s(glance, owner):
    assert_glance_fault(glance.get("/v2/nothing-here", token=owner.token), 404)
    assert_glance_fault(glance.get("/v2/images/", token=owner.token), 404)
    assert_glance_fault(glance.delete("/v2/images/", token=owner.token), 404)

"""Version discovery, the health check, and the request id every answer carries."""
from __future__ import annotations

import pytest

from tests.support.api import REQUEST_ID, assert_status

V3 = "http://onestack.test/identity/v3/"


@pytest.mark.parametrize("path", ["", "/"])
def test_version_list(api, path):
    response = api.get(path)
    body = assert_status(response, 300)
    assert response.headers["Location"] == V3
    (version,) = body["versions"]["values"]
    assert version["id"] == "v3.14" and version["status"] == "stable"
    assert version["links"] == [{"rel": "self", "href": V3}]
    assert {"base": "application/json",
            "type": "application/vnd.openstack.identity-v3+json"} in version["media-types"]


@pytest.mark.parametrize("path", ["/v3", "/v3/"])
def test_v3_document(api, path):
    body = assert_status(api.get(path), 200)
    assert body["version"]["id"] == "v3.14"
    assert body["version"]["links"][0]["href"] == V3


def test_links_follow_the_host_the_client_used(api):
    response = api.http.get("http://other-name:5000/identity/v3")
    assert response.json()["version"]["links"][0]["href"] == "http://other-name:5000/identity/v3/"


def test_healthcheck(api):
    response = api.get("/healthcheck")
    assert response.status_code == 200 and response.text == "OK"


def test_request_ids_are_unique_per_request(api):
    ids = {api.get("/v3").headers["x-openstack-request-id"] for _ in range(5)}
    assert len(ids) == 5 and all(REQUEST_ID.match(i) for i in ids)


def test_request_id_on_faults_too(api):
    response = api.get("/v3/projects")
    assert response.status_code == 401
    assert REQUEST_ID.match(response.headers["x-openstack-request-id"])

"""Compute version discovery: the list at ``/compute/`` and the version documents it links
to, each of whose self link is the one the list gave."""
from __future__ import annotations

import pytest

from tests.support.api import Api

BASE = "http://onestack.test/compute"


def get(api: Api, url: str, token: str | None = None) -> dict:
    headers = {"X-Auth-Token": token} if token else {}
    response = api.http.get(url, headers=headers)
    assert response.status_code == 200, response.text[:800]
    return response.json()


def test_list_names_v2_then_v21(api: Api):
    versions = get(api, BASE + "/")["versions"]
    assert [v["id"] for v in versions] == ["v2.0", "v2.1"]
    v20, v21 = versions
    assert (v20["status"], v20["version"], v20["min_version"]) == ("SUPPORTED", "", "")
    assert (v21["status"], v21["min_version"]) == ("CURRENT", "2.1")
    for v in versions:
        assert set(v) == {"id", "status", "version", "min_version", "updated", "links"}
        assert [link["rel"] for link in v["links"]] == ["self"]
    assert get(api, BASE) == {"versions": versions}


@pytest.mark.parametrize("with_token", [False, True])
def test_every_listed_version_can_be_followed(api: Api, admin_token: str, with_token: bool):
    for listed in get(api, BASE + "/")["versions"]:
        (self_link,) = [link for link in listed["links"] if link["rel"] == "self"]
        doc = get(api, self_link["href"], admin_token if with_token else None)["version"]
        assert doc["id"] == listed["id"] and doc["status"] == listed["status"]
        assert [link for link in doc["links"] if link["rel"] == "self"] == [self_link]
        (media,) = doc["media-types"]
        assert media["base"] == "application/json"
        assert media["type"].endswith("version=" + listed["id"][1:].removesuffix(".0"))


@pytest.mark.parametrize("path,version_id", [("/v2", "v2.0"), ("/v2/", "v2.0"),
                                             ("/v2.1", "v2.1"), ("/v2.1/", "v2.1")])
def test_with_or_without_slash(api: Api, path: str, version_id: str):
    assert get(api, BASE + path)["version"]["id"] == version_id

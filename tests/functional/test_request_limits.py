"""Hostile request shapes answer 400 with the owning service's fault body, never a 500:
JSON nested 100,000 deep (also on the unauthenticated token issue), lone surrogates, NaN and
Infinity, thousands of query parameters, and a microversion header thousands of digits long.
"""
from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.api import REQUEST_ID, Api, assert_fault
from tests.support.identity import Cloud, Member, unique

DEEP = "[" * 100_000 + "]" * 100_000
DEEP_IN_OBJECT = '{"auth": ' + "[" * 100_000 + "]" * 100_000 + "}"


def send(api: Api, method: str, url: str, token: str = "", content: str | bytes | None = None,
         headers: dict[str, str] | None = None, params: Any = None) -> httpx.Response:
    """A request to any service's full path (``api.get`` prefixes ``/identity``)."""
    hdrs = {"Content-Type": "application/json", **(headers or {})}
    if token:
        hdrs["X-Auth-Token"] = token
    response = api.http.request(method, url, content=content, headers=hdrs, params=params)
    assert REQUEST_ID.match(response.headers.get("x-openstack-request-id", "")), response
    return response


def assert_nova_bad_request(response: httpx.Response) -> str:
    assert response.status_code == 400, response.text[:500]
    fault = response.json()["badRequest"]
    assert fault["code"] == 400 and fault["message"].strip()
    return fault["message"]


def assert_placement_bad_request(response: httpx.Response) -> str:
    assert response.status_code == 400, response.text[:500]
    (error,) = response.json()["errors"]
    assert error["status"] == 400 and error["detail"].strip()
    return error["detail"]


def assert_glance_bad_request(response: httpx.Response) -> None:
    assert response.status_code == 400, response.text[:500]
    assert response.headers["content-type"].startswith("text/html")
    assert "400 Bad Request" in response.text


# --- nesting ---------------------------------------------------------------------------

@pytest.mark.parametrize("raw", [DEEP, DEEP_IN_OBJECT])
def test_deep_json_on_unauthenticated_token_issue(api: Api, raw: str):
    assert_fault(api.post("/v3/auth/tokens", content=raw), 400)


def test_deep_json_on_every_service(api: Api, cloud: Cloud, member: Member):
    assert_fault(api.post("/v3/projects", token=cloud.admin_token, content=DEEP), 400)
    assert_nova_bad_request(send(api, "POST", "/compute/v2.1/servers", member.token,
                                 '{"server": ' + DEEP + "}"))
    assert_glance_bad_request(send(api, "POST", "/image/v2/images", member.token,
                                   '{"name": ' + DEEP + "}"))
    assert_placement_bad_request(send(api, "POST", "/placement/resource_providers",
                                      cloud.admin_token, '{"name": ' + DEEP + "}"))


def test_moderate_nesting_still_parses(api: Api, cloud: Cloud):
    """Depth alone is no fault: a body 30 levels deep reaches the handler (which refuses
    the project for its shape, not for its depth)."""
    nested = "[" * 30 + "]" * 30
    message = assert_fault(api.post("/v3/projects", token=cloud.admin_token,
                                    content='{"project": {"name": "x", "tags": ' + nested
                                            + "}}"), 400)
    assert "nested" not in message


# --- strings and numbers ---------------------------------------------------------------

def test_lone_surrogate_in_names(api: Api, cloud: Cloud, member: Member):
    assert_fault(api.post("/v3/projects", token=cloud.admin_token,
                          content='{"project": {"name": "a\\ud800b"}}'), 400, "surrogate")
    assert_glance_bad_request(send(api, "POST", "/image/v2/images", member.token,
                                   '{"name": "x\\ud800"}'))
    assert_placement_bad_request(send(api, "POST", "/placement/resource_providers",
                                      cloud.admin_token, '{"name": "\\udfff"}'))
    assert_fault(api.post("/v3/projects", token=cloud.admin_token,
                          content='{"project": {"name": "n", "\\ud800": 1}}'), 400,
                 "surrogate")


def test_surrogate_pair_is_a_character(api: Api, cloud: Cloud):
    response = api.post("/v3/projects", token=cloud.admin_token,
                        content='{"project": {"name": "smile-\\ud83d\\ude00-%s"}}'
                                % unique())
    assert response.status_code == 201, response.text
    assert response.json()["project"]["name"].startswith("smile-\U0001F600-")


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_numbers(api: Api, cloud: Cloud, number: str):
    """JSON has no such numbers; a project keeps unknown attributes, so without the check
    one would be stored and rendered back as invalid JSON."""
    name = unique("nan")
    assert_fault(api.post("/v3/projects", token=cloud.admin_token,
                          content='{"project": {"name": "%s", "weight": %s}}' % (name, number)),
                 400, number)
    assert api.get("/v3/projects", token=cloud.admin_token,
                   params={"name": name}).json()["projects"] == []
    assert_fault(api.post("/v3/auth/tokens", content='{"auth": {"x": %s}}' % number), 400)


# --- query and headers -----------------------------------------------------------------

def test_two_thousand_query_parameters(api: Api, cloud: Cloud, member: Member):
    params = [(f"p{i}", "x") for i in range(2000)]
    assert_fault(api.get("/v3/projects", token=cloud.admin_token, params=params), 400,
                 "query parameters")
    assert_nova_bad_request(send(api, "GET", "/compute/v2.1/servers", member.token,
                                 params=[("tags-any", f"t{i}") for i in range(2000)]))


def test_a_few_hundred_query_parameters_pass(api: Api, cloud: Cloud):
    params = [("name", "nothing-like-this")] + [(f"p{i}", "x") for i in range(200)]
    response = api.get("/v3/projects", token=cloud.admin_token, params=params)
    assert response.status_code == 200, response.text[:300]


def test_overlong_version_headers(api: Api, cloud: Cloud, member: Member):
    digits = "2." + "1" * 5000
    assert_nova_bad_request(send(api, "GET", "/compute/v2.1/flavors", member.token,
                                 headers={"OpenStack-API-Version": "compute " + digits}))
    assert_nova_bad_request(send(api, "GET", "/compute/v2.1/flavors", member.token,
                                 headers={"X-OpenStack-Nova-API-Version": digits}))
    assert_placement_bad_request(send(api, "GET", "/placement/resource_providers",
                                      cloud.admin_token,
                                      headers={"OpenStack-API-Version": "placement " +
                                               "1." + "9" * 5000}))
    assert_fault(api.get("/v3/projects", token=cloud.admin_token,
                         headers={"OpenStack-API-Version": "identity " + "3" * 100}), 400)


def test_ordinary_version_header_passes(api: Api, member: Member):
    response = send(api, "GET", "/compute/v2.1/flavors", member.token,
                    headers={"OpenStack-API-Version": "compute 2.96"})
    assert response.status_code == 200, response.text[:300]


"""``os-networks`` and ``os-tenant-networks`` with no network service: a project sees no
networks, nova-network's write calls are gone (410), and both APIs end at 2.36."""
from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.api import Api
from tests.support.identity import Member

ROOT = "/compute/v2.1"
KINDS = ("os-networks", "os-tenant-networks")


def nova(api: Api, method: str, path: str, token: str, version: str = "2.1",
         **kw: Any) -> httpx.Response:
    headers = {"X-Auth-Token": token, "OpenStack-API-Version": f"compute {version}"}
    return api.http.request(method, ROOT + path, headers=headers, **kw)


def fault(response: httpx.Response, status: int, name: str) -> str:
    assert response.status_code == status, response.text[:800]
    body = response.json()
    assert list(body) == [name] and body[name]["code"] == status, body
    return body[name]["message"]


@pytest.mark.parametrize("kind", KINDS)
def test_no_networks_without_a_network_service(api: Api, member: Member, admin_token: str,
                                               kind: str):
    for token in (member.token, admin_token):
        response = nova(api, "GET", f"/{kind}", token)
        assert response.status_code == 200 and response.json() == {"networks": []}
        assert response.headers["openstack-api-version"] == "compute 2.1"
    assert "not found" in fault(nova(api, "GET", f"/{kind}/some-net", member.token), 404,
                                "itemNotFound")


@pytest.mark.parametrize("kind", KINDS)
def test_nova_network_writes_are_gone(api: Api, admin_token: str, kind: str):
    fault(nova(api, "POST", f"/{kind}", admin_token, json={"network": {"label": "x"}}), 410,
          "computeFault")
    fault(nova(api, "DELETE", f"/{kind}/some-net", admin_token), 410, "computeFault")


def test_network_associations_are_gone(api: Api, admin_token: str):
    fault(nova(api, "POST", "/os-networks/add", admin_token, json={"id": "x"}), 410,
          "computeFault")
    fault(nova(api, "POST", "/os-networks/x/action", admin_token,
               json={"disassociate": None}), 410, "computeFault")


@pytest.mark.parametrize("kind", KINDS)
def test_gone_from_2_36(api: Api, member: Member, kind: str):
    assert nova(api, "GET", f"/{kind}", member.token, version="2.35").status_code == 200
    fault(nova(api, "GET", f"/{kind}", member.token, version="2.36"), 404, "itemNotFound")
    fault(nova(api, "GET", f"/{kind}/x", member.token, version="latest"), 404,
          "itemNotFound")
    fault(nova(api, "POST", f"/{kind}", member.token, version="2.36", json={}), 404,
          "itemNotFound")

"""Networking functional tests: the whole app in process (the shared ``api`` fixture),
spoken to under ``/network/v2.0``."""
from __future__ import annotations

import contextlib
from typing import Any

import httpx
import pytest

from tests.support.api import Api, assert_status
from tests.support.identity import Cloud, Member, unique


class NetApi(Api):
    """The shared in-process client with paths relative to ``/network/v2.0``, calling as
    the cloud admin unless given another token."""

    prefix = "/network/v2.0"

    def __init__(self, base: Api, admin_token: str):  # noqa: D107 - shares the base client
        self._stack = contextlib.ExitStack()
        self.http = base.http
        self.admin = admin_token
        self.api = base

    def request(self, method: str, path: str, token: str | None = None,  # type: ignore[override]
                **kw: Any) -> httpx.Response:
        return super().request(method, path, token=token or self.admin, **kw)

    def get(self, path: str, token: str | None = None, **kw: Any) -> httpx.Response:
        return self.request("GET", path, token, **kw)

    def post(self, path: str, token: str | None = None, **kw: Any) -> httpx.Response:
        return self.request("POST", path, token, **kw)

    def put(self, path: str, token: str | None = None, **kw: Any) -> httpx.Response:
        return self.request("PUT", path, token, **kw)

    def delete(self, path: str, token: str | None = None, **kw: Any) -> httpx.Response:
        return self.request("DELETE", path, token, **kw)

    def create(self, collection: str, member: str, token: str | None = None,
               status: int = 201, **attrs: Any) -> dict[str, Any]:
        body = assert_status(self.post(f"/{collection}", token, json={member: attrs}), status)
        return body.get(member, body)

    def network(self, token: str | None = None, **attrs: Any) -> dict[str, Any]:
        attrs.setdefault("name", unique("net"))
        return self.create("networks", "network", token, **attrs)


def neutron_fault(response: httpx.Response, status: int, kind: str | None = None) -> dict:
    """The ``NeutronError`` body of a fault with ``status`` (and ``type``, when given)."""
    assert response.status_code == status, (response.status_code, response.text)
    error = response.json()["NeutronError"]
    assert set(error) == {"type", "message", "detail"}, error
    if kind is not None:
        assert error["type"] == kind, error
    return error


@pytest.fixture(scope="module")
def net(api: Api, admin_token: str) -> NetApi:
    return NetApi(api, admin_token)


__all__ = ["Cloud", "Member", "NetApi", "neutron_fault", "unique"]

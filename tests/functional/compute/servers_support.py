"""Helpers shared by the server policy, schema and race tests: a compute client, an image
the caller owns, a booted server and a way to put a server in the state an action needs
(no host agent runs in functional tests, so states are arranged in the database)."""
from __future__ import annotations

from typing import Any

import httpx
import pytest

from onestack.compute import models as cm
from onestack.compute.flavors import ensure_default_flavors
from onestack.core.db import Database
from tests.support.api import Api
from tests.support.identity import Cloud, Member, unique

ROOT = "/compute/v2.1"


class Nova:
    """``nova("POST", "/servers", token, json=...)`` on the in-process app."""

    def __init__(self, api: Api):
        self.api = api

    def __call__(self, method: str, path: str, token: str, version: str = "2.1",
                 **kw: Any) -> httpx.Response:
        headers = {"X-Auth-Token": token, "OpenStack-API-Version": f"compute {version}"}
        return self.api.http.request(method, ROOT + path, headers=headers, **kw)

    def action(self, server_id: str, token: str, body: dict, version: str = "2.1"
               ) -> httpx.Response:
        return self(f"POST", f"/servers/{server_id}/action", token, version, json=body)


def make_image(api: Api, token: str, visibility: str = "private") -> str:
    """An active image owned by the token's project."""
    headers = {"X-Auth-Token": token}
    r = api.http.post("/image/v2/images", headers=headers, json={
        "name": unique("img"), "disk_format": "raw", "container_format": "bare",
        "visibility": visibility})
    assert r.status_code == 201, r.text
    image_id = r.json()["id"]
    r = api.http.put(f"/image/v2/images/{image_id}/file", content=b"x" * 512,
                     headers={**headers, "Content-Type": "application/octet-stream"})
    assert r.status_code == 204, r.text
    return image_id


def ensure_flavors(db_url: str) -> None:
    db = Database(db_url)
    try:
        ensure_default_flavors(db)
    finally:
        db.dispose()


def boot(nova: Nova, token: str, image_id: str, flavor: str = "42", **extra: Any) -> str:
    body = {"server": {"name": unique("vm"), "imageRef": image_id, "flavorRef": flavor,
                       **extra}}
    r = nova("POST", "/servers", token, json=body)
    assert r.status_code == 202, r.text
    return r.json()["server"]["id"]


def arrange(sql: Database, server_id: str, vm_state: str = "active",
            task_state: str | None = None, host: str | None = "policy-host",
            **columns: Any) -> None:
    """Put the server where an action can start (as a host agent would have left it)."""

    def work(s) -> None:
        inst = s.get(cm.Instance, server_id)
        inst.vm_state, inst.task_state, inst.host = vm_state, task_state, host
        for name, value in columns.items():
            setattr(inst, name, value)
    sql.write(work)


@pytest.fixture(scope="module")
def nova(api: Api) -> Nova:
    """A compute client on the module's app (import this fixture into a test module)."""
    return Nova(api)


@pytest.fixture
def owner(cloud: Cloud, db_url: str) -> Member:
    """A member of a fresh project, with the default flavors in place."""
    ensure_flavors(db_url)
    return cloud.make_project_member()

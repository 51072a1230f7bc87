"""Compute decides whether a caller may boot or rebuild from an image with the image
service's own visibility rule (issue 6 / issue 7 F8): a project that is not a member of
another project's ``shared`` image gets Nova's 400 "Image … could not be found" on boot and
rebuild, exactly as ``GET /image/v2/images/{id}`` answers it 404; a member — in any member
status, since Glance shows a shared image to its members whatever their status — boots."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from onestack.compute.flavors import ensure_default_flavors
from onestack.core.db import Database
from tests.support.api import Api
from tests.support.identity import Cloud, Member, unique

HEADERS = {"OpenStack-API-Version": "compute 2.1"}


@pytest.fixture(scope="module", autouse=True)
def images_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    path = str(tmp_path_factory.mktemp("images"))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ONESTACK_IMAGE_DIR", path)
        yield path


@pytest.fixture(scope="module", autouse=True)
def flavors(db_url: str) -> None:
    db = Database(db_url)
    try:
        ensure_default_flavors(db)
    finally:
        db.dispose()


def call(api: Api, method: str, path: str, token: str, json: Any = None) -> httpx.Response:
    kwargs: dict[str, Any] = {"headers": {"X-Auth-Token": token, **HEADERS}}
    if json is not None:
        kwargs["json"] = json
    return api.http.request(method, path, **kwargs)


def active_image(api: Api, token: str, **attrs: Any) -> str:
    body = {"name": unique("img"), "disk_format": "raw", "container_format": "bare", **attrs}
    created = call(api, "POST", "/image/v2/images", token, body)
    assert created.status_code == 201, created.text
    image_id = created.json()["id"]
    put = api.http.put(f"/image/v2/images/{image_id}/file", content=b"disk" * 256,
                       headers={"X-Auth-Token": token,
                                "Content-Type": "application/octet-stream"})
    assert put.status_code == 204, put.text
    return image_id


def boot(api: Api, token: str, image_id: str) -> httpx.Response:
    return call(api, "POST", "/compute/v2.1/servers", token, {"server": {
        "name": unique("vm"), "imageRef": image_id, "flavorRef": "42"}})


def share(api: Api, owner: Member, image_id: str, member: Member, status: str) -> None:
    added = call(api, "POST", f"/image/v2/images/{image_id}/members", owner.token,
                 {"member": member.project["id"]})
    assert added.status_code == 200, added.text
    if status != "pending":
        changed = call(api, "PUT",
                       f"/image/v2/images/{image_id}/members/{member.project['id']}",
                       member.token, {"status": status})
        assert changed.status_code == 200, changed.text


def assert_image_not_found(response: httpx.Response, image_id: str) -> None:
    assert response.status_code == 400, response.text
    fault = response.json()["badRequest"]
    assert fault["code"] == 400
    assert fault["message"] == f"Image {image_id} could not be found."


def test_non_member_cannot_boot_or_rebuild_from_a_shared_image(api: Api, cloud: Cloud):
    alice, bob = cloud.make_project_member(), cloud.make_project_member()
    shared = active_image(api, alice.token, visibility="shared")
    assert call(api, "GET", f"/image/v2/images/{shared}", bob.token).status_code == 404
    assert_image_not_found(boot(api, bob.token, shared), shared)

    own = active_image(api, bob.token, visibility="private")
    server = boot(api, bob.token, own)
    assert server.status_code == 202, server.text
    server_id = server.json()["server"]["id"]
    rebuild = call(api, "POST", f"/compute/v2.1/servers/{server_id}/action", bob.token,
                   {"rebuild": {"imageRef": shared}})
    assert_image_not_found(rebuild, shared)
    # the owner boots it, and so does an admin
    assert boot(api, alice.token, shared).status_code == 202
    assert boot(api, cloud.admin_token, shared).status_code == 202


@pytest.mark.parametrize("status", ["pending", "accepted", "rejected"])
def test_a_member_in_any_status_boots_from_a_shared_image(api: Api, cloud: Cloud,
                                                           status: str):
    alice, carol = cloud.make_project_member(), cloud.make_project_member()
    shared = active_image(api, alice.token, visibility="shared")
    share(api, alice, shared, carol, status)
    assert call(api, "GET", f"/image/v2/images/{shared}", carol.token).status_code == 200
    response = boot(api, carol.token, shared)
    assert response.status_code == 202, response.text


def test_private_and_community_images(api: Api, cloud: Cloud):
    alice, bob = cloud.make_project_member(), cloud.make_project_member()
    private = active_image(api, alice.token, visibility="private")
    community = active_image(api, alice.token, visibility="community")
    assert_image_not_found(boot(api, bob.token, private), private)
    assert boot(api, bob.token, community).status_code == 202

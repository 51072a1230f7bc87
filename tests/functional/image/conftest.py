"""Image functional tests: the whole app in process (the shared ``api`` fixture of
tests/functional/conftest.py), spoken to under ``/image``.

Image bytes go to the filesystem store: next to the SQLite file, or (server backends)
under a temporary ``ONESTACK_IMAGE_DIR`` this module sets before the app is built.
"""
from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support.api import Api, assert_status
from tests.support.identity import Cloud, Member

PATCH = "application/openstack-images-v2.1-json-patch"


@pytest.fixture(scope="module", autouse=True)
def image_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    path = str(tmp_path_factory.mktemp("images"))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ONESTACK_IMAGE_DIR", path)
        yield path


class ImageApi(Api):
    """The shared in-process client, with paths relative to ``/image``."""

    prefix = "/image"

    def __init__(self, base: Api):  # noqa: D107 - shares the base client, owns nothing
        self._stack = contextlib.ExitStack()
        self.http = base.http

    # --- shortcuts ----------------------------------------------------------------------
    def create(self, token: str, status: int = 201, **attrs: Any) -> dict[str, Any]:
        return assert_status(self.post("/v2/images", token=token, json=attrs), status)

    def show(self, token: str, image_id: str, status: int = 200) -> dict[str, Any]:
        return assert_status(self.get(f"/v2/images/{image_id}", token=token), status)

    def patch_image(self, token: str, image_id: str, ops: list[dict[str, Any]],
                    media: str = PATCH) -> httpx.Response:
        return self.patch(f"/v2/images/{image_id}", token=token, json=ops,
                          headers={"Content-Type": media})

    def upload(self, token: str, image_id: str, data: bytes) -> httpx.Response:
        return self.put(f"/v2/images/{image_id}/file", token=token, content=data,
                        headers={"Content-Type": "application/octet-stream"})

    def ids(self, token: str, **params: Any) -> list[str]:
        body = assert_status(self.get("/v2/images", token=token, params=params), 200)
        return [i["id"] for i in body["images"]]


def assert_glance_fault(response: httpx.Response, status: int, text: str | None = None) -> str:
    """Glance answers faults with a small HTML page naming the status."""
    assert response.status_code == status, \
        f"expected {status}, got {response.status_code}: {response.text[:800]}"
    assert response.headers["content-type"].startswith("text/html")
    assert f"<title>{status} " in response.text
    if text is not None:
        assert text in response.text, response.text
    return response.text


@pytest.fixture(scope="module")
def glance(api: Api, image_dir: str) -> ImageApi:
    return ImageApi(api)


@pytest.fixture
def owner(cloud: Cloud) -> Member:
    """A member of a fresh project: creates and owns images."""
    return cloud.make_project_member()


@pytest.fixture
def other(cloud: Cloud) -> Member:
    """A member of another fresh project."""
    return cloud.make_project_member()


@pytest.fixture
def reader(cloud: Cloud, owner: Member) -> Member:
    """A reader on the owner's project."""
    return cloud.make_project_member(role="reader", project=owner.project)

"""Nova's image-proxy ``DELETE /compute/v2.1/images/{id}`` is the image service's own delete:
rows and bytes go, from the store the image service was built with — not from a store
compute derives from the database URL or the environment when the request comes."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from onestack.image import stores
from onestack.image.drivers.filesystem import FilesystemStore
from onestack.image.stores import image_dir
from tests.support.api import Api
from tests.support.identity import Cloud, Member, unique

NOVA = "/compute/v2.1"


@pytest.fixture(scope="module", autouse=True)
def images_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Image bytes of server backends go here (SQLite keeps them next to its file)."""
    path = str(tmp_path_factory.mktemp("images"))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ONESTACK_IMAGE_DIR", path)
        yield path


def upload(api: Api, token: str, data: bytes) -> str:
    h = {"X-Auth-Token": token}
    made = api.http.post("/image/v2/images", headers=h, json={
        "name": unique("img"), "disk_format": "raw", "container_format": "bare"})
    assert made.status_code == 201, made.text
    image_id = made.json()["id"]
    put = api.http.put(f"/image/v2/images/{image_id}/file", content=data,
                       headers={**h, "Content-Type": "application/octet-stream"})
    assert put.status_code == 204, put.text
    return image_id


def nova_delete(api: Api, token: str, image_id: str) -> httpx.Response:
    return api.http.delete(f"{NOVA}/images/{image_id}", headers={
        "X-Auth-Token": token, "OpenStack-API-Version": "compute 2.1"})


def glance_status(api: Api, token: str, image_id: str) -> int:
    return api.http.get(f"/image/v2/images/{image_id}",
                        headers={"X-Auth-Token": token}).status_code


def test_proxy_delete_removes_bytes_as_the_image_api_does(api: Api, cloud: Cloud,
                                                           db_url: str):
    owner: Member = cloud.make_project_member()
    root = Path(image_dir(db_url))
    by_glance, by_nova = (upload(api, owner.token, b"g" * 700),
                          upload(api, owner.token, b"n" * 700))
    assert (root / by_glance).is_file() and (root / by_nova).is_file()

    assert api.http.delete(f"/image/v2/images/{by_glance}",
                           headers={"X-Auth-Token": owner.token}).status_code == 204
    assert nova_delete(api, owner.token, by_nova).status_code == 204

    for image_id in (by_glance, by_nova):
        assert glance_status(api, owner.token, image_id) == 404
        assert not (root / image_id).exists(), "the bytes should be gone from the store"


def test_proxy_delete_uses_the_image_services_store(
        make_api: Callable[..., Api], cloud: Cloud, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch):
    """The image service's store is fixed when the cloud is built (here: a directory other
    than the default one); a Nova delete must empty that store, as the image API would."""
    configured = tmp_path / "configured-store"
    default_stores: Any = stores.filesystem_stores
    monkeypatch.setattr(stores, "filesystem_stores", lambda *_a, **_k: (
        FilesystemStore(configured, "file"), FilesystemStore(configured / "staging", "staging")))
    app = make_api()
    monkeypatch.setattr(stores, "filesystem_stores", default_stores)

    owner: Member = cloud.make_project_member()
    image_id = upload(app, owner.token, b"z" * 900)
    assert (configured / image_id).is_file(), "the upload should be in the configured store"

    assert nova_delete(app, owner.token, image_id).status_code == 204
    assert glance_status(app, owner.token, image_id) == 404
    assert not (configured / image_id).exists(), \
        "the proxy's delete should remove the bytes from the image service's own store"

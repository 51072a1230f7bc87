"""Where a new volume's bytes come from, as the API checks it: an image (visible, active,
not larger than the volume, min_disk), a snapshot (available; the size defaults to it;
the volume stays on its backend), a backup (3.47), and multiattach from the type."""
from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from onestack.core.db import utcnow
from onestack.volume.models.snapshots import Snapshot
from onestack.volume.models.volumes import Volume
from tests.functional.volume.conftest import BACKEND, VolApi, cinder_fault
from tests.support.api import Api, assert_status
from tests.support.identity import Cloud, Member

GIB = 1 << 30


@pytest.fixture(scope="module", autouse=True)
def image_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    path = str(tmp_path_factory.mktemp("images"))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ONESTACK_IMAGE_DIR", path)
        yield path


@pytest.fixture(scope="module")
def owner(cloud: Cloud, vol: VolApi) -> Member:
    member = cloud.make_project_member()
    vol.unlimit(member.project["id"])
    return member


def image(api: Api, token: str, data: bytes | None = b"x" * 4096, **attrs) -> str:  # noqa: ANN003
    body = {"name": "img", "disk_format": "raw", "container_format": "bare", **attrs}
    made = assert_status(api.post("/image/v2/images", json=body,
                                  headers={"X-Auth-Token": token}), 201)
    if data is not None:
        response = api.put(f"/image/v2/images/{made['id']}/file", content=data,
                           headers={"X-Auth-Token": token,
                                    "Content-Type": "application/octet-stream"})
        assert response.status_code == 204, response.text
    return made["id"]


@pytest.fixture(scope="module")
def raw_api(vol: VolApi) -> Api:
    """The app without a path prefix (for the image API)."""
    base = Api.__new__(Api)
    base.http = vol.http
    base.prefix = ""
    return base


def test_volume_from_an_image(vol: VolApi, raw_api: Api, owner: Member) -> None:
    image_id = image(raw_api, owner.token)
    v = vol.volume(owner.token, size=1, imageRef=image_id, settle=False)
    assert v["status"] == "creating"
    assert vol.db.read(lambda s: s.get(Volume, v["id"]).image_id) == image_id


def test_image_larger_than_the_volume_or_min_disk_is_400(vol: VolApi, raw_api: Api,
                                                         owner: Member) -> None:
    big = image(raw_api, owner.token, min_disk=2)
    cinder_fault(vol.post("/volumes", owner.token, json={"volume": {
        "size": 1, "imageRef": big}}), 400, "minDisk")
    assert_status(vol.post("/volumes", owner.token, json={"volume": {
        "size": 2, "imageRef": big}}), 202)
    queued = image(raw_api, owner.token, data=None)
    cinder_fault(vol.post("/volumes", owner.token, json={"volume": {
        "size": 2, "imageRef": queued}}), 400, "not active")
    sized = image(raw_api, owner.token)
    from onestack.image import models as im

    # as if 1 GiB and a byte had been uploaded (without writing them)
    vol.db.write(lambda s: setattr(s.get(im.Image, sized), "size", GIB + 1))
    cinder_fault(vol.post("/volumes", owner.token, json={"volume": {
        "size": 1, "imageRef": sized}}), 400, "larger than volume size")
    assert_status(vol.post("/volumes", owner.token, json={"volume": {
        "size": 2, "imageRef": sized}}), 202)


def test_deactivated_or_invisible_images(vol: VolApi, raw_api: Api, owner: Member,
                                         cloud: Cloud) -> None:
    image_id = image(raw_api, owner.token)
    stranger = cloud.make_project_member()
    cinder_fault(vol.post("/volumes", stranger.token, json={"volume": {
        "size": 1, "imageRef": image_id}}), 404)
    assert raw_api.post(f"/image/v2/images/{image_id}/actions/deactivate",
                        headers={"X-Auth-Token": vol.admin}).status_code == 204
    cinder_fault(vol.post("/volumes", owner.token, json={"volume": {
        "size": 1, "imageRef": image_id}}), 400, "not active")


def _snapshot(vol: VolApi, volume: dict, project: str, status: str = "available") -> str:
    ident = str(uuid.uuid4())
    vol.db.write(lambda s: s.add(Snapshot(id=ident, volume_id=volume["id"],
                                          project_id=project, status=status,
                                          size=volume["size"], host=BACKEND,
                                          created_at=utcnow())))
    return ident


def test_volume_from_a_snapshot(vol: VolApi, owner: Member, cloud: Cloud) -> None:
    src = vol.volume(owner.token, size=2)
    snap = _snapshot(vol, src, owner.project["id"])
    v = vol.volume(owner.token, snapshot_id=snap, size=None, settle=False)
    assert v["size"] == 2 and v["snapshot_id"] == snap and v["status"] == "creating"
    assert vol.db.read(lambda s: s.get(Volume, v["id"]).host) == BACKEND
    cinder_fault(vol.post("/volumes", owner.token, json={"volume": {
        "snapshot_id": snap, "size": 1}}), 400)
    busy = _snapshot(vol, src, owner.project["id"], status="creating")
    cinder_fault(vol.post("/volumes", owner.token, json={"volume": {
        "snapshot_id": busy}}), 400, "Originating snapshot status must be 'available'")
    stranger = cloud.make_project_member()
    cinder_fault(vol.post("/volumes", stranger.token, json={"volume": {
        "snapshot_id": snap}}), 404)


def test_only_one_source(vol: VolApi, owner: Member) -> None:
    src = vol.volume(owner.token)
    snap = _snapshot(vol, src, owner.project["id"])
    cinder_fault(vol.post("/volumes", owner.token, json={"volume": {
        "snapshot_id": snap, "source_volid": src["id"]}}), 400)


def test_backup_source_from_3_47(vol: VolApi, owner: Member) -> None:
    missing = str(uuid.uuid4())
    cinder_fault(vol.post("/volumes", owner.token, version="3.47", json={"volume": {
        "backup_id": missing, "size": 1}}), 404, f"Backup {missing} could not be found.")
    # before 3.47 the key means nothing (an empty volume is made)
    assert_status(vol.post("/volumes", owner.token, json={"volume": {
        "backup_id": missing, "size": 1}}), 202)


def test_multiattach_comes_from_the_type(vol: VolApi) -> None:
    name = "multi-" + uuid.uuid4().hex[:8]
    made = assert_status(vol.post("/types", json={"volume_type": {
        "name": name, "extra_specs": {"multiattach": "<is> True"}}}), 200)["volume_type"]
    v = vol.volume(volume_type=made["id"], settle=False)
    assert v["multiattach"] is True and v["volume_type"] == name
    assert v["status"] == "creating"
    assert vol.volume(settle=False)["multiattach"] is False

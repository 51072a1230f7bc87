"""The volume agent running (its worker threads, resync and heartbeat) beside the app,
driven through the Block Storage and Image APIs: real bytes from an image into a volume,
extended, snapshotted, cloned, uploaded back and downloaded; deletes gone for good.

The agent serves a backend in an availability zone of its own, so the test backend the
other volume tests use (no agent behind it) never gets these volumes."""
from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from onestack.core.bus import InProcessBus
from onestack.core.registry import AgentContext
from onestack.image.seam import ImageSeam
from onestack.volume.agent.host import VolumeAgent
from onestack.volume.agent.runner import Running, start_host
from tests.functional.conftest import settings_for
from tests.functional.volume.conftest import VolApi
from tests.support.api import assert_status

MiB = 1 << 20
GiB = 1 << 30


def pattern(size: int, seed: int) -> bytes:
    block = hashlib.sha256(str(seed).encode()).digest() * 128  # 4 KiB, never zero
    return (block * (size // len(block) + 1))[:size]


@pytest.fixture(scope="module")
def agent(db_url: str, vol: VolApi, tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[VolumeAgent]:
    settings = settings_for(db_url, volume_backend="file",
                            volume_data_dir=str(tmp_path_factory.mktemp("volumes")))
    zone = f"agentzone-{uuid.uuid4().hex[:6]}"
    ctx = AgentContext(vol.db, InProcessBus(), settings, hosts=((f"va-{zone}", zone),),
                       seams={"image": ImageSeam.from_settings(vol.db, settings)})
    running = Running()
    agent = start_host(ctx, running, f"va-{zone}", zone, resync=0.1, heartbeat=0.5)
    try:
        yield agent
    finally:
        running.stop()


def padded_sha256(data: bytes, size: int) -> str:
    """The SHA-256 of ``data`` followed by zeros up to ``size`` bytes."""
    digest, zeros = hashlib.sha256(data), bytes(MiB)
    left = size - len(data)
    while left:
        digest.update(zeros[:min(left, MiB)])
        left -= min(left, MiB)
    return digest.hexdigest()


def image_call(vol: VolApi, method: str, path: str, **kw: Any) -> Any:
    headers = {"X-Auth-Token": vol.admin, **kw.pop("headers", {})}
    return vol.http.request(method, "/image" + path, headers=headers, **kw)


def make_image(vol: VolApi, data: bytes, disk_format: str = "raw") -> str:
    image = assert_status(image_call(vol, "POST", "/v2/images", json={
        "name": f"src-{uuid.uuid4().hex[:6]}", "disk_format": disk_format,
        "container_format": "bare", "visibility": "public", "os_distro": "cirros"}), 201)
    done = image_call(vol, "PUT", f"/v2/images/{image['id']}/file", content=data,
                      headers={"Content-Type": "application/octet-stream"})
    assert done.status_code == 204, done.text
    return image["id"]


def wait(vol: VolApi, path: str, key: str, statuses: tuple[str, ...] = ("available",),
         timeout: float = 30.0) -> dict[str, Any] | None:
    """The resource once its status is one of ``statuses`` (None once it is gone)."""
    deadline = time.monotonic() + timeout
    seen = None
    while time.monotonic() < deadline:
        response = vol.get(path)
        if response.status_code == 404:
            return None
        seen = assert_status(response, 200)[key]
        if seen["status"] in statuses:
            return seen
        assert not seen["status"].startswith("error"), seen
        time.sleep(0.05)
    raise AssertionError(f"{path} still {seen and seen['status']} after {timeout} s")


def create(vol: VolApi, agent: VolumeAgent, **attrs: Any) -> dict[str, Any]:
    attrs.setdefault("size", 1)
    body = assert_status(vol.post("/volumes", json={"volume": {
        "availability_zone": agent.zone, **attrs}}), 202)["volume"]
    return wait(vol, f"/volumes/{body['id']}", "volume")  # type: ignore[return-value]


def volume_bytes(agent: VolumeAgent, volume_id: str, n: int) -> bytes:
    out = bytearray()
    for chunk in agent.driver.read_volume(volume_id):
        out += chunk
        if len(out) >= n:
            break
    return bytes(out[:n])


def test_the_agents_backend_is_registered_and_beats(vol: VolApi, agent: VolumeAgent
                                                    ) -> None:
    from onestack.volume.models.backends import Backend

    first = vol.db.read(lambda s: s.get(Backend, agent.name).heartbeat_at)
    time.sleep(1.2)
    row = vol.db.read(lambda s: s.get(Backend, agent.name))
    assert row.heartbeat_at > first and row.total_capacity_gb > 0
    assert row.availability_zone == agent.zone and row.driver == "file"


def test_image_to_volume_to_image_keeps_the_bytes(vol: VolApi, agent: VolumeAgent) -> None:
    data = pattern(3 * MiB + 5, seed=1)
    image = make_image(vol, data)
    volume = create(vol, agent, imageRef=image)
    assert volume["bootable"] == "true"
    assert volume["volume_image_metadata"]["image_id"] == image
    assert volume["volume_image_metadata"]["os_distro"] == "cirros"
    assert volume_bytes(agent, volume["id"], len(data)) == data
    path = Path(agent.driver.volume_path(volume["id"]))
    assert path.stat().st_size == GiB
    # back to an image, downloaded whole
    up = assert_status(vol.post(f"/volumes/{volume['id']}/action", json={
        "os-volume_upload_image": {"image_name": "back", "disk_format": "raw",
                                   "container_format": "bare"}}), 202)
    target = up["os-volume_upload_image"]["image_id"]
    wait(vol, f"/volumes/{volume['id']}", "volume", timeout=180)  # 1 GiB hashed and stored
    deadline = time.monotonic() + 30
    while image_call(vol, "GET", f"/v2/images/{target}").json()["status"] != "active":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    downloaded = image_call(vol, "GET", f"/v2/images/{target}/file").content
    assert len(downloaded) == GiB
    assert hashlib.sha256(downloaded).hexdigest() == padded_sha256(data, GiB)


def test_extend_keeps_the_data_and_a_snapshot_keeps_the_old_bytes(vol: VolApi,
                                                                  agent: VolumeAgent
                                                                  ) -> None:
    old, new = pattern(MiB, seed=2), pattern(MiB, seed=3)
    volume = create(vol, agent, imageRef=make_image(vol, old))
    assert_status(vol.post(f"/volumes/{volume['id']}/action",
                           json={"os-extend": {"new_size": 2}}), 202)
    extended = wait(vol, f"/volumes/{volume['id']}", "volume")
    assert extended["size"] == 2
    assert agent.driver.volume_size_gb(volume["id"]) == 2
    assert volume_bytes(agent, volume["id"], MiB) == old
    snap = assert_status(vol.post("/snapshots", json={"snapshot": {
        "volume_id": volume["id"], "name": "before"}}), 202)["snapshot"]
    snap = wait(vol, f"/snapshots/{snap['id']}", "snapshot")
    assert snap["os-extended-snapshot-attributes:progress"] == "100%"
    agent.driver.write_volume(volume["id"], 2, [new])  # the volume overwritten
    from_snap = create(vol, agent, snapshot_id=snap["id"], size=2)
    clone = create(vol, agent, source_volid=volume["id"], size=3)
    assert volume_bytes(agent, from_snap["id"], MiB) == old
    assert volume_bytes(agent, clone["id"], MiB) == new
    assert agent.driver.volume_size_gb(clone["id"]) == 3
    # deletes: the snapshot, then every volume, gone for good (bytes included)
    assert vol.delete(f"/snapshots/{snap['id']}").status_code == 202
    assert wait(vol, f"/snapshots/{snap['id']}", "snapshot", ()) is None
    assert not agent.driver.snapshot_exists(snap["id"])
    for made in (volume, from_snap, clone):
        assert vol.delete(f"/volumes/{made['id']}").status_code == 202
    for made in (volume, from_snap, clone):
        assert wait(vol, f"/volumes/{made['id']}", "volume", ()) is None
        assert not agent.driver.volume_exists(made["id"])


def test_an_image_too_big_for_the_volume_ends_in_error_with_a_message(
        vol: VolApi, agent: VolumeAgent) -> None:
    image = make_image(vol, pattern(2 * MiB, seed=4))
    from onestack.image import models as im

    # the image claims to be small enough for the API, but its bytes are not
    vol.db.write(lambda s: setattr(s.get(im.Image, image), "virtual_size", 2 * GiB))
    body = assert_status(vol.post("/volumes", json={"volume": {
        "size": 1, "imageRef": image, "availability_zone": agent.zone}}), 202)["volume"]
    final = _wait_error(vol, body["id"])
    assert final["status"] == "error"
    messages = assert_status(vol.get("/messages", version="3.3"), 200)["messages"]
    mine = [m for m in messages if m["resource_uuid"] == body["id"]]
    assert mine and mine[0]["event_id"] == "VOLUME_VOLUME_005_007"


def _wait_error(vol: VolApi, volume_id: str, timeout: float = 30.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        volume = assert_status(vol.get(f"/volumes/{volume_id}"), 200)["volume"]
        if volume["status"] == "error":
            return volume
        time.sleep(0.05)
    raise AssertionError(f"volume {volume_id} did not end in error")

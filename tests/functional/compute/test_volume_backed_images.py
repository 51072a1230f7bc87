"""Images of volume-backed servers: ``createImage`` snapshots the server's volumes through
the volume service and registers an active, empty image whose properties map those
snapshots (``block_device_mapping``, ``bdm_v2``, ``root_device_name``); a boot from that
image makes its root volume from the snapshot; the volume API (3.46) makes a volume from
such an image out of the snapshot. Fake compute driver, in-memory volume driver, agents
driven directly (the fixtures of ``test_volume_attachments``)."""
from __future__ import annotations

import json
import uuid
from typing import Any

from onestack.compute import models as cm
from onestack.compute import states as st
from onestack.compute.agent import HostAgent
from onestack.compute.volume_models import BlockDevice
from onestack.core.db import Database
from onestack.volume.agent.host import VolumeAgent
from tests.functional.compute.servers_support import Nova, make_image
from tests.functional.compute.test_volume_attachments import (  # noqa: F401 - fixtures
    VOL, boot, build, db, host, image_dir, nova, owner, settle, volume, volume_status,
    volumes, zone)
from tests.support.api import Api, assert_status
from tests.support.identity import Cloud, Member

IMG = "/image/v2/images"


def _h(token: str, version: str | None = None) -> dict[str, str]:
    headers = {"X-Auth-Token": token}
    if version:
        headers["OpenStack-API-Version"] = f"volume {version}"
    return headers


def volume_backed_server(nova: Nova, api: Api, db: Database, host: HostAgent,
                         volumes: VolumeAgent, owner: Member, zone: str) -> tuple[str, str]:
    """A server booted from a volume made from an image; (server id, root volume id)."""
    image = make_image(api, owner.token)
    vid = volume(api, owner.token, zone, volumes, imageRef=image)
    r = boot(nova, owner.token, zone, block_device_mapping_v2=[
        {"source_type": "volume", "destination_type": "volume", "uuid": vid,
         "boot_index": 0, "delete_on_termination": True}])
    sid = assert_status(r, 202)["server"]["id"]
    assert build(db, host, volumes, sid).vm_state == st.ACTIVE
    return sid, vid


def create_image(nova: Nova, token: str, sid: str, **extra: Any) -> Any:
    return nova("POST", f"/servers/{sid}/action", token, "2.45",
                json={"createImage": {"name": "bfv-snap", **extra}})


def snapshots_of(api: Api, token: str, volume_id: str) -> list[dict[str, Any]]:
    r = api.http.get(f"{VOL}/snapshots/detail?volume_id={volume_id}", headers=_h(token))
    return assert_status(r, 200)["snapshots"]


def test_create_image_maps_a_snapshot_and_a_boot_from_it_makes_the_root_volume(
        nova: Nova, api: Api, db: Database, host: HostAgent, volumes: VolumeAgent,
        owner: Member, zone: str) -> None:
    sid, root = volume_backed_server(nova, api, db, host, volumes, owner, zone)
    r = create_image(nova, owner.token, sid, metadata={"purpose": "test"})
    image_id = assert_status(r, 202)["image_id"]
    # no work for the host agent: the server is idle at once, the image active and empty
    inst = db.read(lambda s: s.get(cm.Instance, sid))
    assert (inst.vm_state, inst.task_state) == (st.ACTIVE, None)
    image = assert_status(api.http.get(f"{IMG}/{image_id}", headers=_h(owner.token)), 200)
    assert (image["status"], image["size"], image["disk_format"]) == ("active", 0, "raw")
    assert (image["bdm_v2"], image["root_device_name"], image["purpose"]) == (
        "True", "/dev/vda", "test")
    mapping = json.loads(image["block_device_mapping"])
    [snap] = snapshots_of(api, owner.token, root)
    assert snap["name"] == "snapshot for bfv-snap"
    assert len(mapping) == 1
    assert {k: mapping[0][k] for k in ("source_type", "destination_type", "snapshot_id",
                                       "boot_index", "device_name", "volume_size",
                                       "delete_on_termination")} == {
        "source_type": "snapshot", "destination_type": "volume", "snapshot_id": snap["id"],
        "boot_index": 0, "device_name": "/dev/vda", "volume_size": 1,
        "delete_on_termination": True}
    assert mapping[0]["volume_id"] is None and mapping[0]["image_id"] is None
    actions = assert_status(nova("GET", f"/servers/{sid}/os-instance-actions", owner.token),
                            200)["instanceActions"]
    assert actions[0]["action"] == "createImage"
    download = api.http.get(f"{IMG}/{image_id}/file", headers=_h(owner.token))
    assert (download.status_code, download.content) == (200, b"")
    settle(volumes)
    assert snapshots_of(api, owner.token, root)[0]["status"] == "available"

    # a boot from the image: its root volume is made from the snapshot, no image disk
    second = assert_status(boot(nova, owner.token, zone, imageRef=image_id),
                           202)["server"]["id"]
    rows = db.read(lambda s: s.query(BlockDevice).filter_by(instance_id=second).all())
    assert [(r.source_type, r.uuid, r.boot_index, r.device_name, r.volume_size,
             r.delete_on_termination) for r in rows] == [
        ("snapshot", snap["id"], 0, "/dev/vda", 1, True)]
    assert build(db, host, volumes, second).vm_state == st.ACTIVE
    shown = assert_status(nova("GET", f"/servers/{second}", owner.token, "2.3"),
                          200)["server"]
    assert shown["image"]["id"] == image_id
    [attached] = shown["os-extended-volumes:volumes_attached"]
    made = assert_status(api.http.get(f"{VOL}/volumes/{attached['id']}",
                                      headers=_h(owner.token)), 200)["volume"]
    assert made["snapshot_id"] == snap["id"] and made["status"] == "in-use"
    assert made["attachments"][0]["server_id"] == second
    assert host.driver.attached(second)[0] == {attached["id"]: "/dev/vda"}

    # the second server takes its volume with it; the image goes, the snapshot stays
    assert nova("DELETE", f"/servers/{second}", owner.token).status_code == 204
    host.reconcile(second)
    settle(volumes)
    assert volume_status(api, owner.token, attached["id"]) == "gone"
    assert api.http.delete(f"{IMG}/{image_id}", headers=_h(owner.token)).status_code == 204
    assert [s["id"] for s in snapshots_of(api, owner.token, root)] == [snap["id"]]


def test_the_volume_api_makes_a_volume_from_the_mapped_snapshot_from_3_46(
        nova: Nova, api: Api, db: Database, host: HostAgent, volumes: VolumeAgent,
        owner: Member, zone: str) -> None:
    sid, root = volume_backed_server(nova, api, db, host, volumes, owner, zone)
    image_id = assert_status(create_image(nova, owner.token, sid), 202)["image_id"]
    settle(volumes)
    [snap] = snapshots_of(api, owner.token, root)
    body = {"volume": {"size": 1, "imageRef": image_id, "availability_zone": zone}}
    r = api.http.post(f"{VOL}/volumes", json=body, headers=_h(owner.token, "3.46"))
    made = assert_status(r, 202)["volume"]
    assert made["snapshot_id"] == snap["id"]
    settle(volumes)
    assert volume_status(api, owner.token, made["id"]) == "available"
    # before 3.46 the image is an image: its (empty) bytes, no snapshot
    r = api.http.post(f"{VOL}/volumes", json=body, headers=_h(owner.token, "3.45"))
    assert assert_status(r, 202)["volume"]["snapshot_id"] is None
    # the mapping is an ordinary image property; one naming a snapshot that is gone: 404
    gone = json.dumps([{"source_type": "snapshot", "boot_index": 0,
                        "snapshot_id": str(uuid.uuid4())}])
    r = api.http.patch(f"{IMG}/{image_id}", json=[
        {"op": "replace", "path": "/block_device_mapping", "value": gone}], headers={
        **_h(owner.token), "Content-Type": "application/openstack-images-v2.1-json-patch"})
    assert assert_status(r, 200)["block_device_mapping"] == gone
    r = api.http.post(f"{VOL}/volumes", json=body, headers=_h(owner.token, "3.46"))
    assert r.status_code == 404 and "boot volume snapshot" in r.text


def test_checks_come_before_any_snapshot_and_a_refusal_leaves_none(
        nova: Nova, api: Api, db: Database, host: HostAgent, volumes: VolumeAgent,
        cloud: Cloud, zone: str, admin_token: str) -> None:
    owner = cloud.make_project_member()  # a project of its own: its snapshot quota is 0
    sid, root = volume_backed_server(nova, api, db, host, volumes, owner, zone)
    db.write(lambda s: setattr(s.get(cm.Instance, sid), "task_state", st.REBOOTING))
    assert create_image(nova, owner.token, sid).status_code == 409
    db.write(lambda s: setattr(s.get(cm.Instance, sid), "task_state", None))
    assert create_image(nova, owner.token, sid, name=" ").status_code == 400
    # backups of a volume-backed server are refused, as Nova refuses them
    r = nova("POST", f"/servers/{sid}/action", owner.token, json={"createBackup": {
        "name": "b", "backup_type": "daily", "rotation": 1}})
    assert r.status_code == 400 and "volume-backed" in r.text
    assert snapshots_of(api, owner.token, root) == []
    # no snapshot quota left: 403, no image, no snapshot
    project = db.read(lambda s: s.get(cm.Instance, sid).project_id)
    r = api.http.put(f"{VOL}/os-quota-sets/{project}", headers=_h(admin_token),
                     json={"quota_set": {"snapshots": 0}})
    assert_status(r, 200)
    try:
        before = {i["id"] for i in assert_status(api.http.get(
            IMG, headers=_h(owner.token)), 200)["images"]}
        r = create_image(nova, owner.token, sid)
        assert r.status_code == 403, r.text
        after = {i["id"] for i in assert_status(api.http.get(
            IMG, headers=_h(owner.token)), 200)["images"]}
        assert after == before
        assert snapshots_of(api, owner.token, root) == []
    finally:
        api.http.put(f"{VOL}/os-quota-sets/{project}", headers=_h(admin_token),
                     json={"quota_set": {"snapshots": -1}})


def test_a_boot_from_a_missing_snapshot_is_400(
        nova: Nova, api: Api, owner: Member, zone: str, cloud: Cloud) -> None:
    r = boot(nova, owner.token, zone, block_device_mapping_v2=[
        {"source_type": "snapshot", "destination_type": "volume",
         "uuid": str(uuid.uuid4()), "boot_index": 0}])
    assert r.status_code == 400 and "failed to get snapshot" in r.text

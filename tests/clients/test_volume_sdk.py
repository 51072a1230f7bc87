"""Unmodified openstacksdk on block storage against a real ``onestack up``: the
``block_storage`` proxy (types, volumes, metadata, extend, snapshots, backups and restores,
upload to an image, transfers, limits, quotas) and the cloud layer's ``create_volume``,
as a user's script would drive them."""
from __future__ import annotations

import os
import time

import pytest

from tests.clients.test_volume_cli import volume_service_up

pytestmark = pytest.mark.ha

MIB = 1 << 20


@pytest.fixture
def conn(cloud, monkeypatch):
    import openstack

    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", cloud["env"]["OS_CLIENT_CONFIG_FILE"])
    volume_service_up(cloud)
    return openstack.connect(cloud="onestack")


def _head(response, size: int) -> bytes:
    """The first ``size`` bytes of a streamed download (the rest is never fetched)."""
    got = bytearray()
    for chunk in response.iter_content(chunk_size=MIB):
        got += chunk
        if len(got) >= size:
            break
    response.close()
    return bytes(got[:size])


def test_volumes_snapshots_backups_with_openstacksdk(conn):
    bs = conn.block_storage
    vtype = bs.create_type(name="sdk-silver", description="silver disks",
                           extra_specs={"sdk:tier": "silver"})
    assert bs.get_type(vtype.id).extra_specs == {"sdk:tier": "silver"}
    assert "sdk-silver" in [t.name for t in bs.types()]

    vol = bs.create_volume(size=1, name="sdk-vol", volume_type="sdk-silver",
                           metadata={"owner": "sdk"})
    vol = bs.wait_for_status(vol, status="available", failures=["error"], interval=0.5,
                             wait=120)
    assert vol.volume_type == "sdk-silver" and vol.size == 1 and vol.metadata == {
        "owner": "sdk"}
    assert vol.id in [v.id for v in bs.volumes(name="sdk-vol")]
    assert vol.id in [v.id for v in bs.volumes(details=False)]

    bs.update_volume(vol, name="sdk-vol2", description="renamed")
    bs.set_volume_metadata(vol, env="test")
    # By id: the SDK's delete_metadata_item pops the key from the object's local copy,
    # which set_metadata left holding only the keys it sent (a KeyError after the DELETE).
    bs.delete_volume_metadata(vol.id, keys=["owner"])
    got = bs.get_volume(vol.id)
    assert (got.name, got.description, got.metadata) == ("sdk-vol2", "renamed",
                                                         {"env": "test"})
    bs.extend_volume(vol, 3)
    deadline = time.monotonic() + 120  # the SDK's waiter returns at once: it was available
    while (got := bs.get_volume(vol.id)).status != "available" or got.size != 3:
        assert got.status in ("available", "extending"), got.status
        assert time.monotonic() < deadline, f"never extended: {got.status} {got.size}"
        time.sleep(0.5)

    snap = bs.create_snapshot(volume_id=vol.id, name="sdk-snap", metadata={"k": "v"})
    snap = bs.wait_for_status(snap, status="available", failures=["error"], interval=0.5,
                              wait=120)
    assert snap.volume_id == vol.id and snap.size == 3 and snap.metadata == {"k": "v"}
    assert [s.id for s in bs.snapshots(volume_id=vol.id)] == [snap.id]
    from_snap = bs.create_volume(snapshot_id=snap.id, name="sdk-from-snap")
    from_snap = bs.wait_for_status(from_snap, status="available", failures=["error"],
                                   interval=0.5, wait=120)
    assert from_snap.snapshot_id == snap.id and from_snap.size == 3
    bs.delete_snapshot(snap)
    bs.wait_for_delete(snap, interval=0.5, wait=120)

    backup = bs.create_backup(volume_id=vol.id, name="sdk-backup", description="weekly")
    backup = bs.wait_for_status(backup, status="available", failures=["error"], interval=0.5,
                                wait=120)
    assert backup.volume_id == vol.id and backup.size == 3 and not backup.is_incremental
    incremental = bs.create_backup(volume_id=vol.id, name="sdk-incr", is_incremental=True)
    incremental = bs.wait_for_status(incremental, status="available", failures=["error"],
                                     interval=0.5, wait=120)
    assert incremental.is_incremental
    assert bs.get_backup(backup.id).has_dependent_backups
    bs.restore_backup(backup, name="sdk-restored")
    bs.wait_for_status(bs.get_backup(backup.id), status="available", failures=["error"],
                       interval=0.5, wait=120)
    restored = bs.find_volume("sdk-restored", ignore_missing=False)
    restored = bs.wait_for_status(restored, status="available", failures=["error"],
                                  interval=0.5, wait=120)
    assert restored.size == 3
    for b in (incremental, backup):  # the incremental first: the full one has a dependent
        bs.delete_backup(b)
        bs.wait_for_delete(b, interval=0.5, wait=120)

    for v in (from_snap, restored, vol):
        bs.delete_volume(v)
    for v in (from_snap, restored, vol):
        bs.wait_for_delete(v, interval=0.5, wait=120)
    assert bs.find_volume("sdk-vol2") is None
    bs.delete_type(vtype)
    assert bs.find_type("sdk-silver") is None


def test_a_volume_to_an_image_and_back_with_openstacksdk(conn):
    """Image bytes → volume → image (raw): the uploaded image starts with the same bytes,
    then zeros to the volume's size (only the head is read back)."""
    data = os.urandom(2 * MIB)
    image = conn.image.create_image(name="sdk-vol-src", data=data, disk_format="raw",
                                    container_format="bare", allow_duplicates=True)
    bs = conn.block_storage
    vol = bs.create_volume(size=1, name="sdk-imgvol", image_id=image.id)
    vol = bs.wait_for_status(vol, status="available", failures=["error"], interval=0.5,
                             wait=120)
    assert vol.is_bootable is True
    assert vol.volume_image_metadata["image_id"] == image.id

    uploaded = bs.upload_volume_to_image(vol, "sdk-vol-up", disk_format="raw",
                                         container_format="bare")
    assert uploaded["image_name"] == "sdk-vol-up" and uploaded["disk_format"] == "raw"
    new = conn.image.wait_for_status(conn.image.get_image(uploaded["image_id"]),
                                     status="active", failures=["killed", "deleted"],
                                     interval=1, wait=180)
    assert new.size == 1 << 30 and new.disk_format == "raw"
    head = _head(conn.image.download_image(new, stream=True), len(data) + MIB)
    assert head[:len(data)] == data and head[len(data):] == bytes(MIB)
    bs.wait_for_status(vol, status="available", failures=["error"], interval=0.5, wait=120)

    conn.image.delete_image(new)
    conn.image.delete_image(image)
    bs.delete_volume(vol)
    bs.wait_for_delete(vol, interval=0.5, wait=120)


def test_transfers_limits_and_the_cloud_layer_with_openstacksdk(conn):
    """A volume given to another project with a transfer; the absolute limits move with
    what the project holds; the cloud layer's create_volume waits for it."""
    vol = conn.create_volume(size=1, name="sdk-cloudvol", wait=True, timeout=120)
    assert vol.status == "available"
    bs = conn.block_storage
    limits = bs.get_limits().absolute
    assert limits.total_volumes_used >= 1 and limits.total_gigabytes_used >= 1
    quota = bs.get_quota_set(conn.current_project_id, usage=True)
    assert quota.usage["volumes"] >= 1

    project = conn.identity.create_project(name="sdk-receiver", domain_id="default")
    user = conn.identity.create_user(name="sdk-receiver", password="receiver-pw",
                                     default_project_id=project.id, domain_id="default")
    member = conn.identity.find_role("member")
    conn.identity.assign_project_role_to_user(project, user, member)

    transfer = bs.create_transfer(volume_id=vol.id, name="sdk-gift")
    assert transfer.auth_key
    assert bs.get_volume(vol.id).status == "awaiting-transfer"
    receiver = conn.connect_as(username="sdk-receiver", password="receiver-pw",
                               project_id=project.id, user_domain_id="default")
    receiver.block_storage.accept_transfer(transfer.id, transfer.auth_key)
    deadline = time.monotonic() + 60
    while (got := receiver.block_storage.get_volume(vol.id)).status != "available":
        assert time.monotonic() < deadline, got
        time.sleep(0.5)
    assert bs.find_volume("sdk-cloudvol") is None  # no longer the admin project's own
    assert receiver.block_storage.find_volume("sdk-cloudvol").id == vol.id
    assert receiver.delete_volume(vol.id, wait=True, timeout=120)
    conn.identity.delete_user(user)
    conn.identity.delete_project(project)


def test_attach_and_detach_with_openstacksdk(conn):
    """The compute proxy's volume attachments and the cloud layer's attach/detach (which
    wait on the volume): in-use with the server's attachment, available again after."""
    image = conn.image.create_image(name="sdk-attach-image", data=os.urandom(MIB),
                                    disk_format="raw", container_format="bare",
                                    allow_duplicates=True)
    flavor = conn.compute.find_flavor("m1.tiny")
    server = conn.compute.create_server(name="sdk-attach-vm", image_id=image.id,
                                        flavor_id=flavor.id, networks="none")
    server = conn.compute.wait_for_server(server, wait=120)
    bs = conn.block_storage
    vol = bs.wait_for_status(bs.create_volume(size=1, name="sdk-data"), status="available",
                             failures=["error"], interval=0.5, wait=120)

    attachment = conn.compute.create_volume_attachment(server, volume_id=vol.id)
    assert attachment.volume_id == vol.id and attachment.server_id == server.id
    vol = bs.wait_for_status(vol, status="in-use", failures=["error"], interval=0.5, wait=120)
    assert [a["server_id"] for a in vol.attachments] == [server.id]
    listed = list(conn.compute.volume_attachments(server))
    assert [(a.volume_id, a.device) for a in listed] == [(vol.id, attachment.device)]
    conn.compute.delete_volume_attachment(server, vol.id)
    vol = bs.wait_for_status(vol, status="available", failures=["error"], interval=0.5,
                             wait=120)
    assert vol.attachments == []

    cloud_server = conn.get_server(server.id)
    conn.attach_volume(cloud_server, conn.get_volume(vol.id), wait=True, timeout=120)
    assert bs.get_volume(vol.id).status == "in-use"
    conn.detach_volume(cloud_server, conn.get_volume(vol.id), wait=True, timeout=120)
    assert bs.get_volume(vol.id).status == "available"

    conn.compute.delete_server(server)
    conn.compute.wait_for_delete(server, wait=120)
    bs.delete_volume(vol)
    bs.wait_for_delete(vol, interval=0.5, wait=120)
    conn.image.delete_image(image)

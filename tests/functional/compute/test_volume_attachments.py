"""Servers wired to block storage: ``os-volume_attachments`` (attach reserves the volume,
the host agent connects it and hands the connection to the guest, then it is in-use;
detach gives it back), the boot's block device mappings (a root volume made from an
image, an extra blank one, an existing volume; the server ACTIVE only once they are
attached) and server delete (attachments go, ``delete_on_termination`` volumes too).

The scheduler, the compute host agent and the volume agent (in-memory driver) are driven
directly, no loops: a compute host and a volume backend share a zone of their own, and
every server is booted into it."""
from __future__ import annotations

import uuid
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from onestack.compute import models as cm
from onestack.compute import states as st
from onestack.compute.agent import HostAgent
from onestack.compute.drivers.fake import FakeDriver
from onestack.compute.scheduler import Scheduler
from onestack.compute.volume_models import BlockDevice
from onestack.core.bus import InProcessBus
from onestack.core.db import Database
from onestack.image.seam import ImageSeam
from onestack.volume.agent.host import VolumeAgent
from onestack.volume.drivers.memory import MemoryDriver
from onestack.volume.seam import VolumeSeam
from tests.functional.compute.servers_support import Nova, ensure_flavors, make_image
from tests.functional.conftest import settings_for
from tests.support.api import Api, assert_status
from tests.support.identity import Cloud, Member, unique

VOL = "/volume/v3"


@pytest.fixture(scope="module", autouse=True)
def image_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    path = str(tmp_path_factory.mktemp("images"))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ONESTACK_IMAGE_DIR", path)
        yield path


@pytest.fixture(scope="module")
def nova(api: Api) -> Nova:
    return Nova(api)


@pytest.fixture(scope="module")
def db(db_url: str) -> Iterator[Database]:
    from onestack.volume.app import seed

    found = Database(db_url)
    seed(found)  # the default volume type, as the volume service seeds it
    try:
        yield found
    finally:
        found.dispose()


@pytest.fixture(scope="module")
def zone() -> str:
    return unique("bdz")


@pytest.fixture(scope="module")
def volumes(db: Database, zone: str) -> VolumeAgent:
    agent = VolumeAgent(db, None, f"cv{uuid.uuid4().hex[:6]}", MemoryDriver(200), zone=zone,
                        images=ImageSeam.for_database(db), ratio=1.0)
    agent.start()
    return agent


@pytest.fixture(scope="module")
def host(db: Database, db_url: str, zone: str, volumes: VolumeAgent) -> HostAgent:
    name = unique("vol-host")
    agent = HostAgent(db, InProcessBus(), name, FakeDriver(name), zone)
    # as an agent's context hands it over: the image seam too (volumes from images)
    agent.volume = VolumeSeam(SimpleNamespace(db=db, bus=InProcessBus(),
                                              settings=settings_for(db_url),
                                              seams={"image": ImageSeam.for_database(db)}))
    agent.volume_quick_wait = 0.0
    agent.register()
    return agent


@pytest.fixture(scope="module")
def owner(cloud: Cloud, db_url: str) -> Member:
    ensure_flavors(db_url)
    return cloud.make_project_member()


def settle(volumes: VolumeAgent) -> None:
    for key in volumes.pending():
        volumes.reconcile(key)


def volume(api: Api, token: str, zone: str, volumes: VolumeAgent, **attrs: Any) -> str:
    body = {"size": 1, "name": unique("v"), "availability_zone": zone, **attrs}
    made = assert_status(api.http.post(VOL + "/volumes", json={"volume": body},
                                       headers={"X-Auth-Token": token}), 202)["volume"]
    settle(volumes)
    return made["id"]


def volume_status(api: Api, token: str, volume_id: str) -> str:
    r = api.http.get(f"{VOL}/volumes/{volume_id}", headers={"X-Auth-Token": token})
    if r.status_code == 404:
        return "gone"
    return assert_status(r, 200)["volume"]["status"]


def boot(nova: Nova, token: str, zone: str, version: str = "2.1", **server: Any) -> Any:
    body = {"server": {"name": unique("vm"), "flavorRef": "42", "availability_zone": zone,
                       **server}}
    return nova("POST", "/servers", token, version, json=body)


def build(db: Database, host: HostAgent, volumes: VolumeAgent, server_id: str,
          passes: int = 4) -> cm.Instance:
    """The scheduler places the server here; the host agent and the volume agent take
    turns until the build is done."""
    Scheduler(db, InProcessBus()).reconcile(server_id)
    db.write(lambda s: setattr(s.get(cm.Instance, server_id), "host", host.host))
    for _ in range(passes):
        host.reconcile(server_id)
        settle(volumes)
    return db.read(lambda s: s.get(cm.Instance, server_id))


@pytest.fixture()
def server(nova: Nova, api: Api, db: Database, host: HostAgent, volumes: VolumeAgent,
           owner: Member, zone: str) -> str:
    image = make_image(api, owner.token)
    sid = assert_status(boot(nova, owner.token, zone, imageRef=image), 202)["server"]["id"]
    inst = build(db, host, volumes, sid, passes=1)
    assert inst.vm_state == st.ACTIVE
    return sid


def attach(nova: Nova, token: str, server_id: str, volume_id: str, version: str = "2.1",
           **extra: Any) -> Any:
    return nova("POST", f"/servers/{server_id}/os-volume_attachments", token, version,
                json={"volumeAttachment": {"volumeId": volume_id, **extra}})


def test_attach_connects_the_volume_then_detach_gives_it_back(
        nova: Nova, api: Api, db: Database, host: HostAgent, volumes: VolumeAgent,
        owner: Member, zone: str, server: str) -> None:
    vid = volume(api, owner.token, zone, volumes)
    body = assert_status(attach(nova, owner.token, server, vid), 200)["volumeAttachment"]
    assert body == {"id": vid, "volumeId": vid, "serverId": server, "device": "/dev/vdb"}
    assert volume_status(api, owner.token, vid) == "reserved"
    host.reconcile(server)
    assert volume_status(api, owner.token, vid) == "in-use"
    disks, _ = host.driver.attached(server)
    assert disks == {vid: "/dev/vdb"}
    info = host.driver.connections(server)[vid]
    assert info["serial"] == vid and info["data"]["volume_id"] == vid
    assert info["driver_volume_type"]

    listed = assert_status(nova("GET", f"/servers/{server}/os-volume_attachments",
                                owner.token, "2.89"), 200)["volumeAttachments"]
    assert [(a["volumeId"], a["device"], a["delete_on_termination"]) for a in listed] == [
        (vid, "/dev/vdb", False)]
    assert "id" not in listed[0] and listed[0]["attachment_id"] and listed[0]["bdm_uuid"]
    shown = assert_status(nova("GET", f"/servers/{server}", owner.token, "2.3"),
                          200)["server"]
    assert shown["os-extended-volumes:volumes_attached"] == [
        {"id": vid, "delete_on_termination": False}]
    # the same volume again: Nova's 400; the volume cannot be deleted while attached
    assert attach(nova, owner.token, server, vid).status_code == 400
    r = api.http.delete(f"{VOL}/volumes/{vid}", headers={"X-Auth-Token": owner.token})
    assert r.status_code == 400

    r = nova("DELETE", f"/servers/{server}/os-volume_attachments/{vid}", owner.token)
    assert r.status_code == 202, r.text
    assert volume_status(api, owner.token, vid) == "in-use"  # until the agent lets go
    host.reconcile(server)
    assert volume_status(api, owner.token, vid) == "available"
    assert host.driver.attached(server)[0] == {}
    assert assert_status(nova("GET", f"/servers/{server}/os-volume_attachments",
                              owner.token), 200)["volumeAttachments"] == []
    r = nova("GET", f"/servers/{server}/os-volume_attachments/{vid}", owner.token)
    assert r.status_code == 404


def test_attach_errors_as_nova(nova: Nova, api: Api, db: Database, host: HostAgent,
                               volumes: VolumeAgent, owner: Member, zone: str,
                               server: str, cloud: Cloud) -> None:
    other = cloud.make_project_member()
    theirs = volume(api, other.token, zone, volumes)
    assert attach(nova, owner.token, server, theirs).status_code == 404
    assert volume_status(api, other.token, theirs) == "available"
    assert attach(nova, owner.token, server, str(uuid.uuid4())).status_code == 404
    assert attach(nova, owner.token, server, "not-a-uuid").status_code == 400

    vid = volume(api, owner.token, zone, volumes)
    assert attach(nova, owner.token, server, vid, tag="t").status_code == 400  # < 2.49
    # a server busy with another task: 409, and the reservation is not kept
    db.write(lambda s: setattr(s.get(cm.Instance, server), "task_state", st.REBOOTING))
    assert attach(nova, owner.token, server, vid).status_code == 409
    assert volume_status(api, owner.token, vid) == "available"
    db.write(lambda s: setattr(s.get(cm.Instance, server), "task_state", None))
    # in use by one server: another server cannot have it
    assert_status(attach(nova, owner.token, server, vid, "2.79", tag="disk1",
                         delete_on_termination=True), 200)
    host.reconcile(server)
    image = make_image(api, owner.token)
    second = assert_status(boot(nova, owner.token, zone, imageRef=image), 202)["server"]["id"]
    build(db, host, volumes, second, passes=1)
    assert attach(nova, owner.token, second, vid).status_code == 400

    # delete_on_termination can be changed from 2.85
    r = nova("PUT", f"/servers/{server}/os-volume_attachments/{vid}", owner.token, "2.85",
             json={"volumeAttachment": {"volumeId": vid, "delete_on_termination": False}})
    assert r.status_code == 202, r.text
    shown = assert_status(nova("GET", f"/servers/{server}/os-volume_attachments/{vid}",
                               owner.token, "2.79"), 200)["volumeAttachment"]
    assert (shown["tag"], shown["delete_on_termination"]) == ("disk1", False)

    # the server goes: its user-attached volume is left available
    assert nova("DELETE", f"/servers/{server}", owner.token).status_code == 204
    host.reconcile(server)
    assert volume_status(api, owner.token, vid) == "available"
    assert db.read(lambda s: s.query(BlockDevice).filter_by(instance_id=server).count()) == 0


def test_boot_from_volume_with_an_extra_blank_volume(
        nova: Nova, api: Api, db: Database, host: HostAgent, volumes: VolumeAgent,
        owner: Member, zone: str) -> None:
    image = make_image(api, owner.token)
    r = boot(nova, owner.token, zone, "2.3", imageRef="", block_device_mapping_v2=[
        {"source_type": "image", "destination_type": "volume", "uuid": image,
         "boot_index": 0, "volume_size": 1, "delete_on_termination": True},
        {"source_type": "blank", "destination_type": "volume", "volume_size": 1,
         "boot_index": -1}])
    sid = assert_status(r, 202)["server"]["id"]
    Scheduler(db, InProcessBus()).reconcile(sid)
    db.write(lambda s: setattr(s.get(cm.Instance, sid), "host", host.host))
    host.reconcile(sid)  # the volumes are asked for; the guest waits for them
    inst = db.read(lambda s: s.get(cm.Instance, sid))
    assert (inst.vm_state, inst.task_state) == (st.BUILDING, st.SPAWNING)
    rows = db.read(lambda s: s.query(BlockDevice).filter_by(instance_id=sid)
                   .order_by(BlockDevice.device_name).all())
    assert [(r.device_name, r.source_type, r.state) for r in rows] == [
        ("/dev/vda", "image", "creating"), ("/dev/vdb", "blank", "creating")]
    root, blank = rows[0].volume_id, rows[1].volume_id
    assert root and blank
    host.reconcile(sid)  # again: no second volume
    assert db.read(lambda s: s.get(BlockDevice, rows[0].id).volume_id) == root
    inst = build(db, host, volumes, sid)
    assert inst.vm_state == st.ACTIVE
    assert volume_status(api, owner.token, root) == "in-use"
    assert volume_status(api, owner.token, blank) == "in-use"
    assert host.driver.attached(sid)[0] == {root: "/dev/vda", blank: "/dev/vdb"}
    assert set(host.driver.connections(sid)) == {root, blank}

    shown = assert_status(nova("GET", f"/servers/{sid}", owner.token, "2.3"), 200)["server"]
    assert shown["image"] == ""
    assert shown["os-extended-volumes:volumes_attached"] == [
        {"id": root, "delete_on_termination": True},
        {"id": blank, "delete_on_termination": False}]
    r = nova("DELETE", f"/servers/{sid}/os-volume_attachments/{root}", owner.token)
    assert r.status_code == 400 and "root device" in r.text

    assert nova("DELETE", f"/servers/{sid}", owner.token).status_code == 204
    host.reconcile(sid)
    settle(volumes)
    assert volume_status(api, owner.token, root) == "gone"
    assert volume_status(api, owner.token, blank) == "available"


def test_boot_from_an_existing_volume(nova: Nova, api: Api, db: Database, host: HostAgent,
                                      volumes: VolumeAgent, owner: Member,
                                      zone: str) -> None:
    image = make_image(api, owner.token)
    vid = volume(api, owner.token, zone, volumes, imageRef=image)
    assert volume_status(api, owner.token, vid) == "available"
    r = boot(nova, owner.token, zone, block_device_mapping_v2=[
        {"source_type": "volume", "destination_type": "volume", "uuid": vid,
         "boot_index": 0}])
    sid = assert_status(r, 202)["server"]["id"]
    # the same volume for a second server while the first has it: 400
    r2 = boot(nova, owner.token, zone, block_device_mapping_v2=[
        {"source_type": "volume", "uuid": vid, "boot_index": 0}])
    assert build(db, host, volumes, sid).vm_state == st.ACTIVE
    assert volume_status(api, owner.token, vid) == "in-use"
    assert r2.status_code == 202  # accepted while the volume was still free …
    r3 = boot(nova, owner.token, zone, block_device_mapping_v2=[
        {"source_type": "volume", "uuid": vid, "boot_index": 0}])
    assert r3.status_code == 400, r3.text  # … not once it is in use
    second = r2.json()["server"]["id"]
    failed = build(db, host, volumes, second, passes=1)
    assert failed.vm_state == st.ERROR  # the reservation fails on the host: the build ends
    assert nova("DELETE", f"/servers/{sid}", owner.token).status_code == 204
    host.reconcile(sid)
    assert volume_status(api, owner.token, vid) == "available"


@pytest.mark.parametrize("mappings,message", [
    ([{"source_type": "image", "destination_type": "volume", "uuid": str(uuid.uuid4()),
       "boot_index": 0}], "need to have a non-zero size"),
    ([{"source_type": "blank", "destination_type": "volume", "boot_index": 1}],
     "need to have non-zero size"),
    ([{"source_type": "volume", "destination_type": "volume", "uuid": str(uuid.uuid4()),
       "boot_index": 1}], "Boot sequence"),
    ([{"source_type": "volume", "destination_type": "volume", "uuid": str(uuid.uuid4()),
       "boot_index": 0}], "failed to get volume"),
    ([{"source_type": "nope", "uuid": str(uuid.uuid4()), "boot_index": 0}], "source_type"),
    ([{"source_type": "volume", "boot_index": 0}], "Missing device UUID"),
])
def test_bad_mappings_are_400(nova: Nova, owner: Member, zone: str, mappings: list,
                              message: str) -> None:
    r = boot(nova, owner.token, zone, block_device_mapping_v2=mappings)
    assert r.status_code == 400, r.text
    assert message in r.text


def test_swap_and_assisted_snapshots_check_the_mapping_first(
        nova: Nova, api: Api, host: HostAgent, volumes: VolumeAgent, owner: Member,
        zone: str, server: str, admin_token: str) -> None:
    vid = volume(api, owner.token, zone, volumes)
    other = volume(api, owner.token, zone, volumes)
    put = {"volumeAttachment": {"volumeId": other}}
    # a volume not attached to the server: 404 before anything else (Nova's order)
    r = nova("PUT", f"/servers/{server}/os-volume_attachments/{vid}", admin_token, json=put)
    assert r.status_code == 404, r.text
    body = {"snapshot": {"volume_id": vid, "create_info": {
        "snapshot_id": str(uuid.uuid4()), "type": "qcow2", "new_file": "f"}}}
    assert nova("POST", "/os-assisted-volume-snapshots", admin_token,
                json=body).status_code == 404
    assert_status(attach(nova, owner.token, server, vid), 200)
    host.reconcile(server)
    # swapping is the admin's and not offered: 403 for the owner, 400 for an admin
    assert nova("PUT", f"/servers/{server}/os-volume_attachments/{vid}", owner.token,
                json=put).status_code == 403
    r = nova("PUT", f"/servers/{server}/os-volume_attachments/{vid}", admin_token, json=put)
    assert r.status_code == 400 and "Swapping" in r.text
    assert nova("POST", "/os-assisted-volume-snapshots", owner.token,
                json=body).status_code == 403
    made = assert_status(nova("POST", "/os-assisted-volume-snapshots", admin_token,
                              json=body), 200)["snapshot"]
    assert made == {"id": body["snapshot"]["create_info"]["snapshot_id"], "volumeId": vid}
    r = nova("DELETE", f"/os-assisted-volume-snapshots/{made['id']}?delete_info="
             f"%7B%22volume_id%22%3A%20%22{vid}%22%7D", admin_token)
    assert r.status_code == 204, r.text
    assert nova("DELETE", f"/os-assisted-volume-snapshots/{made['id']}",
                admin_token).status_code == 400


def test_a_guest_defined_on_another_host_gets_its_volumes_connected_there(
        nova: Nova, api: Api, db: Database, host: HostAgent, volumes: VolumeAgent,
        owner: Member, zone: str, server: str) -> None:
    vid = volume(api, owner.token, zone, volumes)
    assert_status(attach(nova, owner.token, server, vid), 200)
    host.reconcile(server)
    assert host.volume.get(None, vid)["attachments"][0]["host"] == host.host
    # a move's destination (or a rebuild) builds the guest's spec: the volume is connected
    # to that host, the attachment names it, and the spec carries the connection
    name = unique("vol-dest")
    dest = HostAgent(db, InProcessBus(), name, FakeDriver(name), zone)
    dest.volume = host.volume
    inst = db.read(lambda s: s.get(cm.Instance, server))
    spec = dest._spec(inst)
    assert [(d.volume_id, d.device_name) for d in spec.block_devices] == [(vid, "/dev/vdb")]
    assert spec.block_devices[0].connection["serial"] == vid
    assert host.volume.get(None, vid)["attachments"][0]["host"] == name
    dest.driver.spawn(spec)
    assert dest.driver.attached(server)[0] == {vid: "/dev/vdb"}

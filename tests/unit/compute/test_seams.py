"""Compute reaches its neighbours only through ``compute.seams``: each neighbour's seam module
implements compute's Protocol, the host agent stores a snapshot (and drops a shelved
server's image) through the image seam it was handed — the image service's own stores, not
ones derived from the database URL — and the composition root hands the same seam to the
image API and to compute."""
from __future__ import annotations

import uuid
from types import SimpleNamespace

from onestack.compute import seams
from onestack.compute import states as st
from onestack.compute.agent import HostAgent
from onestack.compute.drivers.fake import FakeDriver
from onestack.core.bus import InProcessBus
from onestack.core.config import Settings
from onestack.core.db import Database, utcnow
from onestack.core.platform import Platform
from onestack.core.registry import AgentContext
from onestack.identity import seam as identity_seam
from onestack.image import models as im
from onestack.image.drivers.memory import MemoryStore
from onestack.image.seam import ImageSeam
from onestack.placement import seam as placement_seam
from onestack.server import default_registry
from tests.unit.compute.reconcile_support import add_instance, db, instance, unique

__all__ = ["db"]  # the fixture, imported for pytest


def test_each_neighbour_implements_computes_protocol(db: Database) -> None:
    image = ImageSeam(db, MemoryStore(), MemoryStore("staging"))
    assert isinstance(image, seams.ImageSeam)
    assert isinstance(placement_seam, seams.PlacementSeam)
    assert isinstance(identity_seam, seams.ProjectDirectory)
    assert not isinstance(object(), seams.ImageSeam)  # the check can fail


def _image(db: Database, data: bytes | None, store: MemoryStore) -> str:
    image_id = str(uuid.uuid4())

    def work(s) -> None:
        now = utcnow()
        s.add(im.Image(id=image_id, name="src", status="active", visibility="private",
                       owner="p1", min_disk=0, min_ram=0, protected=False, os_hidden=False,
                       disk_format="raw", container_format="bare", created_at=now,
                       updated_at=now))
    db.write(work)
    if data is not None:
        store.write(image_id, [data])
    return image_id


def _agent(db: Database, images: ImageSeam) -> HostAgent:
    name = unique("host")
    agent = HostAgent(db, InProcessBus(), name, FakeDriver(name, None), name, images)
    agent.register()
    return agent


def test_a_snapshot_is_stored_through_the_seam_the_agent_was_handed(db: Database) -> None:
    store = MemoryStore()
    images = ImageSeam(db, store, MemoryStore("staging"))
    agent = _agent(db, images)
    source = _image(db, b"disk bytes of the source image", store)
    inst = SimpleNamespace(id=str(uuid.uuid4()), image_ref=source, flavor={"disk": 1},
                           user_id="u")  # the server the snapshot is registered for
    snap = db.write(lambda s: images.create_snapshot(s, inst, "snap", {}, "p1"))
    ident = add_instance(db, agent.zone, host=agent.host, image_ref=source,
                         vm_state=st.ACTIVE, task_state=st.IMAGE_SNAPSHOT,
                         snapshot_image_id=snap)

    agent.reconcile(ident)

    assert instance(db, ident).task_state is None
    assert b"".join(store.read(snap)) == b"disk bytes of the source image"
    assert db.read(lambda s: s.get(im.Image, snap)).status == "active"


def test_an_unshelved_servers_image_is_deleted_through_the_seam(db: Database) -> None:
    """Unshelve spawns the server again, then deletes the image shelve made: rows and the
    bytes in the seam's store."""
    store = MemoryStore()
    images = ImageSeam(db, store, MemoryStore("staging"))
    agent = _agent(db, images)
    shelved = _image(db, b"shelved disk", store)
    ident = add_instance(db, agent.zone, host=agent.host, vm_state=st.SHELVED_OFFLOADED,
                         task_state=st.SPAWNING, shelved_image_id=shelved)

    agent.reconcile(ident)

    assert instance(db, ident).vm_state == st.ACTIVE
    assert shelved not in store.blobs
    assert db.read(lambda s: s.get(im.Image, shelved)) is None


def test_agents_get_the_seams_the_registry_builds(db: Database, tmp_path) -> None:
    """``onestack up`` and ``onestack agent`` hand their agents the image service's seam,
    over the store the settings name (chosen once, at start); one given already wins."""
    settings = Settings(database_url=f"sqlite:///{tmp_path}/cloud.db")
    registry = default_registry()
    ctx = registry.with_seams(AgentContext(db, InProcessBus(), settings))
    built = ctx.seams["image"]
    assert isinstance(built, seams.ImageSeam)
    assert built.store.directory == tmp_path / "images"
    given = ImageSeam(db, MemoryStore(), MemoryStore("staging"))
    again = registry.with_seams(AgentContext(db, InProcessBus(), settings,
                                             seams={"image": given}))
    assert again.seams["image"] is given


def test_the_platform_offers_compute_the_image_seam(db: Database, tmp_path) -> None:
    registry = default_registry()
    platform = Platform(db, Settings(database_url=f"sqlite:///{tmp_path}/c.db"), None, None,
                        InProcessBus(), services=registry)
    assert seams.image_seam(platform) is None  # nothing handed over: no image service
    platform.seams.update(registry.build_seams(platform))
    offered = seams.image_seam(platform)
    assert isinstance(offered, seams.ImageSeam)
    assert offered.store.directory == tmp_path / "images"


def _backup(db: Database, store: MemoryStore, server_id: str, backup_type: str) -> str:
    image_id = _image(db, b"an older backup", store)

    def work(s) -> None:
        for key, value in (("instance_uuid", server_id), ("image_type", "backup"),
                           ("backup_type", backup_type)):
            s.add(im.ImageProperty(image_id=image_id, name=key, value=value))
    db.write(work)
    return image_id


def test_backups_rotate_once_stored_with_their_bytes_from_the_seams_store(
        db: Database) -> None:
    """As Nova's compute manager does: the backup is stored, then the server's older
    backups of that type beyond ``rotation`` are deleted — rows and bytes."""
    store = MemoryStore()
    images = ImageSeam(db, store, MemoryStore("staging"))
    agent = _agent(db, images)
    server = str(uuid.uuid4())
    older = [_backup(db, store, server, "daily") for _ in range(2)]
    weekly = _backup(db, store, server, "weekly")
    inst = SimpleNamespace(id=server, image_ref=None, flavor={"disk": 1}, user_id="u")
    new = db.write(lambda s: images.create_snapshot(
        s, inst, "b", {"image_type": "backup", "backup_type": "daily"}, "p1"))
    add_instance(db, agent.zone, host=agent.host, id=server, vm_state=st.ACTIVE,
                 task_state=st.IMAGE_SNAPSHOT, snapshot_image_id=new, backup_type="daily",
                 backup_rotation=1)

    agent.reconcile(server)

    assert instance(db, server).task_state is None
    assert b"".join(store.read(new)).startswith(b"onestack fake disk")
    for gone in older:
        assert gone not in store.blobs
        assert db.read(lambda s, i=gone: s.get(im.Image, i)) is None
    assert weekly in store.blobs  # another backup type is not rotated

"""The volume agent's reconcile, called directly on a migrated database per configured
backend, over the in-memory driver (real bytes) and the image service's real seam: rows are
written as the API writes them, then the agent moves them on."""
from __future__ import annotations

import subprocess
import threading
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from onestack.core.db import Database, utcnow
from onestack.volume.agent.host import empty_creates_key
from onestack.volume.drivers import convert
from onestack.volume.drivers.base import VolumeDriverError
from onestack.volume.drivers.memory import Disk, MemoryDriver
from onestack.volume.models.backends import Backend
from onestack.volume.models.volumes import Volume, VolumeMetadata
from tests.support.databases import configured_backends, migrated_database
from tests.unit.volume.agent_support import GiB, MiB, World, pattern

BACKENDS = configured_backends()
needs_qemu_img = pytest.mark.skipif(convert.qemu_img() is None, reason="qemu-img missing")


@pytest.fixture(scope="module", params=BACKENDS, ids=[b.kind for b in BACKENDS])
def db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
       ) -> Iterator[Database]:
    with migrated_database(request.param, tmp_path_factory.mktemp("db")) as handle:
        yield handle


@pytest.fixture()
def world(db: Database) -> World:
    return World(db, MemoryDriver(capacity_gb=500))


class Killed(BaseException):
    """What a ``kill -9`` looks like from inside: nothing after it runs."""


# --- registration ---------------------------------------------------------------------------
def test_the_agent_registers_its_backend_and_beats(world: World) -> None:
    row = world.backend_row()
    assert row.name == f"{world.host}@file#file" and row.host == world.host
    assert row.backend == "file" and row.driver == "memory"
    assert row.total_capacity_gb == 500 and row.max_over_subscription_ratio == 20.0
    assert row.availability_zone == "nova" and not row.disabled
    old = utcnow() - timedelta(minutes=5)
    world.db.write(lambda s: s.execute(sa.update(Backend).where(
        Backend.name == world.backend).values(heartbeat_at=old, total_capacity_gb=1)))
    world.agent.heartbeat()
    row = world.backend_row()
    assert row.heartbeat_at > old and row.total_capacity_gb == 500


def test_a_removed_backend_row_comes_back_with_the_next_beat(world: World) -> None:
    world.db.write(lambda s: s.execute(sa.delete(Backend).where(Backend.name == world.backend)))
    world.agent.heartbeat()
    assert world.backend_row() is not None


def test_an_operators_disable_survives_a_restart(world: World) -> None:
    world.db.write(lambda s: s.execute(sa.update(Backend).where(
        Backend.name == world.backend).values(disabled=True, disabled_reason="maint")))
    world.new_agent(world.driver).start()
    assert world.backend_row().disabled


def test_pending_lists_only_this_backends_busy_rows(world: World) -> None:
    mine = world.volume()
    copy = world.volume(image_id=str(uuid.uuid4()))  # bytes to copy: a key of its own
    world.volume(host="elsewhere@file#file")
    world.volume(status="available")
    world.volume(host="")  # not placed yet (the scheduler's)
    snap = world.snapshot(mine, status="deleting")
    assert world.agent.pending() == [empty_creates_key([mine]), f"volume:{copy}",
                                     f"snapshot:{snap}"]


class Transactions:
    """Counts the read and write transactions made through ``db`` while installed."""

    def __init__(self, db: Database, monkeypatch: pytest.MonkeyPatch):
        self.reads = self.writes = 0
        real_read, real_write = db.read, db.write

        def read(fn, *a, **kw):  # type: ignore[no-untyped-def]
            self.reads += 1
            return real_read(fn, *a, **kw)

        def write(fn, *a, **kw):  # type: ignore[no-untyped-def]
            self.writes += 1
            return real_write(fn, *a, **kw)
        monkeypatch.setattr(db, "read", read)
        monkeypatch.setattr(db, "write", write)


def test_one_pass_makes_every_waiting_empty_volume_in_one_write(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    sizes = {world.volume(size=1 + i % 3): 1 + i % 3 for i in range(12)}
    elsewhere = world.volume(host="elsewhere@file#file")
    (key,) = world.agent.pending()
    assert key == empty_creates_key(list(sizes))
    counted = Transactions(world.db, monkeypatch)
    assert world.agent.reconcile(key)
    assert (counted.reads, counted.writes) == (1, 1)  # not one read and one write each
    for vid, size in sizes.items():
        row = world.row(vid)
        assert row.status == "available" and row.launched_at is not None
        assert row.provider_location == world.driver.location(vid)
        assert world.driver.volume_size_gb(vid) == size and not row.bootable
    assert world.row(elsewhere).status == "creating"
    assert world.agent.pending() == []


def test_an_empty_create_asked_during_a_pass_gets_one_more_pass(world: World) -> None:
    first = world.volume()
    release = world.driver.hold("create_volume")
    t = threading.Thread(target=world.agent.reconcile, args=world.agent.pending())
    t.start()
    try:
        assert world.driver.entered["create_volume"].wait(10)
        late = world.volume()  # committed after the running pass read its rows
        (key,) = world.agent.pending()
        assert world.agent.reconcile(key)  # another worker thread: asks, does not wait
        assert world.row(late).status == "creating"
    finally:
        release.set()
        t.join(10)
    assert world.row(first).status == "available"
    assert world.row(late).status == "available"
    assert world.agent.pending() == []


def test_an_empty_create_pass_leaves_a_row_that_moved_meanwhile(world: World) -> None:
    first, second = world.volume(), world.volume()
    release = world.driver.hold("create_volume")
    t = threading.Thread(target=world.agent.reconcile, args=world.agent.pending())
    t.start()
    try:
        assert world.driver.entered["create_volume"].wait(10)
        world.db.write(lambda s: s.execute(sa.update(Volume).where(
            Volume.id == second).values(status="deleting")))  # a delete won the race
    finally:
        release.set()
        t.join(10)
    assert world.row(first).status == "available"
    assert world.row(second).status == "deleting"


# --- creates -------------------------------------------------------------------------------
def test_an_empty_volume_becomes_available(world: World) -> None:
    vid = world.volume(size=2)
    world.run()
    row = world.row(vid)
    assert row.status == "available" and row.launched_at is not None
    assert row.provider_location == world.driver.location(vid)
    assert world.driver.volume_size_gb(vid) == 2 and not row.bootable
    assert world.agent.pending() == []


def test_a_volume_from_an_image_holds_its_bytes_and_metadata(world: World) -> None:
    data = pattern(3 * MiB + 17)
    image = world.image(data, hw_disk_bus="scsi", os_distro="cirros")
    vid = world.volume(image_id=image)
    world.run()
    row = world.row(vid)
    assert row.status == "available" and row.bootable
    assert world.head(vid, len(data)) == data
    meta = world.image_meta(vid)
    assert meta["image_id"] == image and meta["image_name"] == f"img-{image[:6]}"
    assert meta["disk_format"] == "raw" and meta["container_format"] == "bare"
    assert meta["size"] == str(len(data)) and meta["min_disk"] == "0"
    assert meta["hw_disk_bus"] == "scsi" and meta["os_distro"] == "cirros"


def test_the_volume_shows_downloading_while_the_image_copies(world: World) -> None:
    image = world.image(pattern(MiB))
    vid = world.volume(image_id=image)
    release = world.driver.hold("write_volume")
    t = threading.Thread(target=world.run)
    t.start()
    try:
        assert world.driver.entered["write_volume"].wait(10)
        assert world.row(vid).status == "downloading"
    finally:
        release.set()
        t.join(10)
    assert world.row(vid).status == "available"


@needs_qemu_img
def test_a_volume_from_a_qcow2_image_holds_the_raw_bytes(world: World, tmp_path: Path
                                                         ) -> None:
    data = pattern(2 * MiB, seed=4)
    (tmp_path / "src.raw").write_bytes(data)
    subprocess.run(["qemu-img", "convert", "-f", "raw", "-O", "qcow2",
                    str(tmp_path / "src.raw"), str(tmp_path / "img.qcow2")], check=True)
    image = world.image((tmp_path / "img.qcow2").read_bytes(), disk_format="qcow2")
    vid = world.volume(image_id=image)
    world.run()
    assert world.row(vid).status == "available"
    assert world.head(vid, len(data)) == data
    assert world.image_meta(vid)["disk_format"] == "qcow2"


@pytest.mark.parametrize("case", ["missing", "queued", "too-big"])
def test_an_image_that_cannot_be_copied_ends_in_error_with_a_message(world: World,
                                                                     case: str) -> None:
    image = {"missing": lambda: str(uuid.uuid4()),
             "queued": lambda: world.queued_image(),
             "too-big": lambda: world.image(b"x" * (GiB + 1))}[case]()
    vid = world.volume(image_id=image)
    world.run()
    assert world.row(vid).status == "error"
    (message,) = world.messages(vid)
    assert message.project_id == world.project and message.resource_type == "VOLUME"
    assert message.event_id.startswith("VOLUME_VOLUME_005_")  # copy image to volume
    if case == "too-big":
        assert message.event_id == "VOLUME_VOLUME_005_007"
    assert not world.driver.volume_exists(vid)


def test_a_driver_failure_ends_in_error_with_a_message(world: World) -> None:
    vid = world.volume()
    world.driver.fail("create_volume", VolumeDriverError("disk on fire"))
    world.run()
    assert world.row(vid).status == "error"
    (message,) = world.messages(vid)
    assert message.event_id == "VOLUME_VOLUME_008_012"
    assert world.agent.pending() == []  # an error is not retried


def test_a_restore_without_a_backup_service_ends_in_error(world: World) -> None:
    vid = world.volume(backup_id=str(uuid.uuid4()))
    world.run()
    assert world.row(vid).status == "error"
    assert world.messages(vid)[0].event_id == "VOLUME_VOLUME_015_026"


def test_a_restore_reads_the_backup_hook(world: World) -> None:
    data = pattern(MiB, seed=21)
    backup = str(uuid.uuid4())
    world.agent.backups = type("Backups", (), {
        "open_backup": staticmethod(lambda bid: iter([data]) if bid == backup else None)})()
    vid = world.volume(backup_id=backup)
    world.run()
    assert world.row(vid).status == "available" and world.head(vid, MiB) == data
    # restore into an existing volume (restoring-backup)
    world.driver.write_volume(vid, 1, [pattern(MiB, seed=22)])
    world.db.write(lambda s: s.execute(sa.update(Volume).where(Volume.id == vid)
                                       .values(status="restoring-backup")))
    world.run()
    assert world.row(vid).status == "available" and world.head(vid, MiB) == data


# --- snapshots, clones, revert --------------------------------------------------------------
def test_a_snapshot_keeps_the_old_bytes_and_a_clone_the_new(world: World) -> None:
    old, new = pattern(2 * MiB, seed=5), pattern(2 * MiB, seed=6)
    image = world.image(old, os_distro="cirros")
    vid = world.volume(image_id=image)
    world.run()
    sid = world.snapshot(vid)
    world.run()
    snap = world.snap(sid)
    assert snap.status == "available" and snap.progress == "100%"
    assert snap.provider_location
    world.driver.write_volume(vid, 1, [new])  # overwritten after the snapshot
    from_snap = world.volume(snapshot_id=sid, size=2)
    clone = world.volume(source_volid=vid)
    world.run()
    assert world.row(from_snap).status == "available"
    assert world.head(from_snap, len(old)) == old
    assert world.driver.volume_size_gb(from_snap) == 2
    assert world.head(clone, len(new)) == new
    # both inherit the image metadata and bootable flag of their source
    for made in (from_snap, clone):
        assert world.row(made).bootable
        assert world.image_meta(made)["image_id"] == image


def test_a_snapshot_of_a_missing_volume_ends_in_error(world: World) -> None:
    vid = world.volume(status="available")  # no bytes on the backend
    sid = world.snapshot(vid)
    world.run()
    assert world.snap(sid).status == "error"
    assert world.messages(sid)[0].event_id == "VOLUME_VOLUME_SNAPSHOT_009_013"


def test_a_snapshot_delete_removes_it_and_gives_the_quota_back(world: World) -> None:
    vid = world.volume()
    world.run()
    world.charge(snapshots=1, gigabytes=1)
    sid = world.snapshot(vid)
    world.run()
    world.db.write(lambda s: s.execute(sa.text(
        "UPDATE volume_snapshots SET status = 'deleting' WHERE id = :i"), {"i": sid}))
    world.run()
    assert world.snap(sid) is None and not world.driver.snapshot_exists(sid)
    assert world.usage().get("snapshots") == 0 and world.usage().get("gigabytes") == 0


def test_a_failed_snapshot_delete_ends_in_error_deleting(world: World) -> None:
    vid = world.volume()
    world.run()
    sid = world.snapshot(vid, status="deleting")
    world.driver.fail("delete_snapshot")
    world.run()
    assert world.snap(sid).status == "error_deleting"
    assert world.messages(sid)[0].event_id == "VOLUME_VOLUME_SNAPSHOT_010_016"


def test_revert_copies_the_restoring_snapshot_back(world: World) -> None:
    old = pattern(MiB, seed=8)
    vid = world.volume()
    world.run()
    world.driver.write_volume(vid, 1, [old])
    sid = world.snapshot(vid)
    world.run()
    world.driver.write_volume(vid, 1, [pattern(MiB, seed=9)])
    world.db.write(lambda s: (
        s.execute(sa.text("UPDATE volume_volumes SET status='reverting' WHERE id=:i"),
                  {"i": vid}),
        s.execute(sa.text("UPDATE volume_snapshots SET status='restoring' WHERE id=:i"),
                  {"i": sid})))
    world.run()
    assert world.row(vid).status == "available" and world.snap(sid).status == "available"
    assert world.head(vid, MiB) == old


# --- extend, retype, upload -------------------------------------------------------------------
@pytest.mark.parametrize("attached", [False, True])
def test_extend_grows_and_keeps_the_data(world: World, attached: bool) -> None:
    data = pattern(MiB, seed=10)
    vid = world.volume(image_id=world.image(data))
    world.run()
    before = world.backend_row().allocated_capacity_gb
    world.db.write(lambda s: s.execute(sa.update(Volume).where(Volume.id == vid).values(
        status="extending", target_size=3,
        attach_status="attached" if attached else "detached")))
    world.run()
    row = world.row(vid)
    assert row.status == ("in-use" if attached else "available")
    assert row.size == 3 and row.target_size is None
    assert world.driver.volume_size_gb(vid) == 3 and world.head(vid, MiB) == data
    # the API claimed the capacity with the request; the agent adds nothing
    assert world.backend_row().allocated_capacity_gb == before


def test_a_failed_extend_ends_in_error_extending_and_gives_the_quota_back(world: World
                                                                          ) -> None:
    vid = world.volume()
    world.run()
    world.charge(volumes=1, gigabytes=3)  # 1 GiB volume + the 2 GiB the extend asked for
    world.claim(3)
    before = world.backend_row().allocated_capacity_gb
    world.db.write(lambda s: s.execute(sa.update(Volume).where(Volume.id == vid).values(
        status="extending", target_size=3)))
    world.driver.fail("extend_volume")
    world.run()
    row = world.row(vid)
    assert row.status == "error_extending" and row.size == 1 and row.target_size is None
    assert world.usage()["gigabytes"] == 1
    assert world.backend_row().allocated_capacity_gb == before - 2
    assert world.messages(vid)[0].event_id == "VOLUME_VOLUME_007_010"


def test_retyping_settles_back(world: World) -> None:
    vid = world.volume(status="retyping")
    world.driver.create_volume(vid, 1)
    world.run()
    assert world.row(vid).status == "available"


@pytest.mark.parametrize("fmt", ["raw", pytest.param("qcow2", marks=needs_qemu_img)])
def test_upload_puts_the_volumes_bytes_into_the_image(world: World, tmp_path: Path,
                                                      fmt: str) -> None:
    data = pattern(2 * MiB, seed=12)
    vid = world.volume(image_id=world.image(data))
    world.run()
    target = world.queued_image(disk_format=fmt)
    world.db.write(lambda s: s.execute(sa.update(Volume).where(Volume.id == vid).values(
        status="uploading", task_image_id=target)))
    world.run()
    row = world.row(vid)
    assert row.status == "available" and row.task_image_id is None
    image = world.image_row(target)
    assert image.status == "active"
    stored = world.image_bytes(target)
    if fmt == "raw":
        assert image.size == GiB and stored[:len(data)] == data
        assert stored[len(data):].count(0) == GiB - len(data)
    else:
        (tmp_path / "up.qcow2").write_bytes(stored)
        subprocess.run(["qemu-img", "convert", "-f", "qcow2", "-O", "raw",
                        str(tmp_path / "up.qcow2"), str(tmp_path / "back.raw")], check=True)
        back = (tmp_path / "back.raw").read_bytes()
        assert len(back) == GiB and back[:len(data)] == data and len(stored) < GiB


def test_a_failed_upload_returns_the_volume_and_drops_the_image(world: World) -> None:
    vid = world.volume(attach_status="attached")
    world.run()
    target = world.queued_image()
    world.db.write(lambda s: s.execute(sa.update(Volume).where(Volume.id == vid).values(
        status="uploading", task_image_id=target)))
    world.driver.fail("read_volume")
    world.run()
    assert world.row(vid).status == "in-use"
    assert world.image_row(target) is None
    assert world.messages(vid)[0].event_id == "VOLUME_VOLUME_003_004"


# --- delete --------------------------------------------------------------------------------
def test_delete_removes_bytes_rows_capacity_and_quota(world: World) -> None:
    world.charge(volumes=1, gigabytes=2)
    world.claim(2)
    before = world.backend_row().allocated_capacity_gb
    vid = world.volume(size=2)
    world.run()
    world.db.write(lambda s: s.add(VolumeMetadata(volume_id=vid, key="k", value="v")))
    world.db.write(lambda s: s.execute(sa.update(Volume).where(Volume.id == vid)
                                       .values(status="deleting")))
    world.run()
    assert world.row(vid) is None and not world.driver.volume_exists(vid)
    assert world.backend_row().allocated_capacity_gb == before - 2
    assert world.usage()["volumes"] == 0 and world.usage()["gigabytes"] == 0


def test_delete_of_a_volume_the_backend_never_had_succeeds(world: World) -> None:
    vid = world.volume(status="deleting")
    world.run()
    assert world.row(vid) is None


def test_a_failed_delete_ends_in_error_deleting(world: World) -> None:
    vid = world.volume()
    world.run()
    world.db.write(lambda s: s.execute(sa.update(Volume).where(Volume.id == vid)
                                       .values(status="deleting")))
    world.driver.fail("delete_volume")
    world.run()
    assert world.row(vid).status == "error_deleting"
    assert world.messages(vid)
    assert world.driver.volume_exists(vid)


def test_the_agent_leaves_another_backends_rows_alone(world: World) -> None:
    vid = world.volume(host="other@file#file")
    assert world.agent.reconcile(f"volume:{vid}")
    assert world.row(vid).status == "creating"


def test_an_operators_reset_is_not_overwritten(world: World) -> None:
    """The outcome is written only while the row is still in the status the step began
    from: an admin's os-reset_status during a slow copy wins."""
    vid = world.volume()
    release = world.driver.hold("create_volume")
    t = threading.Thread(target=world.run)
    t.start()
    assert world.driver.entered["create_volume"].wait(10)
    world.db.write(lambda s: s.execute(sa.update(Volume).where(Volume.id == vid)
                                       .values(status="error")))
    release.set()
    t.join(10)
    assert world.row(vid).status == "error"


# --- crash safety ----------------------------------------------------------------------------
class KillAfter(MemoryDriver):
    """A driver whose process dies right after (or before) the named operation's work."""

    def __init__(self, after: str = "", before: str = "", **kw: object):
        super().__init__(**kw)  # type: ignore[arg-type]
        self.after, self.before = after, before

    def __getattribute__(self, name: str):  # noqa: ANN204
        attr = super().__getattribute__(name)
        if name in (super().__getattribute__("after"), super().__getattribute__("before")):
            killed_before = name == super().__getattribute__("before")

            def dying(*args: object, **kw: object) -> object:
                if killed_before:
                    raise Killed(name)
                attr(*args, **kw)
                raise Killed(name)
            return dying
        return attr


@pytest.mark.parametrize("op", ["create_volume", "write_volume", "clone_volume",
                                "delete_volume", "extend_volume", "create_snapshot"])
@pytest.mark.parametrize("when", ["before", "after"])
def test_an_agent_killed_mid_step_is_finished_by_the_next(db: Database, op: str,
                                                          when: str) -> None:
    dying = KillAfter(**{when: op})
    world = World(db, dying)
    source = world.volume(status="available")
    dying.volumes[source] = Disk(GiB)
    kind = {"create_volume": {}, "write_volume": {"image_id": world.image(pattern(MiB))},
            "clone_volume": {"source_volid": source}}
    if op in kind:
        work = world.volume(**kind[op])
    elif op == "delete_volume":
        work = world.volume(status="deleting")
        dying.create_volume(work, 1)
    elif op == "extend_volume":
        work = world.volume(status="extending", target_size=2)
        dying.create_volume(work, 1)
    else:
        work = world.snapshot(source)
    with pytest.raises(Killed):
        world.run()
    busy = world.snap(work) if op == "create_snapshot" else world.row(work)
    assert busy.status in ("creating", "downloading", "deleting", "extending")
    # the restarted agent: the same backend (the bytes survive), a driver that lives on
    healthy = MemoryDriver()
    healthy.volumes, healthy.snapshots = dying.volumes, dying.snapshots
    world.driver = healthy
    restarted = world.new_agent(healthy)
    restarted.start()
    world.run(restarted)
    after = world.snap(work) if op == "create_snapshot" else world.row(work)
    if op == "delete_volume":
        assert after is None and not healthy.volume_exists(work)
    else:
        assert after.status == "available"
        if op == "extend_volume":
            assert after.size == 2 and healthy.volume_size_gb(work) == 2
        if op == "write_volume":
            assert world.head(work, MiB) == pattern(MiB)
    assert restarted.pending() == []


def test_a_driver_that_keeps_failing_never_leaves_a_row_busy(world: World) -> None:
    created = world.volume()
    world.driver.create_volume(bad := str(uuid.uuid4()), 1)
    deleting = world.volume(status="deleting", id=bad)
    extending = world.volume(status="extending", target_size=5)
    world.driver.create_volume(extending, 1)
    snap = world.snapshot(extending)
    snap_del = world.snapshot(extending, status="deleting")
    for op in ("create_volume", "delete_volume", "extend_volume", "create_snapshot",
               "delete_snapshot"):
        for _ in range(3):
            world.driver.fail(op)
    world.run()
    assert world.row(created).status == "error"
    assert world.row(deleting).status == "error_deleting"
    assert world.row(extending).status == "error_extending"
    assert world.snap(snap).status == "error"
    assert world.snap(snap_del).status == "error_deleting"
    assert world.agent.pending() == []


# --- manage (admin) ----------------------------------------------------------------------------
def test_managing_adopts_the_bytes_and_charges_their_size(world: World) -> None:
    data = pattern(MiB, seed=40)
    old = str(uuid.uuid4())
    world.driver.write_volume(old, 3, [data])  # what an unmanage left behind
    before = world.backend_row().allocated_capacity_gb
    vid = world.volume(status="managing", size=0, provider_location=f"volume-{old}")
    world.run()
    row = world.row(vid)
    assert row.status == "available" and row.size == 3
    assert row.provider_location == world.driver.location(vid)
    assert world.head(vid, MiB) == data and not world.driver.volume_exists(old)
    assert world.usage()["gigabytes"] == 3
    assert world.backend_row().allocated_capacity_gb == before + 3


def test_managing_what_is_not_there_ends_in_error_managing(world: World) -> None:
    vid = world.volume(status="managing", size=0, provider_location="volume-nothing")
    world.run()
    assert world.row(vid).status == "error_managing" and world.messages(vid)


def test_managing_past_the_quota_ends_in_error_managing(world: World) -> None:
    from onestack.volume.models.quotas import QuotaLimit

    world.db.write(lambda s: s.add(QuotaLimit(project_id=world.project,
                                              resource="gigabytes", hard_limit=1)))
    old = str(uuid.uuid4())
    world.driver.create_volume(old, 5)
    vid = world.volume(status="managing", size=0, provider_location=f"volume-{old}")
    world.run()
    assert world.row(vid).status == "error_managing"
    assert world.messages(vid)[0].event_id == "VOLUME_VOLUME_008_006"
    assert world.usage().get("gigabytes", 0) == 0


def test_a_managed_snapshot_becomes_available(world: World) -> None:
    vid = world.volume()
    world.run()
    old = str(uuid.uuid4())
    world.driver.create_snapshot(old, vid)
    sid = world.snapshot(vid, status="managing")
    world.db.write(lambda s: s.execute(sa.text(
        "UPDATE volume_snapshots SET provider_location = :p WHERE id = :i"),
        {"p": f"snapshot-{old}", "i": sid}))
    world.run()
    snap = world.snap(sid)
    assert snap.status == "available" and snap.progress == "100%"
    assert world.driver.snapshot_exists(sid) and not world.driver.snapshot_exists(old)


def test_a_cascade_delete_removes_the_snapshots_before_the_volume(world: World) -> None:
    """A volume deleted with ``cascade`` and its snapshots are all ``deleting``: the
    volume's step takes its snapshots first, so no client lists a snapshot of a volume
    that is already gone (Tempest's cascade test saw one)."""
    vid = world.volume()
    world.run()
    sids = [world.snapshot(vid) for _ in range(2)]
    world.run()
    for sid in sids:
        world.db.write(lambda s, sid=sid: s.execute(sa.text(
            "UPDATE volume_snapshots SET status = 'deleting' WHERE id = :i"), {"i": sid}))
    world.db.write(lambda s: s.execute(sa.update(Volume).where(Volume.id == vid)
                                       .values(status="deleting")))
    assert world.agent.reconcile(f"volume:{vid}")
    assert world.row(vid) is None
    assert all(world.snap(sid) is None for sid in sids)
    assert not any(world.driver.snapshot_exists(sid) for sid in sids)


def test_a_volume_whose_snapshot_cannot_go_is_not_deleted(world: World) -> None:
    vid = world.volume()
    world.run()
    sid = world.snapshot(vid, status="deleting")
    world.db.write(lambda s: s.execute(sa.update(Volume).where(Volume.id == vid)
                                       .values(status="deleting")))
    world.driver.fail("delete_snapshot")
    world.agent.reconcile(f"volume:{vid}")
    assert world.snap(sid).status == "error_deleting"
    assert world.row(vid).status == "error_deleting"
    assert world.driver.volume_exists(vid)


def test_a_snapshot_an_admin_reset_to_creating_is_left_alone(world: World) -> None:
    """``os-reset_status`` only relabels (Cinder): a snapshot reset to ``creating`` or
    ``deleting`` is no work for the agent until a real delete clears the mark."""
    vid = world.volume()
    world.run()
    sid = world.snapshot(vid)
    world.run()
    world.db.write(lambda s: s.execute(sa.text(
        "UPDATE volume_snapshots SET status = 'deleting', status_reset = :t WHERE id = :i"),
        {"i": sid, "t": True}))
    assert f"snapshot:{sid}" not in world.agent.pending()
    world.agent.reconcile(f"snapshot:{sid}")
    assert world.snap(sid).status == "deleting" and world.driver.snapshot_exists(sid)

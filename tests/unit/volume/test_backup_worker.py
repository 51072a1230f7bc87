"""The backup worker's reconcile, called directly on a migrated database per configured
backend: volumes hold real bytes in the in-memory driver, backups go to the in-memory
store, rows are written as the API writes them. Restores are the volume agent's step,
reading through ``BackupSource``: together they show a backup's bytes coming back."""
from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from onestack.core.db import Database, utcnow
from onestack.volume.agent.host import VolumeAgent
from onestack.volume.backup.chunks import object_prefix
from onestack.volume.backup.memory import MemoryStore
from onestack.volume.backup.reading import DriverReader
from onestack.volume.backup.worker import BINARY, BackupSource, BackupWorker
from onestack.volume.drivers.memory import MemoryDriver
from onestack.volume.models.backends import Service
from onestack.volume.models.backups import Backup, BackupChunk
from onestack.volume.models.messages import Message
from tests.support.databases import configured_backends, migrated_database
from tests.unit.volume.agent_support import GiB, MiB, World

BACKENDS = configured_backends()
CHUNK = 1 << 20


@pytest.fixture(scope="module", params=BACKENDS, ids=[b.kind for b in BACKENDS])
def db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
       ) -> Iterator[Database]:
    with migrated_database(request.param, tmp_path_factory.mktemp("db")) as handle:
        yield handle


class Backups:
    """A volume agent world plus a backup worker on the same driver and a store."""

    def __init__(self, db: Database) -> None:
        self.world = World(db, MemoryDriver(capacity_gb=500))
        self.db, self.driver = db, self.world.driver
        self.store = MemoryStore()
        self.host = f"bhost-{uuid.uuid4().hex[:8]}"
        self.worker = self.new_worker()
        self.worker.register()
        self.agent = VolumeAgent(db, None, self.world.host, self.driver,
                                 backups=BackupSource(db, self.store))

    def new_worker(self, reader: Any = None) -> BackupWorker:
        return BackupWorker(self.db, self.host, self.store,
                            reader or DriverReader(lambda host: self.driver), chunk_size=CHUNK)

    # --- arranging ------------------------------------------------------------------------
    def volume(self, data: bytes = b"", size: int = 1, status: str = "available",
               **values: Any) -> str:
        ident = self.world.volume(status=status, size=size, **values)
        self.driver.write_volume(ident, size, [data] if data else [])
        return ident

    def backup(self, volume_id: str, status: str = "creating", parent: str | None = None,
               **values: Any) -> str:
        ident = values.pop("id", None) or str(uuid.uuid4())
        now = utcnow()

        def work(s: Any) -> None:
            s.add(Backup(id=ident, project_id=self.world.project, user_id="u",
                         volume_id=volume_id, host=values.pop("host", self.host),
                         status=status, task=values.pop("task", "backup"), size=1,
                         object_count=0, parent_id=parent, num_dependent_backups=0,
                         data_timestamp=now, created_at=now, use_quota=True, **values))
            if parent:
                s.get(Backup, parent).num_dependent_backups += 1
        self.db.write(work)
        return ident

    def backing_up(self, volume_id: str, previous: str = "available") -> None:
        self.world.db.write(lambda s: setattr(self.world_row(s, volume_id), "status",
                                              "backing-up") or setattr(
            self.world_row(s, volume_id), "previous_status", previous))

    @staticmethod
    def world_row(s: Any, volume_id: str) -> Any:
        from onestack.volume.models.volumes import Volume

        return s.get(Volume, volume_id)

    def run(self, worker: BackupWorker | None = None) -> None:
        worker = worker or self.worker
        for _ in range(5):
            ids = worker.pending()
            if not ids:
                return
            for ident in ids:
                worker.reconcile(ident)

    # --- looking --------------------------------------------------------------------------
    def row(self, ident: str) -> Backup | None:
        return self.db.read(lambda s: s.get(Backup, ident))

    def chunks(self, ident: str) -> list[BackupChunk]:
        return self.db.read(lambda s: list(s.scalars(sa.select(BackupChunk).where(
            BackupChunk.backup_id == ident).order_by(BackupChunk.idx))))

    def restored_bytes(self, backup_id: str) -> bytes:
        return b"".join(BackupSource(self.db, self.store).open_backup(backup_id))

    def volume_bytes(self, volume_id: str) -> bytes:
        return b"".join(self.driver.read_volume(volume_id))


@pytest.fixture()
def b(db: Database) -> Backups:
    return Backups(db)


def test_worker_registers_a_cinder_backup_service_that_heartbeats(b: Backups) -> None:
    first = b.db.read(lambda s: s.get(Service, (BINARY, b.host)))
    assert first is not None and first.heartbeat_at is not None
    b.db.write(lambda s: s.execute(sa.update(Service).where(Service.host == b.host)
                                   .values(heartbeat_at=None)))
    b.worker.heartbeat()
    assert b.db.read(lambda s: s.get(Service, (BINARY, b.host))).heartbeat_at is not None


def test_full_backup_holds_the_volume_bytes_and_gives_the_volume_back(b: Backups) -> None:
    data = os.urandom(3 * MiB + 100)
    vol = b.volume(data)
    b.backing_up(vol)
    bid = b.backup(vol)
    b.run()
    row = b.row(bid)
    assert row.status == "available" and row.fail_reason is None
    assert row.object_count == 4  # 3 MiB + 100 bytes of data; the rest of 1 GiB is zeros
    assert len(b.chunks(bid)) == GiB // CHUNK
    assert b.world.row(vol).status == "available"
    restored = b.restored_bytes(bid)
    assert len(restored) == GiB and restored[:len(data)] == data
    assert restored.count(0, len(data)) == GiB - len(data)


def test_in_use_volume_goes_back_to_in_use(b: Backups) -> None:
    vol = b.volume(b"x" * 100, status="in-use", attach_status="attached")
    b.backing_up(vol, previous="in-use")
    bid = b.backup(vol)
    b.run()
    assert b.row(bid).status == "available"
    assert b.world.row(vol).status == "in-use"


def test_incremental_stores_only_changed_chunks_and_restores_the_new_bytes(
        b: Backups) -> None:
    first = os.urandom(4 * MiB)
    vol = b.volume(first)
    full = b.backup(vol)
    b.run()
    changed = first[:MiB] + os.urandom(MiB) + first[2 * MiB:]
    b.driver.write_volume(vol, 1, [changed])
    incr = b.backup(vol, parent=full)
    b.run()
    row = b.row(incr)
    assert row.status == "available" and row.object_count == 1
    objects = [c.object for c in b.chunks(incr)[:4]]
    assert objects[1].startswith(object_prefix(incr))
    assert all(o.startswith(object_prefix(full)) for o in (objects[0], objects[2],
                                                            objects[3]))
    assert b.restored_bytes(incr)[:4 * MiB] == changed
    assert b.restored_bytes(full)[:4 * MiB] == first
    assert b.row(full).num_dependent_backups == 1


def test_snapshot_backup_reads_the_snapshot(b: Backups) -> None:
    old = os.urandom(2 * MiB)
    vol = b.volume(old)
    snap = b.world.snapshot(vol, status="backing-up")
    b.driver.create_snapshot(snap, vol)
    b.driver.write_volume(vol, 1, [os.urandom(2 * MiB)])  # the volume moves on
    bid = b.backup(vol, snapshot_id=snap)
    b.run()
    assert b.row(bid).status == "available"
    assert b.restored_bytes(bid)[:2 * MiB] == old
    assert b.world.snap(snap).status == "available"


def test_backup_of_a_volume_missing_on_its_backend_ends_in_error(b: Backups) -> None:
    vol = b.world.volume(status="available")  # a row only: the driver has no bytes
    b.backing_up(vol)
    bid = b.backup(vol)
    b.run()
    row = b.row(bid)
    assert row.status == "error" and row.fail_reason
    assert b.world.row(vol).status == "available"
    events = b.db.read(lambda s: [m.event_id for m in s.scalars(
        sa.select(Message).where(Message.resource_uuid == bid))])
    assert events == ["VOLUME_VOLUME_BACKUP_013_020"]
    assert b.store.names(object_prefix(bid)) == []


class Killed(BaseException):
    """The process dies: nothing after this point runs (no error status written)."""


class DiesAfter(DriverReader):
    """Reads like the driver, then the worker is killed after ``n`` chunks."""

    def __init__(self, drivers: Any, n: int) -> None:
        super().__init__(drivers)
        self.n = n

    def read_volume(self, backend_driver: str, volume: Any) -> Iterator[bytes]:
        for i, chunk in enumerate(super().read_volume(backend_driver, volume)):
            if i >= self.n:
                raise Killed()
            yield chunk


def test_a_creating_backup_left_by_a_killed_worker_is_finished_next_pass(
        b: Backups) -> None:
    data = os.urandom(12 * MiB)
    vol = b.volume(data)
    b.backing_up(vol)
    bid = b.backup(vol)
    dying = b.new_worker(DiesAfter(lambda host: b.driver, 3))
    with pytest.raises(Killed):
        dying.reconcile(bid)
    assert b.row(bid).status == "creating" and b.store.names(object_prefix(bid))
    assert b.world.row(vol).status == "backing-up"
    b.run(b.new_worker())  # the restarted worker
    assert b.row(bid).status == "available"
    assert b.restored_bytes(bid)[:len(data)] == data
    assert b.world.row(vol).status == "available"


def test_delete_removes_the_objects_it_alone_holds_and_gives_quota_back(
        b: Backups) -> None:
    data = os.urandom(3 * MiB)
    vol = b.volume(data)
    b.world.charge(backups=2, backup_gigabytes=2)
    full = b.backup(vol)
    b.run()
    b.driver.write_volume(vol, 1, [os.urandom(MiB) + data[MiB:]])
    incr = b.backup(vol, parent=full)
    b.run()
    shared = {c.object for c in b.chunks(incr) if c.object} - set(
        b.store.names(object_prefix(incr)))
    assert shared  # the incremental names some of the full backup's objects
    b.db.write(lambda s: setattr(s.get(Backup, incr), "status", "deleting"))
    b.run()
    assert b.row(incr) is None and b.chunks(incr) == []
    assert b.store.names(object_prefix(incr)) == []
    assert all(b.store.exists(o) for o in shared)
    assert b.row(full).num_dependent_backups == 0
    assert b.world.usage()["backups"] == 1 and b.world.usage()["backup_gigabytes"] == 1
    b.db.write(lambda s: setattr(s.get(Backup, full), "status", "deleting"))
    b.run()
    assert b.row(full) is None and b.store.names() == []


def test_deleting_an_imported_copy_keeps_the_objects_the_original_names(
        b: Backups) -> None:
    vol = b.volume(os.urandom(2 * MiB))
    orig = b.backup(vol)
    b.run()
    copy = b.backup(vol, status="deleting")
    b.db.write(lambda s: s.add_all([BackupChunk(backup_id=copy, idx=c.idx, length=c.length,
                                                sha256=c.sha256, object=c.object)
                                    for c in b.chunks(orig)]))
    b.run()
    assert b.row(copy) is None
    assert b.restored_bytes(orig)[:2 * MiB] == b.volume_bytes(vol)[:2 * MiB]


def test_import_is_available_only_when_the_store_holds_every_object(b: Backups) -> None:
    vol = b.volume(os.urandom(2 * MiB))
    orig = b.backup(vol)
    b.run()
    good = b.backup(vol, task="import")
    bad = b.backup(vol, task="import")
    rows = [BackupChunk(backup_id=good, idx=c.idx, length=c.length, sha256=c.sha256,
                        object=c.object) for c in b.chunks(orig)]
    rows.append(BackupChunk(backup_id=bad, idx=0, length=CHUNK, sha256="0" * 64,
                            object="backup-gone/chunk-000000"))
    b.db.write(lambda s: s.add_all(rows))
    b.run()
    assert b.row(good).status == "available"
    assert b.row(bad).status == "error" and "backup-gone" in b.row(bad).fail_reason


def test_restore_into_a_new_volume_and_over_an_existing_one(b: Backups) -> None:
    """The volume agent writes the bytes (``creating`` with ``backup_id``, or
    ``restoring-backup``) from ``BackupSource``; the worker then makes the backup
    available again."""
    data = os.urandom(2 * MiB + 5)
    vol = b.volume(data)
    bid = b.backup(vol)
    b.run()
    new = b.world.volume(status="creating", backup_id=bid)
    other = b.volume(os.urandom(MiB), status="restoring-backup", backup_id=bid)
    b.db.write(lambda s: setattr(s.get(Backup, bid), "status", "restoring") or setattr(
        s.get(Backup, bid), "restore_volume_id", new))
    b.run()
    assert b.row(bid).status == "restoring"  # the volume is still being written
    for key in b.agent.pending():
        b.agent.reconcile(key)
    assert b.world.row(new).status == "available"
    assert b.world.row(other).status == "available"
    assert b.volume_bytes(new)[:len(data)] == data
    assert b.volume_bytes(other)[:len(data)] == data
    b.run()
    row = b.row(bid)
    assert row.status == "available" and row.restore_volume_id is None


def test_restoring_backup_whose_volume_is_gone_is_available_again(b: Backups) -> None:
    vol = b.volume(b"abc")
    bid = b.backup(vol)
    b.run()
    b.db.write(lambda s: setattr(s.get(Backup, bid), "status", "restoring") or setattr(
        s.get(Backup, bid), "restore_volume_id", str(uuid.uuid4())))
    b.run()
    assert b.row(bid).status == "available"


def test_rows_of_another_backup_host_are_left_alone_unowned_ones_claimed(
        b: Backups) -> None:
    vol = b.volume(b"abc")
    theirs = b.backup(vol, host="elsewhere")
    unowned = b.backup(vol, host="")
    b.run()
    assert b.row(theirs).status == "creating"
    assert b.row(unowned).status == "available" and b.row(unowned).host == b.host


def test_runner_registers_and_moves_a_woken_backup(b: Backups, tmp_path: Any) -> None:
    """``onestack agent backup``'s runner: the service row, the wake-up topic the API
    notifies, and a stop that ends the threads."""
    import time

    from onestack.core.bus import InProcessBus
    from onestack.core.config import Settings
    from onestack.core.registry import AgentContext
    from onestack.volume.backup import runner

    bus = InProcessBus()
    host = f"rhost-{uuid.uuid4().hex[:6]}"
    ctx = AgentContext(b.db, bus, Settings(), hosts=((host, "nova"),), state_dir=tmp_path)
    running = runner.Running()
    runner.start_worker(ctx, running, host, "nova", store=b.store,
                        reader=DriverReader(lambda h: b.driver), resync=30.0)
    try:
        assert b.db.read(lambda s: s.get(Service, (BINARY, host))) is not None
        vol = b.volume(b"data")
        bid = b.backup(vol, host=host)
        bus.notify(runner.topic(host), bid)
        deadline = time.monotonic() + 20
        while b.row(bid).status == "creating" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert b.row(bid).status == "available"
    finally:
        running.stop()
    assert runner.store_root(tmp_path) == tmp_path / "backups"


class KilledSource(BackupSource):
    """The volume agent's process dies after ``n`` chunks of a restore."""

    def __init__(self, db: Database, store: Any, n: int) -> None:
        super().__init__(db, store)
        self.n = n

    def open_backup(self, backup_id: str) -> Iterator[bytes]:
        for i, chunk in enumerate(super().open_backup(backup_id)):
            if i >= self.n:
                raise Killed()
            yield chunk


def test_a_restore_left_by_a_killed_agent_is_finished_next_pass(b: Backups) -> None:
    """``restoring-backup`` (an existing volume) and ``creating`` with ``backup_id`` (a
    new one): the agent dies mid-write, the restarted agent writes the whole backup, and
    the worker then makes the backup available."""
    data = os.urandom(6 * MiB)
    vol = b.volume(data)
    bid = b.backup(vol)
    b.run()
    target = b.volume(os.urandom(MiB), status="restoring-backup", backup_id=bid)
    new = b.world.volume(status="creating", backup_id=bid)
    b.db.write(lambda s: setattr(s.get(Backup, bid), "status", "restoring") or setattr(
        s.get(Backup, bid), "restore_volume_id", target))
    dying = VolumeAgent(b.db, None, b.world.host, b.driver,
                        backups=KilledSource(b.db, b.store, 2))
    for key in (f"volume:{target}", f"volume:{new}"):
        with pytest.raises(Killed):
            dying.reconcile(key)
    assert b.world.row(target).status == "restoring-backup"
    assert b.world.row(new).status == "creating"
    b.run()
    assert b.row(bid).status == "restoring"
    for key in b.agent.pending():  # the restarted agent
        b.agent.reconcile(key)
    for ident in (target, new):
        assert b.world.row(ident).status == "available"
        assert b.volume_bytes(ident)[:len(data)] == data
    b.run()
    assert b.row(bid).status == "available"

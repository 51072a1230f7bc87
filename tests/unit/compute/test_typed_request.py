"""Typed instance columns with one writer each instead of keys of the ``request`` JSON that
the API, the scheduler and the host agent all rewrote: a writer that rewrites the whole
blob from what it read before a slow step loses what another wrote meanwhile. And the
migration that moves existing rows' keys into the columns, on every configured backend."""
from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from onestack import migrations
from onestack.compute import models as cm
from onestack.compute import records
from onestack.compute import states as st
from onestack.compute.drivers.base import RUNNING, SHUTDOWN
from onestack.compute.scheduler import Scheduler
from onestack.core.db import Database, utcnow
from tests.support.databases import TestDatabase
from tests.unit.compute.reconcile_support import (BACKENDS, SMALL, add_host, add_instance,
                                                  db, instance, unique, update)

__all__ = ["db"]  # the fixture, imported for pytest


def test_a_field_written_during_a_spawn_survives_the_agent_finishing_it(db: Database) -> None:
    """The agent read the row, then spawned (slow on a real hypervisor); meanwhile another
    writer recorded a field. Finishing the build must not write back what it read: before,
    ``_finish(request=...)`` rewrote the whole JSON and the field written meanwhile was
    lost."""
    zone = unique("az")
    agent = add_host(db, zone=zone)
    ident = add_instance(db, zone, request={"hints": {"a": "1"}})
    Scheduler(db, agent.bus).reconcile(ident)
    stale = instance(db, ident)  # what the agent's reconcile read
    assert stale.task_state == st.SPAWNING
    spawn = agent.driver.spawn

    def slow_spawn(spec) -> None:
        update(db, ident, request={"hints": {"a": "1", "b": "2"}})
        spawn(spec)
    agent.driver.spawn = slow_spawn
    agent._spawn(stale)
    row = instance(db, ident)
    assert row.vm_state == st.ACTIVE
    assert row.request == {"hints": {"a": "1", "b": "2"}}


def test_an_evacuated_stopped_server_comes_back_stopped(db: Database) -> None:
    """``keep_stopped`` and ``evacuating`` are what the API asked; the agent only reads
    them (and the evacuation's migration is marked done)."""
    zone = unique("az")
    agent = add_host(db, zone=zone)
    ident = add_instance(db, zone, keep_stopped=True, evacuating=True)
    Scheduler(db, agent.bus).reconcile(ident)
    agent.reconcile(ident)
    row = instance(db, ident)
    assert (row.vm_state, row.power_state) == (st.STOPPED, SHUTDOWN)
    assert agent.driver.list_instances() == {ident: SHUTDOWN}
    assert (row.keep_stopped, row.evacuating) == (True, True)  # the API's to clear


def test_a_plain_build_runs(db: Database) -> None:
    zone = unique("az")
    agent = add_host(db, zone=zone)
    ident = add_instance(db, zone)
    Scheduler(db, agent.bus).reconcile(ident)
    agent.reconcile(ident)
    row = instance(db, ident)
    assert (row.vm_state, row.power_state) == (st.ACTIVE, RUNNING)
    assert (row.keep_stopped, row.evacuating, row.shelved_image_id) == (False, False, None)


def _resized(db: Database) -> tuple[str, object, object]:
    """A server cold-migrated to a second host, awaiting confirm or revert."""
    zone = unique("az")
    agents = [add_host(db, zone=zone) for _ in range(2)]
    ident = add_instance(db, zone)
    Scheduler(db, agents[0].bus).reconcile(ident)
    source = next(a for a in agents if a.host == instance(db, ident).host)
    dest = next(a for a in agents if a is not source)
    source.reconcile(ident)

    def ask_migrate(s) -> None:
        row = s.get(cm.Instance, ident)
        records.start_migration(s, row, "migration", "pre-migrating")
        row.task_state = st.MIGRATING
    db.write(ask_migrate)
    Scheduler(db, source.bus).reconcile(ident)
    dest.reconcile(ident)
    assert instance(db, ident).vm_state == st.RESIZED
    return ident, source, dest


def test_a_field_written_during_a_revert_survives_the_agent_finishing_it(
        db: Database) -> None:
    """The destination read the row, then destroyed its copy; what was written meanwhile
    stays: before, the revert wrote back the request JSON it had read, minus the move."""
    ident, source, dest = _resized(db)
    update(db, ident, task_state=st.RESIZE_REVERTING)
    stale = instance(db, ident)
    destroy = dest.driver.destroy

    def slow_destroy(instance_id: str) -> None:
        update(db, ident, request={"hints": {"written": "meanwhile"}})
        destroy(instance_id)
    dest.driver.destroy = slow_destroy
    dest._revert(stale)
    row = instance(db, ident)
    assert (row.host, row.task_state) == (source.host, None)
    assert row.request == {"hints": {"written": "meanwhile"}}


def test_a_field_written_while_the_scheduler_filters_survives_its_placement(
        db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """The scheduler read the row, then filtered hosts; what was written meanwhile stays:
    before, the placement wrote back the request JSON read before the filtering."""
    zone = unique("az")
    agent = add_host(db, zone=zone)
    ident = add_instance(db, zone, request={"hints": {}})
    hosts = Scheduler._hosts

    def slow_hosts(self, s, inst, wanted, exclude):
        update(db, ident, request={"hints": {"k": "v"}})
        return hosts(self, s, inst, wanted, exclude)
    monkeypatch.setattr(Scheduler, "_hosts", slow_hosts)
    Scheduler(db, agent.bus).reconcile(ident)
    row = instance(db, ident)
    assert (row.host, row.task_state) == (agent.host, st.SPAWNING)
    assert row.request.get("hints") == {"k": "v"}


def test_a_resize_takes_its_flavor_from_the_migration_row(db: Database) -> None:
    """The API writes the new flavor on the migration, the scheduler the destination and
    zone there, the agent reads both; confirming leaves the row as history."""
    zone = unique("az")
    agents = [add_host(db, zone=zone) for _ in range(2)]
    ident = add_instance(db, zone)
    Scheduler(db, agents[0].bus).reconcile(ident)
    host = next(a for a in agents if a.host == instance(db, ident).host)
    host.reconcile(ident)

    def ask_resize(s) -> None:
        row = s.get(cm.Instance, ident)
        records.start_migration(s, row, "resize", "pre-migrating", dict(SMALL))
        row.task_state = st.RESIZE_PREP
    db.write(ask_resize)
    Scheduler(db, host.bus).reconcile(ident)
    move = db.read(lambda s: records.current_migration(s, ident))
    assert (move.status, move.new_flavor_id, move.dest_compute) == (
        "migrating", SMALL["id"], instance(db, ident).host)
    dest = next(a for a in agents if a.host == move.dest_compute)
    dest.reconcile(ident)
    row = instance(db, ident)
    assert (row.vm_state, row.flavor_id, row.flavor["vcpus"]) == (st.RESIZED, "t2", 2)
    update(db, ident, task_state=st.RESIZE_CONFIRMING)
    dest.reconcile(ident)
    row = instance(db, ident)
    assert (row.vm_state, row.task_state, row.flavor_id) == (st.ACTIVE, None, "t2")
    assert db.read(lambda s: records.current_migration(s, ident)).status == "confirmed"


def test_a_failed_build_tries_each_host_once(db: Database) -> None:
    """The agent records the host it failed on as a row; the scheduler excludes it."""
    zone = unique("az")
    agents = {a.host: a for a in (add_host(db, zone=zone) for _ in range(2))}
    ident = add_instance(db, zone, metadata_={"fake:fail": "spawn"})
    scheduler = Scheduler(db, next(iter(agents.values())).bus)
    for _ in range(2):
        scheduler.reconcile(ident)
        agents[instance(db, ident).host].reconcile(ident)
    assert db.read(lambda s: records.tried_hosts(s, ident)) == set(agents)
    scheduler.reconcile(ident)
    row = instance(db, ident)
    assert (row.vm_state, row.task_state, row.host) == (st.ERROR, None, None)


INSTANCE_COLUMNS = dict(project_id="p", user_id="u", name="n", image_ref="", flavor_id="t1",
                        flavor={}, vm_state="active", power_state=1, locked=False,
                        metadata={}, tags=[], system_metadata={}, progress=0,
                        console_log="", deleted=False, launch_index=0, reservation_id="",
                        disk_config="MANUAL", config_drive="")
# the table as cmp0002 left it, typed as the model types it
BEFORE = sa.Table("compute_instances", sa.MetaData(), *(
    sa.Column(c.name, c.type) for c in cm.Instance.__table__.c
    if c.key in {"id", "request", "task_state", "created_at", "updated_at",
                 *INSTANCE_COLUMNS}))


def test_the_migration_moves_request_keys_into_columns(tmp_path_factory) -> None:
    """cmp0003 on every configured backend: rows written before it keep what they asked
    for, in the columns; the downgrade puts the keys back."""
    for backend in BACKENDS:
        database = TestDatabase(backend, tmp_path_factory.mktemp("mig"))
        try:
            _check_migration(database.url)
        finally:
            database.drop()


def _check_migration(url: str) -> None:
    migrations.upgrade(url, "cmp0002")
    engine = sa.create_engine(url)
    rows = {"a": {"keep_stopped": True, "evacuate": True, "group": "g"},
            "b": {"shelved_image": "img-1"}, "c": {}}
    now = utcnow()
    try:
        with engine.begin() as conn:
            conn.execute(BEFORE.insert(), [dict(id=ident, request=req, created_at=now,
                                                updated_at=now, **INSTANCE_COLUMNS)
                                           for ident, req in rows.items()])
        migrations.upgrade(url, "cmp0003")
        with engine.connect() as conn:
            got = {r.id: r for r in conn.execute(sa.text(
                "SELECT id, request, keep_stopped, evacuating, shelved_image_id "
                "FROM compute_instances"))}
        assert _loads(got["a"].request) == {"group": "g"}
        assert (bool(got["a"].keep_stopped), bool(got["a"].evacuating)) == (True, True)
        assert got["a"].shelved_image_id is None
        assert (_loads(got["b"].request), got["b"].shelved_image_id) == ({}, "img-1")
        assert (bool(got["c"].keep_stopped), bool(got["c"].evacuating)) == (False, False)
        _downgrade(url)
        with engine.connect() as conn:
            back = dict(conn.execute(sa.select(BEFORE.c.id, BEFORE.c.request)).all())
        assert back == rows
    finally:
        engine.dispose()


MIGRATION_COLUMNS = dict(project_id="p", user_id="u", old_flavor_id="t1",
                         new_flavor_id="t2")
MIGRATIONS_BEFORE = sa.Table("compute_migrations", sa.MetaData(), *(
    sa.Column(c.name, c.type) for c in cm.Migration.__table__.c
    if c.name not in ("new_flavor", "dest_zone", "live_step")))
LIVE_MOVE = {"migration": "m-1", "source_host": "a", "dest_host": "b", "dest_zone": "z",
             "live": True, "live_step": "prepared", "group": "g"}
RESIZE_MOVE = {"migration": "m-2", "source_host": "a", "new_flavor": {"id": "t2"}}


def test_the_migration_moves_move_state_onto_migration_rows(tmp_path_factory) -> None:
    """cmp0004 on every configured backend: a live migration under way and a resize
    awaiting its host keep their state, now on their migration rows."""
    for backend in BACKENDS:
        database = TestDatabase(backend, tmp_path_factory.mktemp("mig"))
        try:
            _check_move_migration(database.url)
        finally:
            database.drop()


def _check_move_migration(url: str) -> None:
    migrations.upgrade(url, "cmp0003")
    engine = sa.create_engine(url)
    now = utcnow()
    instances = {"i-1": (LIVE_MOVE, "live_migrating", "m-1", "live-migration"),
                 "i-2": (RESIZE_MOVE, "resize_prep", "m-2", "resize")}
    try:
        with engine.begin() as conn:
            for ident, (req, task, mig, kind) in instances.items():
                conn.execute(BEFORE.insert().values(
                    id=ident, request=req, created_at=now, updated_at=now,
                    **{**INSTANCE_COLUMNS, "task_state": task}))
                conn.execute(MIGRATIONS_BEFORE.insert().values(
                    uuid=mig, instance_uuid=ident, migration_type=kind, status="running",
                    source_compute="a", created_at=now, **MIGRATION_COLUMNS))
        migrations.upgrade(url, "cmp0004")
        with engine.connect() as conn:
            migs = {m.uuid: m for m in conn.execute(sa.select(cm.Migration.__table__))}
            requests = dict(conn.execute(sa.select(BEFORE.c.id, BEFORE.c.request)).all())
        assert requests == {"i-1": {"group": "g"}, "i-2": {}}
        live, resize = migs["m-1"], migs["m-2"]
        assert (live.source_compute, live.dest_compute, live.dest_zone, live.live_step) == (
            "a", "b", "z", "prepared")
        assert (resize.new_flavor, resize.dest_compute) == ({"id": "t2"}, None)
        _downgrade(url, "cmp0004")
        with engine.connect() as conn:
            back = dict(conn.execute(sa.select(BEFORE.c.id, BEFORE.c.request)).all())
        assert back == {"i-1": LIVE_MOVE, "i-2": RESIZE_MOVE}
    finally:
        engine.dispose()


def _loads(value: object) -> dict:
    """A JSON column read without its type (SQLite and MariaDB give text)."""
    return json.loads(value) if isinstance(value, str) else dict(value)


def test_the_migration_moves_scheduling_inputs_out_of_the_request(tmp_path_factory) -> None:
    """cmp0005 on every configured backend: the group and forced host become columns, the
    tried hosts rows; the boot's hints stay in the request; the downgrade puts them back."""
    for backend in BACKENDS:
        database = TestDatabase(backend, tmp_path_factory.mktemp("mig"))
        try:
            _check_inputs_migration(database.url)
        finally:
            database.drop()


def _check_inputs_migration(url: str) -> None:
    migrations.upgrade(url, "cmp0004")
    engine = sa.create_engine(url)
    rows = {"a": {"hints": {"group": "g"}, "group": "g", "force_host": "h1",
                  "tried_hosts": ["h2", "h3"]},
            "b": {"hints": {}}}
    now = utcnow()
    try:
        with engine.begin() as conn:
            conn.execute(BEFORE.insert(), [dict(id=ident, request=req, created_at=now,
                                                updated_at=now, **INSTANCE_COLUMNS)
                                           for ident, req in rows.items()])
        migrations.upgrade(url, "cmp0005")
        with engine.connect() as conn:
            after = sa.table("compute_instances", sa.column("id"),
                             sa.column("request", sa.JSON), sa.column("server_group_id"),
                             sa.column("force_host"))
            got = {r.id: r for r in conn.execute(sa.select(after))}
            tried = sorted(tuple(r) for r in conn.execute(sa.select(
                cm.TriedHost.instance_id, cm.TriedHost.host)))
        assert (got["a"].request, got["a"].server_group_id, got["a"].force_host) == (
            {"hints": {"group": "g"}}, "g", "h1")
        assert (got["b"].request, got["b"].server_group_id, got["b"].force_host) == (
            {"hints": {}}, None, None)
        assert tried == [("a", "h2"), ("a", "h3")]
        _downgrade(url, "cmp0005")
        with engine.connect() as conn:
            back = dict(conn.execute(sa.select(BEFORE.c.id, BEFORE.c.request)).all())
        assert back == rows
    finally:
        engine.dispose()


def test_the_migration_moves_a_snapshot_under_way_into_columns(tmp_path_factory) -> None:
    """cmp0006 on every configured backend: a backup under way keeps its image and
    rotation, in columns; the downgrade puts the key back."""
    for backend in BACKENDS:
        database = TestDatabase(backend, tmp_path_factory.mktemp("mig"))
        try:
            _check_snapshot_migration(database.url)
        finally:
            database.drop()


def _check_snapshot_migration(url: str) -> None:
    migrations.upgrade(url, "cmp0005")
    engine = sa.create_engine(url)
    rows = {"a": {"hints": {}, "snapshot": {"image_id": "img-a", "rotate": {
                "backup_type": "daily", "rotation": 2}}},
            "b": {"hints": {}, "snapshot": {"image_id": "img-b"}}}
    now = utcnow()
    try:
        with engine.begin() as conn:
            conn.execute(BEFORE.insert(), [dict(
                id=ident, request=req, created_at=now, updated_at=now,
                **{**INSTANCE_COLUMNS, "task_state": "image_snapshot"})
                for ident, req in rows.items()])
        migrations.upgrade(url, "cmp0006")
        with engine.connect() as conn:
            after = sa.table("compute_instances", sa.column("id"),
                             sa.column("request", sa.JSON), sa.column("snapshot_image_id"),
                             sa.column("backup_type"), sa.column("backup_rotation"))
            got = {r.id: tuple(r)[1:] for r in conn.execute(sa.select(after))}
        assert got == {"a": ({"hints": {}}, "img-a", "daily", 2),
                       "b": ({"hints": {}}, "img-b", None, None)}
        _downgrade(url, "cmp0006")
        with engine.connect() as conn:
            back = dict(conn.execute(sa.select(BEFORE.c.id, BEFORE.c.request)).all())
        assert back == rows
    finally:
        engine.dispose()


def _downgrade(url: str, revision: str = "cmp0003") -> None:
    from alembic import command
    command.downgrade(migrations.alembic_config(url), revision + "-1")


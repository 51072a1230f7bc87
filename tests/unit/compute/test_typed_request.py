"""Typed instance columns with one writer each instead of keys of the ``request`` JSON that
the API, the scheduler and the host agent all rewrote: a writer that rewrites the whole
blob from what it read before a slow step loses what another wrote meanwhile. And the
migration that moves existing rows' keys into the columns, on every configured backend."""
from __future__ import annotations

import sqlalchemy as sa

from onestack import migrations
from onestack.compute import models as cm
from onestack.compute import states as st
from onestack.compute.drivers.base import RUNNING, SHUTDOWN
from onestack.compute.scheduler import Scheduler
from onestack.core.db import Database, utcnow
from tests.support.databases import TestDatabase
from tests.unit.compute.reconcile_support import (BACKENDS, add_host, add_instance, db,
                                                  instance, unique, update)

__all__ = ["db"]  # the fixture, imported for pytest


def test_a_field_written_during_a_spawn_survives_the_agent_finishing_it(db: Database) -> None:
    """The agent read the row, then spawned (slow on a real hypervisor); meanwhile another
    writer recorded a field. Finishing the build must not write back what it read: before,
    ``_finish(request=...)`` rewrote the whole JSON and the field written meanwhile was lost."""
    zone = unique("az")
    agent = add_host(db, zone=zone)
    ident = add_instance(db, zone, request={"group": "g-1"})
    Scheduler(db, agent.bus).reconcile(ident)
    stale = instance(db, ident)  # what the agent's reconcile read
    assert stale.task_state == st.SPAWNING
    spawn = agent.driver.spawn

    def slow_spawn(spec) -> None:
        update(db, ident, request={"group": "g-1", "tried_hosts": ["elsewhere"]})
        spawn(spec)
    agent.driver.spawn = slow_spawn
    agent._spawn(stale)
    row = instance(db, ident)
    assert row.vm_state == st.ACTIVE
    assert row.request.get("tried_hosts") == ["elsewhere"]


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


INSTANCE_COLUMNS = dict(project_id="p", user_id="u", name="n", image_ref="", flavor_id="t1",
                        flavor={}, vm_state="active", power_state=1, locked=False,
                        metadata={}, tags=[], system_metadata={}, progress=0,
                        console_log="", deleted=False, launch_index=0, reservation_id="",
                        disk_config="MANUAL", config_drive="")
# the table as cmp0002 left it, typed as the model types it
BEFORE = sa.Table("compute_instances", sa.MetaData(), *(
    sa.Column(c.name, c.type) for c in cm.Instance.__table__.c
    if c.key in {"id", "request", "created_at", "updated_at", *INSTANCE_COLUMNS}))


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
        migrations.upgrade(url)
        with engine.connect() as conn:
            got = {r.id: r for r in conn.execute(sa.select(cm.Instance.__table__))}
        assert got["a"].request == {"group": "g"}
        assert (got["a"].keep_stopped, got["a"].evacuating) == (True, True)
        assert got["a"].shelved_image_id is None
        assert (got["b"].request, got["b"].shelved_image_id) == ({}, "img-1")
        assert (got["c"].keep_stopped, got["c"].evacuating) == (False, False)
        _downgrade(url)
        with engine.connect() as conn:
            back = dict(conn.execute(sa.select(BEFORE.c.id, BEFORE.c.request)).all())
        assert back == rows
    finally:
        engine.dispose()


def _downgrade(url: str) -> None:
    from alembic import command
    command.downgrade(migrations.alembic_config(url), "cmp0003-1")


"""What one server costs the burst path, pinned: a scheduling decision is one read and one
write transaction, a spawn of a server without NICs takes no network write, and the boot's
quota check reads limits (class, project, user: the later wins) and usage in one query
each. Counted on ``Database`` calls, so a change that adds a transaction fails here."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from onestack.compute import models as cm
from onestack.compute import quotas
from onestack.compute import states as st
from onestack.compute.scheduler import Scheduler
from onestack.core.db import Database
from tests.unit.compute.reconcile_support import (TINY, add_host, add_instance, db, instance,
                                                  unique)

__all__ = ["db"]  # the fixture, imported for pytest


class Counted:
    """Counts ``read`` and ``write`` transactions on one ``Database`` while installed."""

    def __init__(self, db: Database, monkeypatch: pytest.MonkeyPatch):
        self.reads = self.writes = 0
        read, write = db.read, db.write

        def counted_read(fn: Any) -> Any:
            self.reads += 1
            return read(fn)

        def counted_write(fn: Any, *a: Any, **kw: Any) -> Any:
            self.writes += 1
            return write(fn, *a, **kw)
        monkeypatch.setattr(db, "read", counted_read)
        monkeypatch.setattr(db, "write", counted_write)


@pytest.fixture
def counted(db: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[Counted]:
    yield Counted(db, monkeypatch)


def test_a_decision_is_one_read_and_one_write(db: Database, counted: Counted) -> None:
    zone = unique("az")
    agent = add_host(db, zone=zone)
    ident = add_instance(db, zone)
    counted.reads = counted.writes = 0
    Scheduler(db, agent.bus).reconcile(ident)
    assert (counted.reads, counted.writes) == (1, 1)
    row = instance(db, ident)
    assert (row.host, row.task_state) == (agent.host, st.SPAWNING)


def test_a_plain_request_is_placed_without_a_zone_in_a_small_cloud(db: Database) -> None:
    """No zone, host or group: every host is filtered directly (no placement shortlist)."""
    agent = add_host(db)
    ident = add_instance(db, None, requested_az=None, availability_zone=None)
    Scheduler(db, agent.bus).reconcile(ident)
    row = instance(db, ident)
    assert row.task_state == st.SPAWNING and row.host is not None


class NoSeam:
    """A network seam any call on which fails the test: a server without NICs must not
    reach the network service."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the network seam was asked for {name}")


def test_a_spawn_without_nics_writes_once(db: Database, counted: Counted) -> None:
    zone = unique("az")
    agent = add_host(db, zone=zone)
    agent.network = NoSeam()
    ident = add_instance(db, zone, host=agent.host, task_state=st.SPAWNING)
    counted.reads = counted.writes = 0
    agent.reconcile(ident)
    assert counted.writes == 1  # the observed state, nothing for the network
    row = instance(db, ident)
    assert (row.vm_state, row.task_state) == (st.ACTIVE, None)


def test_limits_later_scopes_win_and_the_lock_row_never_shows(db: Database) -> None:
    project, user = unique("p"), unique("u")

    def rows(s) -> None:
        s.add_all([
            cm.QuotaLimit(project_id=quotas.CLASS_PREFIX + "default", user_id="",
                          resource="key_pairs", hard_limit=7),
            cm.QuotaLimit(project_id=quotas.CLASS_PREFIX + "default", user_id="",
                          resource="cores", hard_limit=30),
            cm.QuotaLimit(project_id=project, user_id="", resource="cores", hard_limit=40),
            cm.QuotaLimit(project_id=project, user_id="", resource="ram", hard_limit=1000),
            cm.QuotaLimit(project_id=project, user_id=user, resource="ram", hard_limit=500),
            cm.QuotaLimit(project_id=project, user_id=quotas.LOCK_USER,
                          resource=quotas.LOCK_RESOURCE, hard_limit=0)])
    db.write(rows)
    try:
        project_only = db.read(lambda s: quotas.limits_for(s, project))
        with_user = db.read(lambda s: quotas.limits_for(s, project, user))
        other = db.read(lambda s: quotas.limits_for(s, unique("p")))
    finally:
        db.write(lambda s: s.query(cm.QuotaLimit).filter(
            cm.QuotaLimit.project_id == quotas.CLASS_PREFIX + "default").delete())
    assert (project_only["key_pairs"], project_only["cores"], project_only["ram"]) == (
        7, 40, 1000)
    assert (with_user["cores"], with_user["ram"]) == (40, 500)
    assert project_only["instances"] == with_user["instances"] == quotas.DEFAULTS["instances"]
    assert (other["key_pairs"], other["cores"], other["ram"]) == (
        7, 30, quotas.DEFAULTS["ram"])


def test_server_usage_counts_live_servers_from_their_flavors(db: Database) -> None:
    zone = unique("az")
    project = unique("p")
    big = dict(TINY, vcpus=4, ram=2048)
    add_instance(db, zone, project_id=project)
    add_instance(db, zone, project_id=project, flavor=big)
    add_instance(db, zone, project_id=project, flavor=big, deleted=True)
    used = db.read(lambda s: quotas.server_usage(s, project))
    assert used == {"instances": 2, "cores": 5, "ram": 512 + 2048}
    with pytest.raises(Exception, match="Quota exceeded for instances"):
        db.read(lambda s: quotas.check_servers(
            s, project, "u", 1, 1, 1, dict(quotas.DEFAULTS, instances=2), used))

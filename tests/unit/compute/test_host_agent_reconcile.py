"""The host agent's reconcile and resync called directly (no loop, no clock), and once end
to end through the worker: strays are destroyed (the source copy after a move, a deleted
server's guest), a guest that died or vanished shows SHUTOFF, power changes behind the
agent's back are recorded, a restarted agent re-adopts its guests, and every pass is
idempotent."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from onestack.agents.compute import Running, start_host
from onestack.compute import records
from onestack.compute import states as st
from onestack.compute.agent import HostAgent
from onestack.compute.drivers.base import (CRASHED, NOSTATE, PAUSED, RUNNING, SHUTDOWN,
                                           ImageUnacceptable, InstanceNotFound)
from onestack.compute.drivers.fake import FakeDriver
from onestack.compute.scheduler import Scheduler
from onestack.core.bus import InProcessBus
from onestack.core.db import Database, utcnow
from tests.unit.compute.reconcile_support import (add_host, add_instance, allocations, db,
                                                  instance, provider_of, unique, update)

__all__ = ["db"]  # the fixture, imported for pytest


def ask(db: Database, ident: str, task: str, migration: str | None = None,
        **request: object) -> None:
    """What the API writes for an action: the task, request keys, a migration record."""
    def work(s) -> None:
        from onestack.compute import models as cm
        row = s.get(cm.Instance, ident)
        if migration:
            records.start_migration(s, row, migration, "pre-migrating")
        row.request = {**(row.request or {}), **request}
        row.task_state = task
        row.updated_at = utcnow()
    db.write(work)


def booted(db: Database, agents: list[HostAgent], zone: str) -> tuple[str, HostAgent]:
    """A server built the whole way: scheduled, claimed, spawned, ACTIVE."""
    ident = add_instance(db, zone)
    Scheduler(db, agents[0].bus).reconcile(ident)
    agent = next(a for a in agents if a.host == instance(db, ident).host)
    agent.reconcile(ident)
    assert instance(db, ident).vm_state == st.ACTIVE
    return ident, agent


@pytest.fixture()
def pair(db: Database) -> tuple[list[HostAgent], str]:
    zone, bus = unique("az"), InProcessBus()
    return [add_host(db, bus, zone=zone) for _ in range(2)], zone


def test_cold_migration_leaves_no_copy_on_the_source(db: Database, pair) -> None:
    agents, zone = pair
    ident, source = booted(db, agents, zone)
    dest = next(a for a in agents if a is not source)
    ask(db, ident, st.MIGRATING, migration="migration")
    Scheduler(db, source.bus).reconcile(ident)
    dest.reconcile(ident)
    assert instance(db, ident).vm_state == st.RESIZED
    source.resync()  # awaiting confirm: the source keeps its copy for a revert
    assert ident in source.driver.list_instances()
    ask(db, ident, st.RESIZE_CONFIRMING)
    dest.reconcile(ident)
    source.resync()
    assert ident not in source.driver.list_instances()
    assert dest.driver.list_instances() == {ident: RUNNING}
    row = instance(db, ident)
    assert (row.host, row.vm_state, row.task_state) == (dest.host, st.ACTIVE, None)
    assert [p for p, _, _ in allocations(db, ident)] == [provider_of(db, dest.host)] * 3
    assert allocations(db, "mig-" + ident) == []


def test_reverted_resize_leaves_no_copy_on_the_destination(db: Database, pair) -> None:
    agents, zone = pair
    ident, source = booted(db, agents, zone)
    dest = next(a for a in agents if a is not source)
    ask(db, ident, st.MIGRATING, migration="migration")
    Scheduler(db, source.bus).reconcile(ident)
    dest.reconcile(ident)
    ask(db, ident, st.RESIZE_REVERTING)
    dest.reconcile(ident)
    for agent in agents:
        agent.resync()
    assert ident not in dest.driver.list_instances()
    assert source.driver.list_instances() == {ident: RUNNING}
    assert instance(db, ident).host == source.host


def test_live_migration_in_three_steps_leaves_no_copy_on_the_source(db: Database,
                                                                    pair) -> None:
    agents, zone = pair
    ident, source = booted(db, agents, zone)
    dest = next(a for a in agents if a is not source)
    ask(db, ident, st.MIGRATING, migration="live-migration")
    Scheduler(db, source.bus).reconcile(ident)
    assert instance(db, ident).task_state == st.LIVE_MIGRATING
    dest.resync()  # prepares an incoming, paused guest
    assert dest.driver.list_instances() == {ident: PAUSED}
    source.resync()  # sends the guest; the source keeps no copy
    assert ident not in source.driver.list_instances()
    dest.resync()  # the guest runs on the destination
    row = instance(db, ident)
    assert (row.host, row.vm_state, row.task_state) == (dest.host, st.ACTIVE, None)
    assert dest.driver.list_instances() == {ident: RUNNING}
    assert allocations(db, "mig-" + ident) == []
    move = db.read(lambda s: records.current_migration(s, ident))
    assert (move.status, move.source_compute, move.dest_compute, move.live_step) == (
        "completed", source.host, dest.host, "sent")


def test_a_deleted_servers_guest_is_destroyed_on_resync(db: Database, pair) -> None:
    agents, zone = pair
    ident, agent = booted(db, agents, zone)
    db.write(lambda s: records.mark_deleted(s, s.get(type(instance(db, ident)), ident)))
    assert agent.resync() == [ident]
    assert agent.driver.list_instances() == {}


def test_a_guest_that_vanished_shows_shutoff_within_two_resyncs(db: Database, pair) -> None:
    agents, zone = pair
    ident, agent = booted(db, agents, zone)
    agent.driver.crash(ident)  # kill -9 of the guest; its state is gone
    agent.resync()
    agent.resync()
    row = instance(db, ident)
    assert st.status(row.vm_state, row.task_state) == "SHUTOFF"
    assert row.power_state == NOSTATE


def test_a_crashed_guest_shows_shutoff_with_its_power_state(db: Database, pair) -> None:
    agents, zone = pair
    ident, agent = booted(db, agents, zone)
    agent.driver.crash(ident, vanish=False)
    agent.resync()
    row = instance(db, ident)
    assert (row.vm_state, row.power_state) == (st.STOPPED, CRASHED)


def test_a_pause_behind_the_agents_back_is_recorded(db: Database, pair) -> None:
    agents, zone = pair
    ident, agent = booted(db, agents, zone)
    agent.driver.pause(ident)
    agent.resync()
    row = instance(db, ident)
    assert (row.vm_state, row.power_state) == (st.ACTIVE, PAUSED)


def test_a_stopped_servers_running_guest_is_powered_off(db: Database, pair) -> None:
    agents, zone = pair
    ident, agent = booted(db, agents, zone)
    ask(db, ident, st.POWERING_OFF)
    agent.reconcile(ident)
    agent.driver.power_on(ident)  # started behind the agent's back
    agent.resync()
    assert agent.driver.get_info(ident).power_state == SHUTDOWN
    assert instance(db, ident).vm_state == st.STOPPED


def test_power_sync_leaves_an_instance_with_a_task_alone(db: Database, pair) -> None:
    agents, zone = pair
    ident, agent = booted(db, agents, zone)
    ask(db, ident, st.MIGRATING, migration="migration")  # the scheduler's turn
    agent.driver.crash(ident)
    agent.resync()
    assert instance(db, ident).vm_state == st.ACTIVE


def test_start_recreates_a_vanished_guest(db: Database, pair) -> None:
    agents, zone = pair
    ident, agent = booted(db, agents, zone)
    agent.driver.crash(ident)
    agent.resync()
    ask(db, ident, st.POWERING_ON)
    agent.reconcile(ident)
    row = instance(db, ident)
    assert (row.vm_state, row.power_state, row.task_state) == (st.ACTIVE, RUNNING, None)
    assert agent.driver.get_info(ident).power_state == RUNNING


def test_resync_of_a_converged_host_does_nothing(db: Database, pair) -> None:
    agents, zone = pair
    ident, agent = booted(db, agents, zone)
    before = instance(db, ident).updated_at
    assert agent.resync() == []
    assert agent.resync() == []
    assert instance(db, ident).updated_at == before
    assert agent.driver.list_instances() == {ident: RUNNING}


def test_a_restarted_agent_readopts_its_guests(db: Database, tmp_path: Path) -> None:
    zone, bus = unique("az"), InProcessBus()
    first = add_host(db, bus, zone=zone, state_dir=tmp_path)
    ident, _ = booted(db, [first], zone)
    again = HostAgent(db, bus, first.host, FakeDriver(first.host, tmp_path), zone)
    assert again.start() == [ident]
    assert again.resync() == []
    assert again.driver.list_instances() == {ident: RUNNING}
    assert instance(db, ident).vm_state == st.ACTIVE


def test_a_failed_spawn_is_rescheduled_and_leaves_no_guest(db: Database, pair) -> None:
    agents, zone = pair
    ident = add_instance(db, zone, metadata_={"fake:fail": "spawn"})
    Scheduler(db, agents[0].bus).reconcile(ident)
    first = next(a for a in agents if a.host == instance(db, ident).host)
    first.reconcile(ident)
    assert first.driver.list_instances() == {}
    row = instance(db, ident)
    assert (row.task_state, row.host) == (st.SCHEDULING, None)
    assert allocations(db, ident) == []
    with pytest.raises(InstanceNotFound):
        first.driver.get_info(ident)


def test_a_build_no_host_could_do_goes_to_error_at_once_with_its_fault(
        db: Database, pair, monkeypatch: pytest.MonkeyPatch) -> None:
    """An image whose data is no usable disk fails on every host alike: no reschedule,
    the reason is the server's fault, and it holds no host and no allocation."""
    agents, zone = pair
    ident = add_instance(db, zone)
    Scheduler(db, agents[0].bus).reconcile(ident)
    first = next(a for a in agents if a.host == instance(db, ident).host)

    def refuse(spec) -> None:
        raise ImageUnacceptable("img-9", "its data is not a usable qcow2 disk")
    monkeypatch.setattr(first.driver, "spawn", refuse)
    first.reconcile(ident)
    row = instance(db, ident)
    assert (row.vm_state, row.task_state, row.host, row.node) == (st.ERROR, None, None, None)
    assert allocations(db, ident) == []
    fault = db.read(lambda s: records.latest_fault(s, ident))
    assert fault.message == (f"Build of instance {ident} aborted: Image img-9 is "
                             "unacceptable: its data is not a usable qcow2 disk")
    assert "ImageUnacceptable" in fault.details
    first.reconcile(ident)  # nothing left to do: still the one fault
    assert db.read(lambda s: records.latest_fault(s, ident)).id == fault.id


def test_a_vanished_guest_shows_shutoff_through_the_worker(db: Database) -> None:
    zone, bus, running = unique("az"), InProcessBus(), Running()
    agent = start_host(db, bus, running, unique("host"), zone)
    try:
        ident = add_instance(db, zone)
        Scheduler(db, bus).reconcile(ident)
        wait_for(lambda: instance(db, ident).vm_state == st.ACTIVE)
        agent.driver.crash(ident)
        wait_for(lambda: instance(db, ident).vm_state == st.STOPPED)
        assert instance(db, ident).power_state == NOSTATE
    finally:
        running.stop()


def wait_for(predicate, timeout: float = 10.0) -> None:
    """The worker's resync is 2 s: two passes fit well within the timeout."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "not reached in time"
        time.sleep(0.05)


def test_a_confirmed_migration_leaves_no_copy_through_the_worker(db: Database) -> None:
    zone, bus, running = unique("az"), InProcessBus(), Running()
    agents = [start_host(db, bus, running, unique("host"), zone) for _ in range(2)]
    try:
        ident = add_instance(db, zone)
        Scheduler(db, bus).reconcile(ident)
        wait_for(lambda: instance(db, ident).vm_state == st.ACTIVE)
        source = next(a for a in agents if a.host == instance(db, ident).host)
        ask(db, ident, st.MIGRATING, migration="migration")
        Scheduler(db, bus).reconcile(ident)
        wait_for(lambda: instance(db, ident).vm_state == st.RESIZED)
        ask(db, ident, st.RESIZE_CONFIRMING)
        bus.notify("compute." + instance(db, ident).host, ident)
        wait_for(lambda: instance(db, ident).task_state is None)
        wait_for(lambda: ident not in source.driver.list_instances())
    finally:
        running.stop()


def test_a_failed_live_migration_stays_on_the_source_and_leaves_no_copy(db: Database,
                                                                        pair) -> None:
    agents, zone = pair
    ident = add_instance(db, zone, metadata_={"fake:fail": "live_migrate"})
    Scheduler(db, agents[0].bus).reconcile(ident)
    source = next(a for a in agents if a.host == instance(db, ident).host)
    dest = next(a for a in agents if a is not source)
    source.reconcile(ident)
    ask(db, ident, st.MIGRATING, migration="live-migration")
    Scheduler(db, source.bus).reconcile(ident)
    dest.resync()
    source.resync()  # the hypervisor refuses to send the guest
    dest.resync()  # its prepared copy is now a stray
    row = instance(db, ident)
    assert (row.host, row.vm_state, row.task_state) == (source.host, st.ACTIVE, None)
    assert source.driver.list_instances() == {ident: RUNNING}
    assert dest.driver.list_instances() == {}
    assert [p for p, _, _ in allocations(db, ident)] == [provider_of(db, source.host)] * 3
    assert allocations(db, "mig-" + ident) == []

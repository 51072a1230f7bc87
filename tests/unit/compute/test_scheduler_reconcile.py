"""The scheduler's reconcile and resync called directly (no loop, no clock): a delete racing
the claim leaks nothing, a crash between claim and placement is retried without a wedge or
a second allocation, and allocations of deleted instances are released on resync."""
from __future__ import annotations

import pytest

from onestack.compute import records
from onestack.compute import states as st
from onestack.compute.scheduler import Scheduler
from onestack.core.bus import InProcessBus
from onestack.core.db import Database
from onestack.placement import service as placement
from tests.unit.compute.reconcile_support import (SMALL, TINY, add_host, add_instance,
                                                  allocations, db, instance, provider_of,
                                                  unique, update)

__all__ = ["db"]  # the fixture, imported for pytest


class Crash(Exception):
    """A scheduler process dying at this point."""


def scheduler(db: Database) -> Scheduler:
    return Scheduler(db, InProcessBus())


def delete_as_the_api_does(db: Database, ident: str) -> None:
    """No host yet: the API marks the server deleted at once (``request_delete``)."""
    db.write(lambda s: records.mark_deleted(s, s.get(type(instance(db, ident)), ident)))


def test_delete_while_scheduling_leaks_no_allocation(db: Database,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    zone = unique("az")
    add_host(db, zone=zone)
    ident = add_instance(db, zone)
    real_claim = Scheduler._claim_and_place

    def claim_after_delete(self, *args, **kwargs):
        delete_as_the_api_does(db, ident)  # the user's DELETE lands between read and claim
        return real_claim(self, *args, **kwargs)
    monkeypatch.setattr(Scheduler, "_claim_and_place", claim_after_delete)
    scheduler(db).reconcile(ident)
    assert instance(db, ident).deleted
    assert allocations(db, ident) == []


def test_mark_deleted_releases_the_instance_and_its_move(db: Database) -> None:
    zone = unique("az")
    agent = add_host(db, zone=zone)
    ident = add_instance(db, zone, host=agent.host, vm_state=st.ACTIVE, task_state=None)
    provider = provider_of(db, agent.host)
    wanted = records.flavor_resources(TINY)
    assert placement.claim(db, ident, "p", "u", provider, wanted)
    assert placement.claim(db, "mig-" + ident, "p", "u", provider, wanted)
    delete_as_the_api_does(db, ident)
    assert allocations(db, ident) == [] and allocations(db, "mig-" + ident) == []


@pytest.mark.parametrize("hosts", [1, 2], ids=["same-host-retry", "other-host-retry"])
def test_crash_between_claim_and_placement_is_retried_cleanly(
        db: Database, monkeypatch: pytest.MonkeyPatch, hosts: int) -> None:
    zone = unique("az")
    agents = [add_host(db, zone=zone) for _ in range(hosts)]
    ident = add_instance(db, zone)

    def die(*args, **kwargs):
        raise Crash()
    with monkeypatch.context() as m:
        m.setattr(Scheduler, "_placed", die)
        with pytest.raises(Crash):
            scheduler(db).reconcile(ident)
    assert instance(db, ident).task_state == st.SCHEDULING
    scheduler(db).reconcile(ident)  # the next scheduler's resync
    row = instance(db, ident)
    assert row.task_state == st.SPAWNING and row.host in {a.host for a in agents}
    provider = provider_of(db, row.host)
    assert allocations(db, ident) == [(provider, "DISK_GB", 1), (provider, "MEMORY_MB", 512),
                                      (provider, "VCPU", 1)]


def test_crash_during_a_resize_keeps_one_allocation_per_consumer(
        db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    zone = unique("az")
    agents = [add_host(db, zone=zone) for _ in range(2)]
    source = agents[0].host
    ident = add_instance(db, zone, host=source, vm_state=st.ACTIVE, task_state=None)
    assert placement.claim(db, ident, "p", "u", provider_of(db, source),
                           records.flavor_resources(TINY))
    db.write(lambda s: records.start_migration(s, s.get(type(instance(db, ident)), ident),
                                               "resize", "pre-migrating", dict(SMALL)))
    update(db, ident, task_state=st.RESIZE_PREP)

    def die(*args, **kwargs):
        raise Crash()
    with monkeypatch.context() as m:
        m.setattr(Scheduler, "_placed", die)
        with pytest.raises(Crash):
            scheduler(db).reconcile(ident)
    scheduler(db).reconcile(ident)
    row = instance(db, ident)
    assert row.task_state == st.RESIZE_MIGRATING
    dest = provider_of(db, db.read(lambda s: records.current_migration(s, ident))
                       .dest_compute)
    assert allocations(db, ident) == [(dest, "DISK_GB", 2), (dest, "MEMORY_MB", 1024),
                                      (dest, "VCPU", 2)]
    old = provider_of(db, source)
    assert allocations(db, "mig-" + ident) == [(old, "DISK_GB", 1), (old, "MEMORY_MB", 512),
                                               (old, "VCPU", 1)]


def test_resync_releases_allocations_of_deleted_instances_only(db: Database) -> None:
    zone = unique("az")
    agent = add_host(db, zone=zone)
    provider = provider_of(db, agent.host)
    wanted = records.flavor_resources(TINY)
    gone = add_instance(db, zone, host=agent.host, vm_state=st.DELETED, task_state=None,
                        deleted=True)
    alive = add_instance(db, zone, host=agent.host, vm_state=st.ACTIVE, task_state=None)
    foreign = unique("not-an-instance")  # a consumer placement's own API created
    for consumer in (gone, "mig-" + gone, alive, foreign):
        assert placement.claim(db, consumer, "p", "u", provider, wanted)
    scheduler(db).resync()
    assert allocations(db, gone) == [] and allocations(db, "mig-" + gone) == []
    assert len(allocations(db, alive)) == 3 and len(allocations(db, foreign)) == 3

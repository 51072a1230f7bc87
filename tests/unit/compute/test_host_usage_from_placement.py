"""The hypervisor numbers ``hosts.usages`` reads from placement: what is allocated plus what
the provider reserves (the agent registers 512 MB of memory as reserved)."""
from __future__ import annotations

import sqlalchemy as sa

from onestack.compute import models as cm
from onestack.compute.service import hosts
from onestack.core.db import Database
from onestack.placement import seam as placement
from tests.unit.compute.reconcile_support import add_host, db, provider_of, unique

__all__ = ["db"]  # the fixture, imported for pytest


def test_used_memory_and_disk_count_allocations_and_the_providers_reservation(
        db: Database) -> None:
    agent = add_host(db)
    other = add_host(db)
    consumer = unique("consumer")
    assert placement.claim(db, consumer, "p", "u", provider_of(db, agent.host),
                           {"VCPU": 2, "MEMORY_MB": 1024, "DISK_GB": 5})

    def work(s) -> dict[str, hosts.Usage]:
        rows = list(s.scalars(sa.select(cm.ComputeHost).where(
            cm.ComputeHost.host.in_([agent.host, other.host]))))
        return hosts.usages(s, rows)
    usage = db.read(work)
    mine, idle = usage[agent.host], usage[other.host]
    assert (mine.vcpus_used, mine.memory_mb_used, mine.local_gb_used) == (2, 1024 + 512, 5)
    assert (idle.vcpus_used, idle.memory_mb_used, idle.local_gb_used) == (0, 512, 0)
    assert mine.free_ram_mb == mine.memory_mb - 1536

"""Scheduling under contention: many boots racing for too little room, from several
scheduler instances at once, end with every host within capacity and every instance either
placed or in ERROR with "No valid host" — on every database backend."""
from __future__ import annotations

import queue
import threading
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from onestack.compute import models as cm
from onestack.compute import records
from onestack.compute import states as st
from onestack.compute.drivers.fake import FakeDriver
from onestack.compute.reconciler import HostAgent
from onestack.compute.scheduler import NO_VALID_HOST, Scheduler
from onestack.core.bus import InProcessBus
from onestack.core.db import Database, utcnow
from onestack.placement import models as pm
from onestack.placement import service as placement

TINY = {"id": "t1", "name": "tiny", "vcpus": 1, "ram": 512, "disk": 1, "ephemeral": 0,
        "swap": 0, "extra_specs": {}}
# (10752 - 512 reserved) * 1.5 allocation ratio = 15360 MiB = room for 30 tiny servers
HOST_MEMORY_MB = 10752


@pytest.fixture()
def db(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    yield database
    database.dispose()


def add_hosts(db: Database, names: list[str], zone: str = "nova") -> None:
    bus = InProcessBus()
    for name in names:
        driver = FakeDriver(name, None, 0.0, vcpus=64, memory_mb=HOST_MEMORY_MB, disk_gb=200)
        HostAgent(db, bus, name, driver, zone).register()


def add_instances(db: Database, count: int, project: str, zone: str | None = None) -> list[str]:
    ids = [str(uuid.uuid4()) for _ in range(count)]

    def work(s) -> None:
        now = utcnow()
        for ident in ids:
            s.add(cm.Instance(id=ident, project_id=project, user_id="u", name=ident[:8],
                              image_ref="", flavor_id="t1", flavor=dict(TINY),
                              requested_az=zone,
                              vm_state=st.BUILDING, task_state=st.SCHEDULING, power_state=0,
                              metadata_={}, tags=[], system_metadata={}, request={},
                              created_at=now, updated_at=now, deleted=False, locked=False,
                              progress=0, console_log=""))
    db.write(work)
    return ids


def test_racing_boots_never_overcommit(db: Database) -> None:
    hosts = [f"race-{uuid.uuid4().hex[:6]}-{i}" for i in range(2)]
    zone = "race-" + uuid.uuid4().hex[:6]  # only these hosts, whatever else the db holds
    add_hosts(db, hosts, zone)
    project = uuid.uuid4().hex
    ids = add_instances(db, 100, project, zone)
    schedulers = [Scheduler(db, InProcessBus()), Scheduler(db, InProcessBus())]
    work: queue.Queue[str] = queue.Queue()
    for ident in ids:
        work.put(ident)
    errors: list[BaseException] = []

    def run(n: int) -> None:
        try:
            while True:
                try:
                    ident = work.get_nowait()
                except queue.Empty:
                    return
                schedulers[n % 2].reconcile(ident)
        except BaseException as exc:  # noqa: BLE001 - surfaced by the assert below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors

    def outcome(s) -> tuple[dict[str, int], int, list[str]]:
        rows = list(s.scalars(sa.select(cm.Instance).where(cm.Instance.project_id == project)))
        placed: dict[str, int] = {}
        failed = 0
        messages = []
        for inst in rows:
            if inst.host:
                assert inst.task_state == st.SPAWNING
                placed[inst.host] = placed.get(inst.host, 0) + 1
            else:
                assert inst.vm_state == st.ERROR
                failed += 1
                messages.append(records.latest_fault(s, inst.id).message)
        return placed, failed, messages

    placed, failed, messages = db.read(outcome)
    assert sum(placed.values()) == 60
    assert placed == {hosts[0]: 30, hosts[1]: 30}
    assert failed == 40
    assert all(m == NO_VALID_HOST for m in messages)

    def usage_within_capacity(s) -> None:
        for host in hosts:
            uuid_ = s.scalar(sa.select(cm.ComputeHost.uuid).where(cm.ComputeHost.host == host))
            used = placement.usages(s, uuid_)
            inv = s.get(pm.Inventory, (uuid_, "MEMORY_MB"))
            assert used["MEMORY_MB"] <= placement.capacity(inv)
            assert used["MEMORY_MB"] == 30 * 512
    db.read(usage_within_capacity)


def test_anti_affinity_spreads_and_refuses_a_third(db: Database) -> None:
    hosts = [f"aa-{uuid.uuid4().hex[:6]}-{i}" for i in range(2)]
    add_hosts(db, hosts, zone="aa-" + uuid.uuid4().hex[:6])
    zone = db.read(lambda s: s.scalar(sa.select(cm.ComputeHost.zone).where(
        cm.ComputeHost.host == hosts[0])))
    project = uuid.uuid4().hex
    ids = add_instances(db, 3, project)
    group_id = str(uuid.uuid4())

    def grouped(s) -> None:
        s.add(cm.ServerGroup(id=group_id, name="g", project_id=project, user_id="u",
                             policy="anti-affinity", rules={}, members=list(ids)))
        for ident in ids:
            inst = s.get(cm.Instance, ident)
            inst.server_group_id = group_id
            inst.requested_az = zone
    db.write(grouped)
    sched = Scheduler(db, InProcessBus())
    for ident in ids:
        sched.reconcile(ident)
    rows = db.read(lambda s: [s.get(cm.Instance, i) for i in ids])
    assert sorted(r.host for r in rows[:2]) == sorted(hosts)
    assert rows[2].host is None and rows[2].vm_state == st.ERROR

"""Shared by the direct reconcile tests of the host agent and the scheduler: a migrated
database per configured backend, hosts with fake drivers, instances in a given state, and
reads of what placement holds for a consumer."""
from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from onestack.compute import models as cm
from onestack.compute import states as st
from onestack.compute.agent import HostAgent
from onestack.compute.drivers.fake import FakeDriver
from onestack.core.bus import InProcessBus
from onestack.core.db import Database, utcnow
from onestack.placement import models as pm
from tests.support.databases import configured_backends, migrated_database

BACKENDS = configured_backends()
TINY = {"id": "t1", "name": "tiny", "vcpus": 1, "ram": 512, "disk": 1, "ephemeral": 0,
        "swap": 0, "extra_specs": {}}
SMALL = {"id": "t2", "name": "small", "vcpus": 2, "ram": 1024, "disk": 2, "ephemeral": 0,
         "swap": 0, "extra_specs": {}}


@pytest.fixture(scope="module", params=BACKENDS, ids=[b.kind for b in BACKENDS])
def db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
       ) -> Iterator[Database]:
    with migrated_database(request.param, tmp_path_factory.mktemp("db")) as handle:
        yield handle


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def add_host(db: Database, bus: InProcessBus | None = None, name: str | None = None,
             zone: str | None = None, state_dir: Path | None = None) -> HostAgent:
    """A registered host with its own fake driver; each test gets its own zone so the
    scheduler only sees its hosts."""
    name = name or unique("host")
    agent = HostAgent(db, bus or InProcessBus(), name, FakeDriver(name, state_dir),
                      zone or name)
    agent.register()
    return agent


def add_instance(db: Database, zone: str, host: str | None = None, **values: Any) -> str:
    ident = str(uuid.uuid4())
    row = dict(id=ident, project_id=unique("p"), user_id="u", name=ident[:8], image_ref="",
               flavor_id="t1", flavor=dict(TINY), requested_az=zone, host=host, node=host,
               availability_zone=zone, vm_state=st.BUILDING, task_state=st.SCHEDULING,
               power_state=0, metadata_={}, tags=[], system_metadata={}, request={},
               progress=0, console_log="", deleted=False, locked=False)
    row.update(values)

    def work(s) -> None:
        now = utcnow()
        s.add(cm.Instance(**row, created_at=now, updated_at=now))
        s.add(cm.InstanceAction(instance_id=ident, action="create", request_id="req-" + ident,
                                user_id="u", project_id=row["project_id"], start_time=now,
                                updated_at=now, events=[]))
    db.write(work)
    return ident


def instance(db: Database, ident: str) -> cm.Instance:
    return db.read(lambda s: s.get(cm.Instance, ident))


def update(db: Database, ident: str, **values: Any) -> None:
    """What the API writes: desired state."""
    def work(s) -> None:
        row = s.get(cm.Instance, ident)
        for k, v in values.items():
            setattr(row, k, v)
        row.updated_at = utcnow()
    db.write(work)


def allocations(db: Database, consumer: str) -> list[tuple[str, str, int]]:
    """(provider, resource class, amount) rows placement holds for the consumer."""
    return db.read(lambda s: sorted(tuple(r) for r in s.execute(sa.select(
        pm.Allocation.provider_uuid, pm.Allocation.resource_class, pm.Allocation.used)
        .where(pm.Allocation.consumer_uuid == consumer)).all()))


def provider_of(db: Database, host: str) -> str:
    return db.read(lambda s: s.scalar(sa.select(cm.ComputeHost.uuid)
                                      .where(cm.ComputeHost.host == host)))

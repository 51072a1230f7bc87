"""Scheduling inputs are what the action that asks for a host says, not what an earlier
action left behind: a server booted onto a forced host (``zone:host``) migrates without a
host to another one, as in Nova, where the forced host binds that boot only. Before, the
forced host stayed in the instance's request JSON and every later move was forced back
onto the host it was leaving (No valid host). Hosts are driven directly (no loop)."""
from __future__ import annotations

import pytest

from onestack.compute import models as cm
from onestack.compute import records
from onestack.compute import states as st
from onestack.compute.agent import HostAgent
from onestack.compute.drivers.fake import FakeDriver
from onestack.compute.scheduler import Scheduler
from onestack.core.bus import InProcessBus
from onestack.core.db import Database
from tests.functional.compute.servers_support import Nova, boot, ensure_flavors, make_image
from tests.support.identity import Cloud, unique


@pytest.fixture(scope="module")
def nova(api) -> Nova:
    return Nova(api)


def hosts(sql: Database, zone: str, count: int) -> list[HostAgent]:
    bus = InProcessBus()
    agents = []
    for _ in range(count):
        name = unique("typed-host")
        agent = HostAgent(sql, bus, name, FakeDriver(name), zone)
        agent.register()
        agents.append(agent)
    return agents


def test_a_server_booted_on_a_forced_host_migrates_elsewhere(nova: Nova, cloud: Cloud,
                                                             api, sql: Database,
                                                             db_url: str) -> None:
    ensure_flavors(db_url)
    zone = unique("typed-az")
    first, second = hosts(sql, zone, 2)
    image = make_image(api, cloud.admin_token)
    sid = boot(nova, cloud.admin_token, image, availability_zone=f"{zone}:{second.host}")
    scheduler = Scheduler(sql, InProcessBus())
    scheduler.reconcile(sid)
    assert sql.read(lambda s: s.get(cm.Instance, sid).host) == second.host
    second.reconcile(sid)

    r = nova.action(sid, cloud.admin_token, {"migrate": None})
    assert r.status_code == 202, r.text
    scheduler.reconcile(sid)

    row = sql.read(lambda s: s.get(cm.Instance, sid))
    move = sql.read(lambda s: records.current_migration(s, sid))
    assert row.task_state == st.RESIZE_MIGRATING, sql.read(
        lambda s: records.latest_fault(s, sid).message if records.latest_fault(s, sid)
        else None)
    assert (move.source_compute, move.dest_compute) == (second.host, first.host)

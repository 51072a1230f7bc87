"""The network agent runner as ``onestack up`` starts it: one worker per host woken through
the relay when the network service notifies (``network.port``), heartbeats, and a stop.
Threads run here, so the waits are bounded; the reconcile itself is tested directly in
``test_agent_reconcile``."""
from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest

from onestack.core.bus import InProcessBus
from onestack.core.config import Settings
from onestack.core.context import RequestContext
from onestack.core.db import Database
from onestack.core.registry import AgentContext
from onestack.network.agent import runner
from onestack.network.models.ports import Port
from onestack.network.service.query import ListQuery
from onestack.server import default_registry
from tests.support.databases import configured_backends, migrated_database

BACKENDS = configured_backends()[:1]  # threads and a clock: one backend is enough


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    with migrated_database(BACKENDS[0], tmp_path_factory.mktemp("db")) as handle:
        yield handle


def wait_for(check, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False


def test_up_runs_an_agent_per_host_and_a_bound_port_goes_active(db: Database) -> None:
    assert "network" in default_registry().agent_kinds()
    bus = InProcessBus()
    hosts = (("net-a", "nova"), ("net-b", "nova"))
    ctx = AgentContext(db, bus, Settings(), hosts=hosts)
    stop = default_registry().agent("network").start(ctx)
    try:
        # the API side: the network service's collections over the same bus
        collections = runner.collections(AgentContext(db, bus, Settings()))
        admin = RequestContext(request_id="req-t", user_id="admin", project_id=uuid.uuid4().hex,
                               roles=["admin", "member", "reader"])
        net = collections["networks"].create(admin, [{"name": "n"}])[0]
        collections["subnets"].create(admin, [{"network_id": net["id"], "cidr": "10.5.0.0/24",
                                               "ip_version": 4}])
        port = collections["ports"].create(admin, [{
            "network_id": net["id"], "device_owner": "compute:nova", "device_id": "vm-1",
            "binding:host_id": "net-b"}])[0]
        assert port["status"] == "DOWN"
        assert wait_for(lambda: db.read(lambda s: s.get(Port, port["id"]).status) == "ACTIVE")
        assert "vm-1" in bus.wait("compute.net-b", 1.0)
        agents = collections["agents"].list(admin, ListQuery())[0]
        assert {(a["host"], a["agent_type"]) for a in agents} >= {
            (h, t) for h, _ in hosts for t in ("Linux bridge agent", "L3 agent", "DHCP agent")}
    finally:
        stop()


class RecordingBus(InProcessBus):
    def __init__(self) -> None:
        super().__init__()
        self.topics: list[str] = []

    def notify(self, topic: str, ident: str | None = None) -> None:  # type: ignore[override]
        self.topics.append(topic)
        super().notify(topic, ident)


def test_a_new_port_wakes_only_the_agent_of_its_host(db: Database) -> None:
    """A port create used to wake every local agent through the relay (three full
    ``pending`` passes per port in ``onestack up``); a new port concerns only its host."""
    bus = RecordingBus()
    collections = runner.collections(AgentContext(db, bus, Settings()))
    admin = RequestContext(request_id="req-t", user_id="admin", project_id=uuid.uuid4().hex,
                           roles=["admin", "member", "reader"])
    net = collections["networks"].create(admin, [{"name": "n"}])[0]
    bus.topics.clear()
    collections["ports"].create(admin, [{"network_id": net["id"]}])
    assert bus.topics == []
    collections["ports"].create(admin, [{"network_id": net["id"], "binding:host_id": "h-2"}])
    assert bus.topics == [runner.host_topic("h-2")]

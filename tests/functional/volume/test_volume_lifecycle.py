"""A volume's whole life through the API with the real volume agent (the in-memory
driver, reconciled directly): create → the agent makes it available; delete → the agent
frees the bytes, the backend's capacity and the project's quota, and the volume is gone
(404); a second delete while it is deleting is Cinder's 400."""
from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from onestack.volume.agent.host import VolumeAgent
from onestack.volume.drivers.memory import MemoryDriver
from onestack.volume.models.backends import Backend
from onestack.volume.models.quotas import QuotaUsage
from tests.functional.volume.conftest import VolApi, cinder_fault
from tests.support.api import assert_status
from tests.support.identity import Cloud, Member


@pytest.fixture
def zone() -> str:
    return "life-" + uuid.uuid4().hex[:8]


@pytest.fixture
def agent(vol: VolApi, zone: str) -> VolumeAgent:
    running = VolumeAgent(vol.db, None, f"life{uuid.uuid4().hex[:6]}", MemoryDriver(100),
                          zone=zone, ratio=1.0)
    running.start()
    return running


@pytest.fixture(scope="module")
def owner(cloud: Cloud) -> Member:
    return cloud.make_project_member()


def settle(agent: VolumeAgent) -> None:
    for key in agent.pending():
        agent.reconcile(key)


def usage(vol: VolApi, project_id: str, resource: str) -> int:
    found = vol.db.read(lambda s: s.get(QuotaUsage, (project_id, resource)))
    return int(found.in_use) if found else 0


def test_create_then_delete_with_the_agent(vol: VolApi, agent: VolumeAgent, zone: str,
                                           owner: Member) -> None:
    pid = owner.project["id"]
    before = usage(vol, pid, "gigabytes")
    v = vol.volume(owner.token, size=3, availability_zone=zone, settle=False)
    assert v["status"] == "creating"
    assert agent.driver.volume_exists(v["id"]) is False
    settle(agent)
    shown = assert_status(vol.get(f"/volumes/{v['id']}", owner.token), 200)["volume"]
    assert shown["status"] == "available" and agent.driver.volume_exists(v["id"])
    assert usage(vol, pid, "gigabytes") == before + 3
    assert vol.db.read(lambda s: s.get(Backend, agent.name).allocated_capacity_gb) == 3

    assert_status(vol.delete(f"/volumes/{v['id']}", owner.token), 202)
    cinder_fault(vol.delete(f"/volumes/{v['id']}", owner.token), 400)
    assert assert_status(vol.get(f"/volumes/{v['id']}", owner.token),
                         200)["volume"]["status"] == "deleting"
    settle(agent)
    cinder_fault(vol.get(f"/volumes/{v['id']}", owner.token), 404)
    cinder_fault(vol.delete(f"/volumes/{v['id']}", owner.token), 404)
    assert not agent.driver.volume_exists(v["id"])
    assert usage(vol, pid, "gigabytes") == before
    assert vol.db.read(lambda s: s.get(Backend, agent.name).allocated_capacity_gb) == 0


def test_clone_stays_on_its_sources_backend(vol: VolApi, agent: VolumeAgent, zone: str,
                                            owner: Member) -> None:
    src = vol.volume(owner.token, size=1, availability_zone=zone, settle=False)
    settle(agent)
    clone = vol.volume(owner.token, source_volid=src["id"], settle=False)
    assert clone["size"] == 1 and clone["source_volid"] == src["id"]
    assert clone["availability_zone"] == zone
    settle(agent)
    shown = assert_status(vol.get(f"/volumes/{clone['id']}"), 200)["volume"]
    assert shown["status"] == "available" and shown["os-vol-host-attr:host"] == agent.name
    cinder_fault(vol.post("/volumes", owner.token, json={"volume": {
        "source_volid": src["id"], "size": 1, "availability_zone": "nova"}}), 400)
    used = vol.db.read(lambda s: s.scalar(sa.select(Backend.allocated_capacity_gb).where(
        Backend.name == agent.name)))
    assert used == 2

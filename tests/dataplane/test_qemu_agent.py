"""The host agent on the QEMU driver: a server row in SPAWNING becomes a QEMU process whose
root disk overlays the base image the agent fetched and verified, the agent's power steps
and power sync follow the process, and a restarted agent adopts the same process."""
from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import time
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Iterator

import pytest
import sqlalchemy as sa

from onestack.compute import models as cm
from onestack.compute import states as st
from onestack.compute.agent import HostAgent
from onestack.compute.drivers.base import RUNNING, SHUTDOWN
from onestack.compute.drivers.qemu.driver import QemuDriver
from onestack.compute.drivers.qemu.layout import GuestDir
from onestack.core.bus import InProcessBus
from onestack.core.db import Database
from onestack.core.dataplane import tap_name
from onestack.network.seam import NetInfo, PortInfo
from tests.contract.qemu_harness import missing_qemu, qemu_drivers
from tests.dataplane.test_qemu_driver import image_info
from tests.support.databases import configured_backends, migrated_database
from tests.unit.compute.reconcile_support import add_instance, instance, update

REASON = missing_qemu()
pytestmark = pytest.mark.skipif(REASON is not None, reason=REASON or "")
BASE = b"\x00" * 510 + b"\x55\xaa" + b"\x00" * (1 << 20)  # a raw disk with a boot signature


class Images:
    """The image seam calls the agent makes, over one image in memory."""

    def __init__(self, image_id: str):
        self.image_id = image_id
        self.downloads = 0

    def describe(self, image_id: str) -> dict | None:
        return {"id": image_id, "disk_format": "raw",
                "checksum": hashlib.md5(BASE, usedforsecurity=False).hexdigest()} \
            if image_id == self.image_id else None

    def open_bytes(self, image_id: str) -> Iterator[bytes]:
        self.downloads += 1
        return iter([BASE])


class Network:
    """The network seam reads the agent makes for a guest's NICs, over ports in memory."""

    def __init__(self) -> None:
        self.ports: dict[str, list[PortInfo]] = {}

    def ports_of(self, s: object, device_ids: list[str]) -> dict[str, list[PortInfo]]:
        return {i: list(self.ports.get(i, [])) for i in device_ids}

    def networks_by_id(self, s: object, ids: list[str]) -> dict[str, NetInfo]:
        return {i: NetInfo(i, "net", "p", False, False, 1450) for i in ids}


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    with migrated_database(configured_backends()[0], tmp_path_factory.mktemp("db")) as handle:
        yield handle


def test_the_agent_runs_a_server_on_qemu(db: Database, tmp_path: Path) -> None:
    image_id = str(uuid.uuid4())
    images = Images(image_id)
    host = "qemu-" + uuid.uuid4().hex[:6]
    with qemu_drivers(tmp_path) as (_, make):
        def agent() -> HostAgent:
            made = HostAgent(db, InProcessBus(), host, make(host, tmp_path), host, images)
            made.start()
            return made
        first = agent()
        assert db.read(lambda s: s.scalar(sa.select(cm.ComputeHost.hypervisor_type).where(
            cm.ComputeHost.host == host))) == "QEMU"
        ident = add_instance(db, host, host=host, image_ref=image_id,
                             task_state=st.SPAWNING)
        first.reconcile(ident)
        row = instance(db, ident)
        assert (row.vm_state, row.power_state) == (st.ACTIVE, RUNNING)
        driver = first.driver
        assert isinstance(driver, QemuDriver)
        info = image_info(GuestDir(driver.root, ident).disk)
        assert info["backing-filename"] == str(driver.image_cache_dir() / image_id)
        pid = driver.pid_of(ident)

        first.drifted()
        with open(GuestDir(driver.root, ident).console, "a") as log:
            log.write("guest: a line printed after the spawn step\n")  # as the boot goes on
        assert ident in first.drifted()
        first.reconcile(ident)
        assert "after the spawn step" in instance(db, ident).console_log
        assert ident not in first.drifted()

        second = agent()  # an agent restarted: the same QEMU, no second one
        assert second.driver.pid_of(ident) == pid  # type: ignore[attr-defined]
        second.reconcile(ident)
        assert images.downloads == 1

        os.kill(pid, signal.SIGKILL)  # the guest dies behind the agent's back
        deadline = time.monotonic() + 5
        while second.driver.pid_of(ident) is not None and time.monotonic() < deadline:
            time.sleep(0.05)
        second.reconcile(ident)
        row = instance(db, ident)
        assert (row.vm_state, row.power_state) == (st.STOPPED, SHUTDOWN)

        update(db, ident, task_state=st.POWERING_ON)
        second.reconcile(ident)
        assert instance(db, ident).vm_state == st.ACTIVE
        assert second.driver.get_info(ident).power_state == RUNNING

        update(db, ident, task_state=st.DELETING)
        second.reconcile(ident)
        assert ident not in second.driver.list_instances()
        assert not (driver.root / ident).exists()


def test_the_agent_hot_plugs_the_ports_of_a_running_server(db: Database,
                                                          tmp_path: Path) -> None:
    host = "qemu-" + uuid.uuid4().hex[:6]
    with qemu_drivers(tmp_path) as (netns, make):
        agent = HostAgent(db, InProcessBus(), host, make(host, tmp_path), host)
        agent.start()
        ident = add_instance(db, host, host=host, task_state=st.SPAWNING)
        agent.reconcile(ident)
        assert instance(db, ident).vm_state == st.ACTIVE
        network = Network()
        agent.network = network
        port = PortInfo(str(uuid.uuid4()), "net-1", "p", "fa:16:3e:12:34:56", "DOWN", ident,
                        "compute:nova", host, [{"ip_address": "10.0.0.5"}])
        network.ports[ident] = [port]
        assert agent._nic_drift([ident]) == []  # not wired yet: no tap to open
        network.ports[ident] = [replace(port, status="ACTIVE")]
        assert agent._nic_drift([ident]) == [ident]
        assert ident in agent.drifted()
        agent.reconcile(ident)
        assert agent.driver.attached_ports(ident) == [port.id]  # type: ignore[attr-defined]
        links = subprocess.run(["ip", "netns", "exec", netns, "ip", "-o", "link"],
                               check=True, capture_output=True, text=True).stdout
        assert tap_name(port.id) in links
        assert agent._nic_drift([ident]) == []
        network.ports[ident] = []  # os-interface detach
        agent.reconcile(ident)
        assert agent.driver.attached_ports(ident) == []  # type: ignore[attr-defined]
        agent.network = None
        update(db, ident, task_state=st.DELETING)
        agent.reconcile(ident)
        assert ident not in agent.driver.list_instances()

"""Runs a host agent (and the scheduler) as reconcile workers with a heartbeat."""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from onestack.compute.drivers.base import VirtDriver
from onestack.compute.drivers.fake import FakeDriver
from onestack.compute.agent import HostAgent
from onestack.compute.scheduler import Scheduler
from onestack.core.bus import Bus
from onestack.core.db import Database
from onestack.core.reconcile import Worker

log = logging.getLogger(__name__)
HEARTBEAT_SECONDS = 10.0


@dataclass
class Running:
    workers: list[Worker] = field(default_factory=list)
    stop_event: threading.Event = field(default_factory=threading.Event)

    def stop(self) -> None:
        self.stop_event.set()
        for w in self.workers:
            w.stop()


def start_scheduler(db: Database, bus: Bus, running: Running, threads: int = 2) -> None:
    sched = Scheduler(db, bus)
    worker = Worker("scheduler", bus, "schedule", sched.pending, sched.reconcile, resync=1.0,
                    threads=threads, full=sched.resync)
    worker.start()
    running.workers.append(worker)


def make_driver(host: str, driver: str, state_dir: Path | None, op_seconds: float = 0.0,
                qemu_accel: str = "auto", dataplane_netns: str = "") -> VirtDriver:
    """The virt driver named ``driver`` ("fake" or "qemu") for ``host``."""
    if driver == "fake":
        return FakeDriver(host, state_dir, op_seconds)
    if driver == "qemu":
        if state_dir is None:
            raise ValueError("the qemu driver needs a state directory for its guests")
        from onestack.compute.drivers.qemu.driver import QemuDriver

        return QemuDriver(host, state_dir, accel=qemu_accel, netns=dataplane_netns)
    raise ValueError(f"unknown virt driver {driver!r}")


def start_host(db: Database, bus: Bus, running: Running, host: str, zone: str,
               driver: str = "fake", state_dir: Path | None = None, op_seconds: float = 0.0,
               resync: float = 2.0, images: Any = None, network: Any = None,
               volume: Any = None, qemu_accel: str = "auto",
               dataplane_netns: str = "") -> HostAgent:
    """Start a host agent: re-adopt the guests the driver still runs, then converge every
    ``resync`` seconds (and at once on a wake-up) — the first full pass runs immediately."""
    virt = make_driver(host, driver, state_dir, op_seconds, qemu_accel, dataplane_netns)
    agent = HostAgent(db, bus, host, virt, zone, images)
    agent.network = network  # the network service's seam: ports made and bound here
    agent.volume = volume  # the volume service's seam: volumes made and connected here
    adopted = agent.start()
    if adopted:
        log.info("%s: re-adopted %d guests", host, len(adopted))
    worker = Worker(f"compute-{host}", bus, "compute." + host, agent.pending, agent.reconcile,
                    resync=resync, threads=2, full=agent.drifted)
    worker.start()
    running.workers.append(worker)

    def beat() -> None:
        while not running.stop_event.wait(HEARTBEAT_SECONDS):
            try:
                agent.heartbeat()
            except Exception:  # noqa: BLE001 - keep beating through database hiccups
                log.exception("heartbeat of %s failed", host)
    threading.Thread(target=beat, name=f"heartbeat-{host}", daemon=True).start()
    return agent

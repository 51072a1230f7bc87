"""Runs the volume agent: registration, a heartbeat every ``HEARTBEAT_SECONDS`` (capacity
refreshed) and a level-triggered worker on ``volume.agent.<host>`` (what ``wake`` notifies
after the API commits work for this host's backend; a resync every ``RESYNC_SECONDS``
finds whatever a lost wake-up or a killed agent left).

One agent per process, for the **first** host of the context: ``onestack agent volume
--host NAME`` has one host anyway, and in ``onestack up`` the fake compute hosts share one
disk — three file backends there would each report the whole filesystem, tripling the
capacity the scheduler believes in. The volumes live in ``volume_data_dir`` (default:
``volumes/`` in the state dir, i.e. ``up``'s data dir, else ``.onestack``).
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from onestack.core.config import Settings
from onestack.core.reconcile import Worker
from onestack.core.registry import AgentContext
from onestack.volume.agent.host import VolumeAgent
from onestack.volume.drivers.base import VolumeDriver
from onestack.volume.wake import agent_topic

log = logging.getLogger(__name__)
HEARTBEAT_SECONDS = 10.0
RESYNC_SECONDS = 2.0
WORKER_THREADS = 4  # copies are I/O bound: one long image copy must not hold up a delete


@dataclass
class Running:
    workers: list[Worker] = field(default_factory=list)
    agents: list[VolumeAgent] = field(default_factory=list)
    stop_event: threading.Event = field(default_factory=threading.Event)

    def stop(self) -> None:
        self.stop_event.set()
        for w in self.workers:
            w.stop()


def data_dir(settings: Settings, state_dir: Path | None) -> Path:
    """The directory the file backend owns: ``volume_data_dir``, else ``volumes`` in the
    state dir (``up``'s data dir, which may hold the user's own files too)."""
    if settings.volume_data_dir:
        return Path(settings.volume_data_dir)
    return (Path(state_dir) if state_dir else Path(".onestack")) / "volumes"


def make_driver(settings: Settings, state_dir: Path | None) -> VolumeDriver:
    name = settings.volume_backend
    if name == "file":
        from onestack.volume.drivers.file import FileDriver

        return FileDriver(data_dir(settings, state_dir), settings.volume_capacity_gb)
    if name == "memory":
        from onestack.volume.drivers.memory import MemoryDriver

        return MemoryDriver(settings.volume_capacity_gb or 1000)
    raise ValueError(f"unknown volume backend {name!r}")


def backup_source(ctx: AgentContext) -> Any:
    """What restores read backup bytes from (``open_backup(backup_id)``): what the
    composition root hands over as ``ctx.seams["volume_backup"]``, else the backup
    service's store (``onestack.volume.backup.runner.backup_source``); None without a
    backup service — a restore then ends in ``error`` with a message."""
    if ctx.seams.get("volume_backup") is not None:
        return ctx.seams["volume_backup"]
    try:
        from onestack.volume.backup.runner import backup_source as source
    except ImportError:
        return None
    return source(ctx)


def start_host(ctx: AgentContext, running: Running, host: str, zone: str,
               driver: VolumeDriver | None = None, resync: float = RESYNC_SECONDS,
               heartbeat: float = HEARTBEAT_SECONDS) -> VolumeAgent:
    driver = driver or make_driver(ctx.settings, ctx.state_dir)
    agent = VolumeAgent(ctx.db, ctx.bus, host, driver, zone=zone,
                        backend=ctx.settings.volume_backend, images=ctx.seams.get("image"),
                        backups=backup_source(ctx),
                        ratio=ctx.settings.volume_max_over_subscription_ratio,
                        scratch=getattr(driver, "scratch", None))
    agent.start()
    worker = Worker(f"volume-{host}", ctx.bus, agent_topic(host), agent.pending,
                    agent.reconcile, resync=resync, threads=WORKER_THREADS)
    worker.start()
    running.workers.append(worker)
    running.agents.append(agent)

    def beat() -> None:
        while not running.stop_event.wait(heartbeat):
            try:
                agent.heartbeat()
            except Exception:  # noqa: BLE001 - keep beating through database hiccups
                log.exception("volume agent heartbeat of %s failed", host)
    threading.Thread(target=beat, name=f"volume-heartbeat-{host}", daemon=True).start()
    return agent


def start(ctx: AgentContext) -> Callable[[], None]:
    """The volume agent of the first host of ``ctx``; returns the function stopping it."""
    running = Running()
    if ctx.hosts:
        host, zone = ctx.hosts[0]
        start_host(ctx, running, host, zone, resync=RESYNC_SECONDS,
                   heartbeat=HEARTBEAT_SECONDS)
    return running.stop

"""Runs the backup worker (``onestack agent backup``, and in ``onestack up``): its
``cinder-backup`` service row with a heartbeat every ``HEARTBEAT_SECONDS``, and a
level-triggered worker on ``volume.backup.<host>`` (what the API notifies after it
commits backup work for this host; a resync every ``RESYNC_SECONDS`` finds whatever a
lost wake-up or a killed worker left).

One worker per process, for the first host of the context (the backups of a cloud share
one store). The file store lives under ``<state dir>/backups`` (``up``'s data dir, else
``.onestack``); ``backup_source(ctx)`` opens the same store for the volume agent, which
writes restored bytes through its driver.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from onestack.core.reconcile import Worker
from onestack.core.registry import AgentContext
from onestack.volume.backup.base import BackupStore
from onestack.volume.backup.reading import AttachedReader, VolumeReader
from onestack.volume.backup.worker import BackupSource, BackupWorker

log = logging.getLogger(__name__)
HEARTBEAT_SECONDS = 10.0
RESYNC_SECONDS = 2.0


def topic(host: str) -> str:
    return f"volume.backup.{host}"


def store_root(state_dir: Path | None) -> Path:
    return (Path(state_dir) if state_dir else Path(".onestack")) / "backups"


def make_store(state_dir: Path | None, writer: bool = True) -> BackupStore:
    from onestack.volume.backup.file import FileStore

    return FileStore(store_root(state_dir), clear_partial=writer)


def backup_source(ctx: AgentContext) -> BackupSource:
    """What the volume agent restores from (``open_backup(backup_id)``): the store opened
    for reading (it leaves the worker's puts in progress alone)."""
    return BackupSource(ctx.db, make_store(ctx.state_dir, writer=False))


@dataclass
class Running:
    workers: list[Worker] = field(default_factory=list)
    stop_event: threading.Event = field(default_factory=threading.Event)

    def stop(self) -> None:
        self.stop_event.set()
        for w in self.workers:
            w.stop()


def start_worker(ctx: AgentContext, running: Running, host: str, zone: str,
                 store: BackupStore | None = None, reader: VolumeReader | None = None,
                 resync: float = RESYNC_SECONDS, heartbeat: float = HEARTBEAT_SECONDS
                 ) -> BackupWorker:
    worker = BackupWorker(ctx.db, host, store or make_store(ctx.state_dir),
                          reader or AttachedReader(), zone=zone)
    worker.register()
    loop = Worker(f"backup-{host}", ctx.bus, topic(host), worker.pending, worker.reconcile,
                  resync=resync, threads=1)
    loop.start()
    running.workers.append(loop)

    def beat() -> None:
        while not running.stop_event.wait(heartbeat):
            try:
                worker.heartbeat()
            except Exception:  # noqa: BLE001 - keep beating through database hiccups
                log.exception("backup worker heartbeat of %s failed", host)
    threading.Thread(target=beat, name=f"backup-heartbeat-{host}", daemon=True).start()
    return worker


def start(ctx: AgentContext) -> Callable[[], None]:
    """The backup worker of the first host of ``ctx``; returns the function stopping it."""
    running = Running()
    if ctx.hosts:
        host, zone = ctx.hosts[0]
        start_worker(ctx, running, host, zone)
    return running.stop

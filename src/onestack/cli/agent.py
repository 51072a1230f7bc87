"""``onestack agent compute|scheduler``: one more worker process against a shared database.
Without a shared bus it finds its work by periodic resync (about a second)."""
from __future__ import annotations

import signal
import socket
import threading
from pathlib import Path

from onestack.core.bus import NullBus
from onestack.core.config import Settings
from onestack.core.db import Database


def run_agent(settings: Settings, kind: str, host: str | None, zone: str, driver: str,
              state_dir: str | None) -> int:
    from onestack.agents.compute import Running, start_host, start_scheduler

    db = Database(settings.database_url)
    bus = NullBus()
    running = Running()
    if kind == "scheduler":
        start_scheduler(db, bus, running)
    else:
        name = host or socket.gethostname()
        start_host(db, bus, running, name, zone, driver,
                   Path(state_dir) if state_dir else None, settings.fake_op_seconds)
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    print(f"onestack {kind} agent running", flush=True)
    done.wait()
    running.stop()
    return 0

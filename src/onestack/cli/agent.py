"""``onestack agent <kind>``: one more worker process against a shared database, started
from the runner a service registered under that kind (``scheduler``, ``compute``, …).
Without a shared bus it finds its work by periodic resync (about a second)."""
from __future__ import annotations

import signal
import socket
import threading
from pathlib import Path

from onestack.core.bus import NullBus
from onestack.core.config import Settings
from onestack.core.db import Database
from onestack.core.registry import AgentContext


def run_agent(settings: Settings, kind: str, host: str | None, zone: str, driver: str,
              state_dir: str | None) -> int:
    from onestack.server import default_registry

    registry = default_registry()
    runner = registry.agent(kind)
    db = Database(settings.database_url)
    ctx = AgentContext(db, NullBus(), settings, hosts=((host or socket.gethostname(), zone),),
                       driver=driver, state_dir=Path(state_dir) if state_dir else None)
    stop = runner.start(registry.with_seams(ctx))
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    print(f"onestack {kind} agent running", flush=True)
    done.wait()
    stop()
    return 0

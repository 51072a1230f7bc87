"""How many Block Storage handlers run at once in one process; the others sleep on a
semaphore until a turn comes.

Why: a burst — twenty creates at once and then their clients' status polls — makes
twenty handler threads runnable in one interpreter. The create holding the database's
write lock gives the interpreter away at every statement it sends and waits behind every
other runnable thread to get it back, so the creates pass the lock one by one at several
times their own cost, and the agent's write waits behind all of them. Asleep on the
semaphore, a waiting request costs nothing and the one holding the lock runs at full
speed. Handlers are short (the agents do the slow work; nothing here waits on a
network), so few turns lose little: on SQLite, where every write is serialised and a
read is CPU in this process, two; on a database server, whose round trips leave the
interpreter free for other handlers meanwhile, more.
"""
from __future__ import annotations

import threading
from dataclasses import replace
from typing import Any

from onestack.core.http import Call, Reply, Route

SQLITE_TURNS = 2
SERVER_TURNS = 8


class Turns:
    def __init__(self, count: int):
        self.count = count
        self._free = threading.BoundedSemaphore(count)

    def route(self, route: Route) -> Route:
        """``route`` whose handler runs in a turn (a stream's body arrives as slowly as its
        client sends it: it keeps its own pace, outside the turns)."""
        if route.stream:
            return route
        handler = route.handler

        def run(call: Call) -> Reply:
            with self._free:
                return handler(call)
        return replace(route, handler=run)


def turns_for(platform: Any) -> Turns:
    return Turns(SQLITE_TURNS if getattr(platform.db, "is_sqlite", False) else SERVER_TURNS)

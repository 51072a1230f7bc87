"""The bus only wakes workers up: a message carries an id, never state, and losing one only
delays work until the next periodic resync. ``InProcessBus`` serves ``onestack up`` (API and
agents in one process); API-only replicas and lone agents get ``NullBus``. A broker-backed
bus plugs in behind the same two methods."""
from __future__ import annotations

import threading
from typing import Protocol

# Ids are hints (the worker re-reads the database), so a topic nobody drains keeps at most
# this many; beyond it a notify still wakes the waiter but drops the id.
MAX_PENDING_IDS = 1024


class Bus(Protocol):
    def notify(self, topic: str, ident: str = "") -> None:
        """Wake the workers of ``topic`` (``schedule``, ``compute.<host>``, …)."""

    def wait(self, topic: str, timeout: float) -> set[str]:
        """Block until ``topic`` is notified or ``timeout`` passes; the ids notified so far."""


class InProcessBus:
    """Wakes worker threads of the same process; memory bounded per topic. Each topic has
    its own condition (over one lock): a notify wakes the waiters of its topic only, not
    every worker thread of the process (dozens in ``onestack up``), which each woke,
    re-checked and slept again on every notify."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._conds: dict[str, threading.Condition] = {}
        self._pending: dict[str, set[str]] = {}

    def notify(self, topic: str, ident: str = "") -> None:
        with self._lock:
            ids = self._pending.setdefault(topic, set())
            if len(ids) < MAX_PENDING_IDS:
                ids.add(ident)
            cond = self._conds.get(topic)
            if cond is not None:
                cond.notify_all()

    def wait(self, topic: str, timeout: float) -> set[str]:
        with self._lock:
            if not self._pending.get(topic):
                cond = self._conds.get(topic)
                if cond is None:
                    cond = self._conds[topic] = threading.Condition(self._lock)
                cond.wait_for(lambda: bool(self._pending.get(topic)), timeout)
            return self._pending.pop(topic, set())

    def pending_count(self) -> int:
        """Ids held for all topics (what the bound is about)."""
        with self._lock:
            return sum(len(ids) for ids in self._pending.values())


class NullBus:
    """For processes with no local workers (API replicas) or no local API (lone agents):
    notifications are dropped, agents find their work by resync."""

    def notify(self, topic: str, ident: str = "") -> None:
        return None

    def wait(self, topic: str, timeout: float) -> set[str]:
        threading.Event().wait(timeout)
        return set()

    def pending_count(self) -> int:
        return 0

"""The bus only wakes workers up: a message carries an id, never state, and losing one only
delays work until the next periodic resync. ``InProcessBus`` serves ``onestack up``; a
broker-backed bus plugs in behind the same two methods."""
from __future__ import annotations

import threading
from collections import defaultdict
from typing import Protocol


class Bus(Protocol):
    def notify(self, topic: str, ident: str = "") -> None:
        """Wake the workers of ``topic`` (``schedule``, ``compute.<host>``, …)."""

    def wait(self, topic: str, timeout: float) -> set[str]:
        """Block until ``topic`` is notified or ``timeout`` passes; the ids notified so far."""


class InProcessBus:
    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._pending: dict[str, set[str]] = defaultdict(set)

    def notify(self, topic: str, ident: str = "") -> None:
        with self._cond:
            self._pending[topic].add(ident)
            self._cond.notify_all()

    def wait(self, topic: str, timeout: float) -> set[str]:
        with self._cond:
            if not self._pending[topic]:
                self._cond.wait_for(lambda: bool(self._pending[topic]), timeout)
            ids = self._pending.pop(topic, set())
            return ids


class NullBus:
    """For processes with no local workers: agents elsewhere find work by resync."""

    def notify(self, topic: str, ident: str = "") -> None:
        return None

    def wait(self, topic: str, timeout: float) -> set[str]:
        threading.Event().wait(timeout)
        return set()

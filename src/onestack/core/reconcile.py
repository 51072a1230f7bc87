"""A level-triggered worker: wake on the bus or every ``resync`` seconds, list what is not
yet as desired, take one idempotent step for each id, and retry failures with backoff.
A wake-up lists ``pending`` (the cheap query for work asked for); once every ``resync``
seconds the worker lists ``full`` instead (compare everything observed with everything
desired), which repairs whatever a lost message, a crash or the world behind our back
changed. The reconcile function itself is plain and tested without this loop.

A wake-up that arrives during a pass ends the pass after the step under way, and the next
pass lists again: ``pending`` lists the urgent kinds first (a port a booting server waits
for before the routers and DHCP servers that changed with it), so news is not queued behind
slow steps listed earlier. At most ``MAX_PREEMPTED`` passes in a row end that way; the next
one runs to its end, so a stream of wake-ups cannot starve what is listed last."""
from __future__ import annotations

import logging
import threading
import time
from typing import Callable, Iterable

from onestack.core.bus import Bus

log = logging.getLogger(__name__)
MAX_PREEMPTED = 3


class Worker:
    def __init__(self, name: str, bus: Bus, topic: str, pending: Callable[[], Iterable[str]],
                 reconcile: Callable[[str], bool], resync: float = 2.0,
                 threads: int = 1, full: Callable[[], Iterable[str]] | None = None):
        self.name = name
        self.bus = bus
        self.topic = topic
        self.pending = pending
        self.full = full
        self._next_full = 0.0  # monotonic time of the next full pass (the first is at once)
        self.reconcile = reconcile
        self.resync = resync
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._nthreads = threads
        self._backoff: dict[str, tuple[float, float]] = {}  # id -> (not before, delay)
        self._busy: set[str] = set()
        self._lock = threading.Lock()
        self._last_ids: list[str] = []
        self._preempted = 0  # passes in a row ended early by a wake-up

    def start(self) -> None:
        for i in range(self._nthreads):
            t = threading.Thread(target=self._run, name=f"{self.name}-{i}", daemon=True)
            t.start()
            self._threads.append(t)

    def stop(self) -> None:
        self._stop.set()
        self.bus.notify(self.topic)

    def _take(self, ident: str) -> bool:
        with self._lock:
            not_before, _ = self._backoff.get(ident, (0.0, 0.0))
            if ident in self._busy or time.monotonic() < not_before:
                return False
            self._busy.add(ident)
            return True

    def _done(self, ident: str, ok: bool) -> None:
        with self._lock:
            self._busy.discard(ident)
            if ok:
                self._backoff.pop(ident, None)
            else:
                _, delay = self._backoff.get(ident, (0.0, 0.25))
                delay = min(delay * 2, 30.0)
                self._backoff[ident] = (time.monotonic() + delay, delay)

    def _full_pass_due(self) -> bool:
        """True for one thread once every ``resync`` seconds (when there is a ``full``)."""
        if self.full is None:
            return False
        with self._lock:
            now = time.monotonic()
            if now < self._next_full:
                return False
            self._next_full = now + self.resync
            return True

    def run_once(self) -> int:
        """One pass over everything pending (or, when due, everything); returns how many
        ids were handled."""
        handled = 0
        full = self._full_pass_due()
        try:
            ids = list(self.full() if full and self.full else self.pending())
        except Exception:  # noqa: BLE001 - a database hiccup must not kill the worker
            log.exception("%s: listing pending work failed", self.name)
            return 0
        if ids and ids == self._last_ids and not full:
            # the same work again right away: nothing moved, wait for news or resync
            self._last_ids = []
            return 0
        self._last_ids = ids
        preempted_before, self._preempted = self._preempted, 0
        may_yield = preempted_before < MAX_PREEMPTED
        for position, ident in enumerate(ids, 1):
            if self._stop.is_set():
                break
            if not self._take(ident):
                continue
            ok = False
            try:
                ok = self.reconcile(ident)
            except Exception:  # noqa: BLE001
                log.exception("%s: reconcile %s failed", self.name, ident)
            self._done(ident, ok)
            handled += 1
            if may_yield and position < len(ids) and self.bus.wait(self.topic, 0):
                self._preempted = preempted_before + 1
                self._last_ids = []  # the rest of this list is listed again at once
                if full:
                    with self._lock:
                        self._next_full = 0.0  # and the rest of a full list with it
                break
        return handled

    def _run(self) -> None:
        while not self._stop.is_set():
            handled = self.run_once()
            if handled:
                continue
            self.bus.wait(self.topic, self.resync)

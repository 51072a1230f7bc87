"""The in-process bus only wakes workers: whatever nobody waits for must not pile up.

An ``onestack api`` replica has no local workers; before the fix it kept every notified
server id in a set for ever (issue 6, "unbounded growth")."""
from __future__ import annotations

import threading
import tracemalloc
import uuid

from onestack.core.bus import MAX_PENDING_IDS, InProcessBus
from onestack.core.config import Settings
from onestack.server import build_app

NOTIFIES = 10_000


def notify_many(bus, topics: tuple[str, ...] = ("schedule", "compute.hv1")) -> None:
    for i in range(NOTIFIES):
        bus.notify(topics[i % len(topics)], str(uuid.uuid4()))


def test_api_replica_bus_stays_bounded(tmp_path):
    """``onestack api`` builds its app without a bus: 10,000 notifies leave (almost) nothing."""
    app = build_app(Settings(database_url=f"sqlite:///{tmp_path / 'api.db'}"))
    bus = app.platform.bus
    try:
        ids = [str(uuid.uuid4()) for _ in range(NOTIFIES)]  # made before measuring
        tracemalloc.start()
        before = tracemalloc.take_snapshot()
        for i, ident in enumerate(ids):
            bus.notify("schedule" if i % 2 else "compute.hv1", ident)
        after = tracemalloc.take_snapshot()
        tracemalloc.stop()
        grown = sum(s.size_diff for s in after.compare_to(before, "filename"))
        # 10,000 ids kept in sets would be ~1 MiB; a bounded bus keeps at most a few KiB
        assert grown < 64 * 1024, f"the api replica's bus grew by {grown} bytes"
        assert bus.pending_count() == 0
    finally:
        app.platform.db.dispose()


def test_topic_nobody_drains_is_capped():
    """A worker busy for a long time, or a topic whose worker runs elsewhere: ids are only
    hints, so beyond the cap they are dropped (a resync finds the work anyway)."""
    bus = InProcessBus()
    notify_many(bus)
    assert bus.pending_count() == 2 * MAX_PENDING_IDS


def test_waiter_still_receives_ids_and_is_woken():
    bus = InProcessBus()
    got: list[set[str]] = []
    waiter = threading.Thread(target=lambda: got.append(bus.wait("schedule", 5.0)))
    waiter.start()
    bus.notify("schedule", "server-1")
    waiter.join(5.0)
    assert got == [{"server-1"}]
    assert bus.pending_count() == 0


def test_a_full_topic_still_wakes_its_waiter():
    bus = InProcessBus()
    notify_many(bus, ("schedule",))
    assert len(bus.wait("schedule", 0)) == MAX_PENDING_IDS
    assert bus.pending_count() == 0


def test_a_notify_wakes_only_the_waiters_of_its_topic():
    """``onestack up`` has dozens of worker threads waiting on their own topics; a notify
    used to wake every one of them (one condition for all topics), and each re-checked
    its topic and slept again. Counted here: how often the sleepers of ``b`` look."""
    import time

    class Counting(dict):
        looks: dict[str, int] = {}

        def get(self, key, default=None):  # noqa: ANN001
            Counting.looks[key] = Counting.looks.get(key, 0) + 1
            return super().get(key, default)

    bus = InProcessBus()
    bus._pending = Counting()
    stop = threading.Event()

    def waiter(topic: str) -> None:
        while not stop.is_set():
            bus.wait(topic, 5.0)

    threads = [threading.Thread(target=waiter, args=(t,), daemon=True) for t in "abc"]
    for t in threads:
        t.start()
    time.sleep(0.3)  # all three are asleep
    before = Counting.looks.get("b", 0)
    for i in range(200):
        bus.notify("a", str(i))
        time.sleep(0.001)
    looks = Counting.looks.get("b", 0) - before
    stop.set()
    for topic in "abc":
        bus.notify(topic, "stop")
    for t in threads:
        t.join(5)
    assert looks < 5, f"the waiters of b looked {looks} times for notifies of a"

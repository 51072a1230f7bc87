"""The worker's full pass, driven by hand (``run_once``): the first pass and then one every
``resync`` seconds list everything (``full``); passes in between list only ``pending``."""
from __future__ import annotations

from onestack.core.bus import InProcessBus
from onestack.core.reconcile import MAX_PREEMPTED, Worker


def test_the_full_pass_runs_first_and_then_once_per_resync(monkeypatch) -> None:
    now = [100.0]
    monkeypatch.setattr("onestack.core.reconcile.time.monotonic", lambda: now[0])
    seen: list[str] = []
    worker = Worker("t", InProcessBus(), "t", pending=lambda: ["task"],
                    reconcile=lambda i: seen.append(i) or True, resync=2.0,
                    full=lambda: ["task", "drifted"])
    worker.run_once()
    assert seen == ["task", "drifted"]
    seen.clear()
    now[0] += 1.0
    worker.run_once()
    worker.run_once()  # the same pending list right away: nothing moved, so it waits
    assert seen == ["task"]
    seen.clear()
    now[0] += 1.5
    worker.run_once()
    assert seen == ["task", "drifted"]


def test_without_a_full_list_every_pass_lists_pending() -> None:
    seen: list[str] = []
    worker = Worker("t", InProcessBus(), "t", pending=lambda: ["a"],
                    reconcile=lambda i: seen.append(i) or True)
    worker.run_once()
    assert seen == ["a"]


def test_a_wake_up_during_a_pass_lists_again_before_the_rest() -> None:
    """News that arrives while a slow step runs is listed (urgent kinds first) before the
    steps listed after the slow one."""
    bus = InProcessBus()
    work = ["router:r", "dhcp:n"]
    seen: list[str] = []

    def reconcile(ident: str) -> bool:
        seen.append(ident)
        work.remove(ident)
        if ident == "router:r":  # a port is bound while the router is being wired
            work.insert(0, "port:p")
            bus.notify("t", "p")
        return True

    worker = Worker("t", bus, "t", pending=lambda: list(work), reconcile=reconcile)
    while worker.run_once():
        pass
    assert seen == ["router:r", "port:p", "dhcp:n"]


def test_wake_ups_cannot_starve_what_is_listed_last() -> None:
    """A wake-up after every step (some writer that never stops): after MAX_PREEMPTED
    passes ended early, one pass runs to its end."""
    bus = InProcessBus()
    work = ["a", "b", "c", "d", "e", "z"]
    seen: list[str] = []

    def reconcile(ident: str) -> bool:
        seen.append(ident)
        bus.notify("t", ident)
        return True

    worker = Worker("t", bus, "t", pending=lambda: list(work), reconcile=reconcile)
    for _ in range(MAX_PREEMPTED):
        worker.run_once()
    assert seen == ["a"] * MAX_PREEMPTED  # each pass ended after its first step
    worker.run_once()
    assert seen[MAX_PREEMPTED:] == work  # this one ran to the end, "z" included


def test_a_full_pass_ended_early_is_listed_again_in_full() -> None:
    bus = InProcessBus()
    listed: list[str] = []

    def full() -> list[str]:
        listed.append("full")
        return ["x", "y"]

    def pending() -> list[str]:
        listed.append("pending")
        return ["x", "y"]

    def reconcile(ident: str) -> bool:
        if ident == "x":
            bus.notify("t", "x")
        return True

    worker = Worker("t", bus, "t", pending=pending, reconcile=reconcile, full=full,
                    resync=60.0)
    worker.run_once()
    worker.run_once()
    assert listed == ["full", "full"]

"""The worker's full pass, driven by hand (``run_once``): the first pass and then one every
``resync`` seconds list everything (``full``); passes in between list only ``pending``."""
from __future__ import annotations

from onestack.core.bus import InProcessBus
from onestack.core.reconcile import Worker


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

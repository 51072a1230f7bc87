"""The driver's flow forgetting runs on a thread of its own (``conntrack.Forgetter``):
the caller does not wait for it, requests that wait are merged per namespace and zone,
and ``idle`` tells when everything asked for is done."""
from __future__ import annotations

import threading

from onestack.network.drivers.linux import conntrack


def test_the_caller_goes_on_and_waiting_requests_are_merged(monkeypatch) -> None:
    release = threading.Event()
    calls: list[tuple[str, int, set[str]]] = []

    def slow_forget(namespace: str, zone: int, addresses: set[str]) -> int:
        release.wait(10)  # a dump of a busy table
        calls.append((namespace, zone, set(addresses)))
        return 0

    monkeypatch.setattr(conntrack, "forget", slow_forget)
    forgetter = conntrack.Forgetter()
    forgetter.forget("ns-a", 0, ["10.0.0.5/32"])  # taken at once, then blocks
    assert not forgetter.idle(0.2)  # the caller was not held up
    forgetter.forget("ns-a", 0, ["10.0.0.6"])
    forgetter.forget("ns-a", 0, ["10.0.0.7"])
    forgetter.forget("ns-b", 3, ["10.0.0.5"])
    forgetter.forget("ns-a", 0, [])  # nothing to forget: no request
    release.set()
    assert forgetter.idle(10)
    assert calls[0] == ("ns-a", 0, {"10.0.0.5"})
    assert sorted(calls[1:]) == [("ns-a", 0, {"10.0.0.6", "10.0.0.7"}),
                                 ("ns-b", 3, {"10.0.0.5"})]


def test_a_namespace_removed_meanwhile_is_nothing_to_forget(monkeypatch) -> None:
    monkeypatch.setattr(conntrack, "netns_names", lambda: {"other"})
    assert conntrack.forget("gone", 0, ["10.0.0.5"]) == 0


def test_the_thread_ends_when_idle_and_a_new_request_starts_another(monkeypatch) -> None:
    done: list[str] = []
    monkeypatch.setattr(conntrack, "forget",
                        lambda namespace, zone, addresses: done.append(namespace) or 0)
    forgetter = conntrack.Forgetter()
    forgetter.forget("ns-a", 0, ["10.0.0.5"])
    assert forgetter.idle(10)
    first = forgetter._thread
    if first is not None:
        first.join(10)
    assert forgetter._thread is None  # no thread waits on an empty queue
    forgetter.forget("ns-b", 0, ["10.0.0.6"])
    assert forgetter.idle(10)
    assert done == ["ns-a", "ns-b"]

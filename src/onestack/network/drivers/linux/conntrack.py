"""Forgetting a port's tracked connections when its filtering changes: a flow that
conntrack already knows as established would otherwise keep passing rules that no
longer allow it. Removing the entries makes the next packet of each flow new, so it
meets the rules as they are now (and passes again if they still allow it).

Reading a busy table through pyroute2 takes seconds (every entry is decoded in Python: a
router whose floating IP was probed by SSH every 0.2 s holds hundreds), so the driver
hands the work to ``Forgetter``'s thread and the step that changed the rules goes on: a
flow it should cut lives a little longer, as it did while that step ran."""
from __future__ import annotations

import logging
import queue
import socket
import threading
from typing import Any, Iterable

from pyroute2 import Conntrack
from pyroute2.netlink import NETLINK_NETFILTER
from pyroute2.netlink.exceptions import NetlinkError

from onestack.network.drivers.linux import inside

log = logging.getLogger(__name__)


def forget(namespace: str, zone: int, addresses: Iterable[str]) -> int:
    """Delete the tracked flows of ``zone`` from or to any of ``addresses``; how many
    went. Best effort: a failure is logged (the rules still apply to new flows)."""
    wanted = {a.split("/")[0] for a in addresses}
    if not wanted:
        return 0
    removed = 0
    try:
        if namespace and namespace not in netns_names():
            return 0  # removed meanwhile, and its flows with it
        for family in (socket.AF_INET, socket.AF_INET6):
            kwargs: dict[str, Any] = \
                {"fileno": inside.netlink_fd(namespace, NETLINK_NETFILTER)} if namespace else {}
            ct = Conntrack(nfgen_family=family, **kwargs)
            try:
                for entry in list(ct.dump_entries(zone=zone)):
                    flow = entry.tuple_orig
                    if (entry.zone or 0) == zone and (str(flow.saddr) in wanted or
                                                     str(flow.daddr) in wanted):
                        _delete(ct, entry.tuple_orig, zone)
                        removed += 1
            finally:
                ct.close()
    except Exception:  # noqa: BLE001 - see the docstring
        log.warning("could not forget tracked flows of %s in %s", sorted(wanted),
                    namespace or "the root namespace", exc_info=True)
    return removed


def _delete(ct: Conntrack, flow: Any, zone: int) -> None:
    """Delete one flow of ``zone`` (pyroute2's own delete knows no zones); gone
    meanwhile is fine."""
    try:
        ct.entry("del", tuple_orig=flow, zone=zone or None)
    except NetlinkError as exc:
        if exc.code != 2:  # ENOENT: it ended by itself
            raise


def netns_names() -> set[str]:
    try:
        return {p.name for p in inside.NETNS_RUN_DIR.iterdir()}
    except FileNotFoundError:
        return set()


class Forgetter:
    """``forget`` on a thread of its own while there is work, requests for one namespace and
    zone merged while they wait. ``idle`` tells (and waits for) an empty queue, for tests and
    teardown."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[tuple[str, int, frozenset[str]]] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._outstanding = 0
        self._done = threading.Condition(self._lock)

    def forget(self, namespace: str, zone: int, addresses: Iterable[str]) -> None:
        wanted = frozenset(a.split("/")[0] for a in addresses)
        if not wanted:
            return
        with self._lock:
            self._outstanding += 1
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="conntrack-forget",
                                                daemon=True)
                self._thread.start()
        self._queue.put((namespace, zone, wanted))

    def idle(self, timeout: float = 30.0) -> bool:
        with self._lock:
            return self._done.wait_for(lambda: self._outstanding == 0, timeout)

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            while True:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            merged: dict[tuple[str, int], set[str]] = {}
            for namespace, zone, wanted in batch:
                merged.setdefault((namespace, zone), set()).update(wanted)
            for (namespace, zone), wanted in merged.items():
                forget(namespace, zone, wanted)
            with self._lock:
                self._outstanding -= len(batch)
                self._done.notify_all()
                if self._outstanding == 0:  # nothing asked for: the thread ends (the next
                    self._thread = None     # request starts another)
                    return

"""Forgetting a port's tracked connections when its filtering changes: a flow that
conntrack already knows as established would otherwise keep passing rules that no
longer allow it. Removing the entries makes the next packet of each flow new, so it
meets the rules as they are now (and passes again if they still allow it)."""
from __future__ import annotations

import logging
import socket
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

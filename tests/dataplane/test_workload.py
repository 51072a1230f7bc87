"""The ping the end-to-end kill tests measure with counts what an outage loses — one in
the middle and one lasting to the end — between two namespaces the test makes."""
from __future__ import annotations

import subprocess
import time
from typing import Iterator

import pytest

from tests.dataplane import linux_harness
from tests.dataplane.conftest import missing_dataplane
from tests.dataplane.workload import Pinger

REASON = missing_dataplane("ping")
pytestmark = pytest.mark.skipif(REASON is not None, reason=REASON or "")


@pytest.fixture()
def pair() -> Iterator[tuple[str, str]]:
    """Two namespaces joined by a veth pair, 10.99.0.1 and 10.99.0.2."""
    left, right = linux_harness.new_namespace("os-wl-"), linux_harness.new_namespace("os-wl-")
    try:
        subprocess.run(["ip", "-n", left, "link", "add", "wla", "type", "veth", "peer", "name",
                        "wlb", "netns", right], check=True)
        for ns, dev, address in ((left, "wla", "10.99.0.1/24"),
                                 (right, "wlb", "10.99.0.2/24")):
            subprocess.run(["ip", "-n", ns, "addr", "add", address, "dev", dev], check=True)
            subprocess.run(["ip", "-n", ns, "link", "set", dev, "up"], check=True)
        yield left, right
    finally:
        for ns in (left, right):
            subprocess.run(["ip", "netns", "delete", ns], check=False)


def address(ns: str, action: str) -> None:
    """Takes away (``del``) or gives back (``add``) the answering side's address: its
    requests arrive and are dropped (a link set down would only hold them back)."""
    subprocess.run(["ip", "-n", ns, "addr", action, "10.99.0.2/24", "dev", "wlb"],
                   check=True)


def test_a_steady_path_loses_nothing(pair: tuple[str, str]) -> None:
    pinger = Pinger(pair[0], "10.99.0.2")
    time.sleep(3)
    result = pinger.stop()
    assert result.sent >= 10 and result.lost == [] and result.duplicates == 0, result


def test_an_outage_in_the_middle_is_counted(pair: tuple[str, str]) -> None:
    pinger = Pinger(pair[0], "10.99.0.2")
    time.sleep(1.5)
    address(pair[1], "del")
    time.sleep(1.5)
    address(pair[1], "add")
    time.sleep(3)
    result = pinger.stop()
    assert 4 <= len(result.lost) <= 10, (result, result.lost)


def test_an_outage_lasting_to_the_end_is_counted(pair: tuple[str, str]) -> None:
    pinger = Pinger(pair[0], "10.99.0.2")
    time.sleep(1.5)
    address(pair[1], "del")
    time.sleep(6)  # longer than the answers still awaited at the stop (-W 2)
    result = pinger.stop()
    assert len(result.lost) >= 5, (result, result.lost)

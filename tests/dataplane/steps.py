"""What the end-to-end modules share around their tests: their cloud, up for the module and
checked for leftovers when it goes; the time of each named step and the notes of what
workloads saw, printed on the terminal after the module (pytest's output capture set aside
for it, ``-s`` or not); and the processes' last log lines under a failed test's output."""
from __future__ import annotations

import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import pytest

from tests.dataplane.cloud import Cloud


class Steps:
    def __init__(self, prefix: str):
        self.prefix = prefix
        self.times: list[tuple[str, float]] = []
        self.notes: list[str] = []

    @contextmanager
    def timed(self, what: str) -> Iterator[None]:
        started = time.monotonic()
        yield
        self.times.append((what, time.monotonic() - started))

    @contextmanager
    def cloud(self, root: Path, hosts: tuple[str, ...], up: str,
              down: str = "tear down") -> Iterator[Cloud]:
        """A cloud on real guests for the block, its start and its close timed as ``up``
        and ``down``; whatever its close finds left behind fails the module."""
        with self.timed(up):
            cloud = Cloud(root, hosts=hosts)
        leftovers: list[str] = []
        try:
            yield cloud
        finally:
            with self.timed(down):
                leftovers = cloud.close()
        assert leftovers == [], f"left behind: {leftovers}"

    def report(self, config: pytest.Config) -> None:
        capture = config.pluginmanager.get_plugin("capturemanager")
        if capture is None or not (self.times or self.notes):
            return
        with capture.global_and_fixture_disabled():
            print()
            for what, seconds in self.times:
                print(f"{self.prefix}: {what}: {seconds:.1f}s")
            for what in self.notes:
                print(f"{self.prefix}: {what}")


def logs_on_failure(cloud: Any, request: pytest.FixtureRequest) -> Iterator[None]:
    """For an autouse fixture: the cloud's agent logs printed if the test failed."""
    failed = request.session.testsfailed
    yield
    if request.session.testsfailed > failed:
        print(cloud.agent_logs())

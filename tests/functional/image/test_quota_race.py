"""F18 (issue 7): six parallel 3 MiB uploads must not put more than a 10 MiB
``image_size_total`` into a project — the byte budget is reserved atomically when an
upload begins, on every backend. The uploads are held mid-stream until all six have
begun, so the race is forced, not hoped for."""
from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator

import pytest

from onestack.core.context import RequestContext
from onestack.core.db import Database
from onestack.core.errors import PayloadTooLarge
from onestack.core.policy import Policy
from onestack.image import policies
from onestack.image.api.common import Glance
from onestack.image.drivers.memory import MemoryStore
from onestack.image.service.common import Deps
from onestack.image.service.quotas import MiB
from tests.unit.image.test_quotas import add_limits

UPLOADS = 6


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    yield database
    database.dispose()


def glance_on(db: Database) -> Glance:
    policy = Policy()
    policy.register(policies.RULES)
    return Glance.build(Deps(db, policy, MemoryStore("file"), MemoryStore("staging")))


class Gate:
    """Holds every upload after its first chunk until all of them have begun (or were
    refused before streaming)."""

    def __init__(self, parties: int) -> None:
        self.parties, self.arrived = parties, 0
        self.cond = threading.Condition()

    def arrive(self) -> None:
        with self.cond:
            self.arrived += 1
            self.cond.notify_all()
            self.cond.wait_for(lambda: self.arrived >= self.parties, timeout=20)


def race(glance: Glance, who: RequestContext, send_length: bool) -> list[str]:
    ids = [glance.images.create(who, {"disk_format": "raw", "container_format": "bare"})["id"]
           for _ in range(UPLOADS)]
    gate = Gate(UPLOADS)
    outcomes: list[str] = []

    def body() -> Iterator[bytes]:
        yield b"x" * MiB
        gate.arrive()
        yield b"x" * (2 * MiB)

    def upload(image_id: str) -> None:
        try:
            glance.data.upload(who, image_id, body(), 3 * MiB if send_length else None)
            outcomes.append("stored")
        except PayloadTooLarge:
            outcomes.append("refused")
            gate.arrive()

    threads = [threading.Thread(target=upload, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return outcomes


@pytest.mark.parametrize("send_length", [True, False], ids=["content-length", "chunked"])
def test_parallel_uploads_stay_within_the_size_quota(db, send_length):
    project = uuid.uuid4().hex
    who = RequestContext(request_id="req-race", user_id="u1", project_id=project,
                         roles=["member", "reader"])
    add_limits(db, project={project: {"image_size_total": 10}})  # MiB
    glance = glance_on(db)
    outcomes = race(glance, who, send_length)
    assert len(outcomes) == UPLOADS
    usage = glance.images.usage(who)["image_size_total"]
    assert usage["usage"] <= 10, outcomes
    stored = outcomes.count("stored")
    assert stored == (3 if send_length else 1), outcomes
    assert usage["usage"] == 3 * stored
    # nothing stays reserved: what is left of the budget can be used
    later = glance.images.create(who, {"disk_format": "raw", "container_format": "bare"})
    glance.data.upload(who, later["id"], [b"y" * MiB], MiB)


def test_parallel_creates_stay_within_the_image_count(db, monkeypatch):
    """The count check and the new row are atomic too: each check is made slow here, so
    without the project lock every parallel create would see the same count."""
    project = uuid.uuid4().hex
    who = RequestContext(request_id="req-race", user_id="u1", project_id=project,
                         roles=["member", "reader"])
    add_limits(db, project={project: {"image_count_total": 3}})
    glance = glance_on(db)
    slow_usage = glance.quotas.usage

    def usage(s, project_id, resource):
        found = slow_usage(s, project_id, resource)
        time.sleep(0.2)
        return found

    monkeypatch.setattr(glance.quotas, "usage", usage)
    outcomes: list[str] = []

    def create() -> None:
        try:
            glance.images.create(who, {"disk_format": "raw", "container_format": "bare"})
            outcomes.append("made")
        except PayloadTooLarge:
            outcomes.append("refused")

    threads = [threading.Thread(target=create) for _ in range(UPLOADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(outcomes) == ["made"] * 3 + ["refused"] * 3

"""Capacity under concurrency: 50 creates of 1 GiB at once, from two API replicas over one
database and ten projects, against the only backend of a zone with 40 GiB. Exactly 40
volumes are placed there, the other 10 end in ``error`` with the scheduler's user
message, and the backend's allocation is exactly 40 — never over-committed.

On SQLite writers queue; on MariaDB and PostgreSQL (``ONESTACK_TEST_DATABASES``) the
transactions race and only the conditional UPDATE of the claim keeps the count.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import sqlalchemy as sa

from onestack.volume.models.backends import Backend
from onestack.volume.models.messages import Message
from onestack.volume.models.volumes import Volume
from tests.functional.volume.conftest import VolApi
from tests.support.api import Api
from tests.support.identity import Cloud

ATTEMPTS = 50
CAPACITY = 40
THREADS = 16
ZONE = "racezone"
BACKEND = "vrace@file#file"


def test_racing_creates_never_overcommit_a_backend(vol: VolApi, cloud: Cloud,
                                                   make_api: Callable[..., Api],
                                                   admin_token: str) -> None:
    vol.backend(BACKEND, total=CAPACITY, zone=ZONE)
    other = VolApi(make_api(), admin_token, vol.db)
    members = [cloud.make_project_member() for _ in range(10)]
    for member in members:
        vol.unlimit(member.project["id"])

    def create(i: int) -> tuple[int, str]:
        replica = vol if i % 2 else other
        response = replica.post("/volumes", members[i % len(members)].token,
                                json={"volume": {"size": 1, "availability_zone": ZONE,
                                                 "name": f"race-{i}"}})
        body = response.json()
        return response.status_code, body.get("volume", {}).get("status", str(body))

    with ThreadPoolExecutor(THREADS) as pool:
        results = Counter(pool.map(create, range(ATTEMPTS)))
    assert results == {(202, "creating"): CAPACITY, (202, "error"): ATTEMPTS - CAPACITY}, \
        results

    projects = [m.project["id"] for m in members]
    with vol.db.reader() as s:
        placed = s.scalar(sa.select(sa.func.count()).select_from(Volume).where(
            Volume.host == BACKEND, Volume.project_id.in_(projects)))
        failed = list(s.scalars(sa.select(Volume.id).where(
            Volume.status == "error", Volume.project_id.in_(projects))))
        allocated = s.get(Backend, BACKEND).allocated_capacity_gb
        told = s.scalar(sa.select(sa.func.count()).select_from(Message).where(
            Message.resource_uuid.in_(failed)))
    assert placed == CAPACITY and allocated == CAPACITY
    assert len(failed) == ATTEMPTS - CAPACITY == told

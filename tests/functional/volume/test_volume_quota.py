"""Volume creates are charged to the project's quota in the transaction that writes the
row: over a limit is Cinder's 413, and 50 creates at once with a quota of 40 volumes give
exactly 40 (from two API replicas; on MariaDB and PostgreSQL the transactions race)."""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import sqlalchemy as sa

from onestack.volume.models.volumes import Volume
from tests.functional.volume.conftest import VolApi, cinder_fault
from tests.support.api import Api, assert_status
from tests.support.identity import Cloud


def test_limits_give_cindersque_413s(vol: VolApi, cloud: Cloud) -> None:
    member = cloud.make_project_member()
    pid = member.project["id"]
    vol.unlimit(pid, volumes=2, gigabytes=3, per_volume_gigabytes=2)
    cinder_fault(vol.post("/volumes", member.token, json={"volume": {"size": 3}}), 413,
                 "VolumeSizeExceedsLimit")
    vol.volume(member.token, size=2)
    cinder_fault(vol.post("/volumes", member.token, json={"volume": {"size": 2}}), 413,
                 "VolumeSizeExceedsAvailableQuota")
    vol.volume(member.token, size=1)
    cinder_fault(vol.post("/volumes", member.token, json={"volume": {"size": 1}}), 413,
                 "VolumeLimitExceeded: Maximum number of volumes allowed (2) exceeded for "
                 "quota 'volumes'.")
    count = vol.db.read(lambda s: s.scalar(sa.select(sa.func.count()).select_from(Volume)
                                           .where(Volume.project_id == pid)))
    assert count == 2


def test_racing_creates_never_pass_the_quota(vol: VolApi, cloud: Cloud,
                                             make_api: Callable[..., Api]) -> None:
    member = cloud.make_project_member()
    pid = member.project["id"]
    vol.unlimit(pid, volumes=40, gigabytes=-1)
    other = VolApi(make_api(), vol.admin, vol.db)

    def create(i: int) -> int:
        replica = vol if i % 2 else other
        return replica.post("/volumes", member.token,
                            json={"volume": {"size": 1, "name": f"q-{i}"}}).status_code

    with ThreadPoolExecutor(16) as pool:
        results = Counter(pool.map(create, range(50)))
    assert results == {202: 40, 413: 10}, results
    count = vol.db.read(lambda s: s.scalar(sa.select(sa.func.count()).select_from(Volume)
                                           .where(Volume.project_id == pid)))
    assert count == 40
    usage = assert_status(vol.get(f"/os-quota-sets/{pid}", params={"usage": "true"}),
                          200)["quota_set"]["volumes"]
    assert usage["in_use"] == 40 and usage["limit"] == 40

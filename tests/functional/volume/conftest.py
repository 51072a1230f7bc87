"""Block Storage functional tests: the whole app in process (the shared ``api`` fixture),
spoken to under ``/volume/v3``.

No volume agent runs here: ``vol.backend()`` registers a backend row with a fresh
heartbeat so the scheduler can place volumes, and ``vol.settle(id)`` / ``vol.set(id, …)``
stand in for what the agent would write (tests of the agent itself drive its reconcile).
"""
from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from onestack.core.db import Database, utcnow
from tests.support.api import Api, assert_status
from tests.support.identity import Cloud, Member, unique

BACKEND = "vtest@file#file"


class VolApi(Api):
    """The shared in-process client with paths relative to ``/volume/v3``, calling as the
    cloud admin unless given another token; ``version`` sets the microversion header."""

    prefix = "/volume/v3"

    def __init__(self, base: Api, admin_token: str, db: Database):  # noqa: D107
        self._stack = contextlib.ExitStack()
        self.http = base.http
        self.admin = admin_token
        self.api = base
        self.db = db

    def request(self, method: str, path: str, token: str | None = None,  # type: ignore[override]
                version: str | None = None, **kw: Any) -> httpx.Response:
        if version:
            kw["headers"] = {**(kw.get("headers") or {}),
                             "OpenStack-API-Version": f"volume {version}"}
        return super().request(method, path, token=token or self.admin, **kw)

    def get(self, path: str, token: str | None = None, **kw: Any) -> httpx.Response:
        return self.request("GET", path, token, **kw)

    def post(self, path: str, token: str | None = None, **kw: Any) -> httpx.Response:
        return self.request("POST", path, token, **kw)

    def put(self, path: str, token: str | None = None, **kw: Any) -> httpx.Response:
        return self.request("PUT", path, token, **kw)

    def delete(self, path: str, token: str | None = None, **kw: Any) -> httpx.Response:
        return self.request("DELETE", path, token, **kw)

    # --- arranging --------------------------------------------------------------------
    def backend(self, name: str = BACKEND, *, total: int = 100000, zone: str = "nova",
                ratio: float = 1.0, allocated: int = 0, **extra: Any) -> str:
        """Registers (or refreshes) a backend the scheduler can place on."""
        from onestack.volume.models.backends import Backend

        host, _, rest = name.partition("@")
        backend_name = rest.partition("#")[0]

        def work(s: Any) -> None:
            row = s.get(Backend, name)
            if row is None:
                row = Backend(name=name, host=host, backend=backend_name, driver="fake",
                              created_at=utcnow())
                s.add(row)
            row.availability_zone, row.total_capacity_gb = zone, total
            row.max_over_subscription_ratio, row.allocated_capacity_gb = ratio, allocated
            row.disabled, row.heartbeat_at = False, utcnow()
            for key, value in extra.items():
                setattr(row, key, value)
        self.db.write(work)
        return name

    def unlimit(self, project_id: str, **limits: int) -> None:
        """Per-project quota limits (default: volumes and gigabytes unlimited), written
        as the quota API would."""
        from onestack.volume.models.quotas import QuotaLimit

        wanted = limits or {"volumes": -1, "gigabytes": -1, "snapshots": -1}

        def work(s: Any) -> None:
            for resource, limit in wanted.items():
                row = s.get(QuotaLimit, (project_id, resource))
                if row is None:
                    s.add(QuotaLimit(project_id=project_id, resource=resource,
                                     hard_limit=limit))
                else:
                    row.hard_limit = limit
        self.db.write(work)

    def set(self, volume_id: str, **columns: Any) -> None:
        """Writes columns of a volume row as the agent (or an operator) would."""
        from onestack.volume.models.volumes import Volume

        self.db.write(lambda s: s.execute(sa.update(Volume).where(Volume.id == volume_id)
                                          .values(**columns)))

    def settle(self, volume_id: str, status: str = "available") -> None:
        self.set(volume_id, status=status)

    def volume(self, token: str | None = None, settle: bool = True, status: int = 202,
               version: str | None = None, **attrs: Any) -> dict[str, Any]:
        attrs.setdefault("size", 1)
        attrs.setdefault("name", unique("vol"))
        body = assert_status(self.post("/volumes", token, version=version,
                                       json={"volume": attrs}), status)
        volume = body.get("volume", body)
        if settle and status == 202 and volume.get("status") == "creating":
            self.settle(volume["id"])
            volume["status"] = "available"
        return volume


def cinder_fault(response: httpx.Response, status: int, message: str | None = None
                 ) -> str:
    """A Cinder fault body (``{"itemNotFound": {"code": 404, "message": …}}``) with this
    status (and a message containing ``message``, when given); returns the message."""
    assert response.status_code == status, (response.status_code, response.text)
    body = response.json()
    assert len(body) == 1, body
    (fault,) = body.values()
    assert set(fault) == {"code", "message"}, fault
    assert fault["code"] == status
    if message is not None:
        assert message in fault["message"], fault["message"]
    return fault["message"]


@pytest.fixture(scope="module")
def vol_db(db_url: str) -> Iterator[Database]:
    from onestack.volume.app import seed

    db = Database(db_url)
    seed(db)
    try:
        yield db
    finally:
        db.dispose()


@pytest.fixture(scope="module")
def vol(api: Api, admin_token: str, vol_db: Database) -> VolApi:
    client = VolApi(api, admin_token, vol_db)
    client.backend()  # up for module fixtures too (set up before ``_fresh_backend``)
    return client


@pytest.fixture(autouse=True)
def _fresh_backend(vol: VolApi) -> None:
    """Every test starts with the test backend up (heartbeat now)."""
    vol.backend()


__all__ = ["BACKEND", "Cloud", "Member", "VolApi", "cinder_fault", "unique"]

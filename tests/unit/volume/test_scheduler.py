"""``service.scheduler``: which backends may take a volume, the one-UPDATE claim, release."""
from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa

from onestack.core.db import Database, utcnow
from onestack.volume.models.backends import Backend
from onestack.volume.models.types import VolumeType, VolumeTypeExtraSpec
from onestack.volume.service import scheduler
from tests.support.databases import configured_backends, migrated_database

BACKENDS = configured_backends()


@pytest.fixture(scope="module", params=BACKENDS, ids=[b.kind for b in BACKENDS])
def db(request: pytest.FixtureRequest,
       tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    with migrated_database(request.param, tmp_path_factory.mktemp("db")) as handle:
        yield handle


@pytest.fixture
def zone() -> str:
    return "z-" + uuid.uuid4().hex[:8]


def add(db: Database, zone: str, *, total: int = 10, allocated: int = 0, ratio: float = 1.0,
        disabled: bool = False, age: int = 0, backend: str = "file") -> str:
    name = f"h{uuid.uuid4().hex[:6]}@{backend}#{backend}"
    db.write(lambda s: s.add(Backend(
        name=name, host=name.partition("@")[0], backend=backend, driver="fake",
        availability_zone=zone, total_capacity_gb=total, allocated_capacity_gb=allocated,
        max_over_subscription_ratio=ratio, disabled=disabled,
        heartbeat_at=utcnow() - timedelta(seconds=age), created_at=utcnow())))
    return name


def place(db: Database, size: int, zone: str | None, vtype=None, **kw) -> str:  # noqa: ANN001
    return db.write(lambda s: scheduler.place(s, size, zone, vtype, **kw).name)


def allocated(db: Database, name: str) -> int:
    return db.read(lambda s: s.get(Backend, name).allocated_capacity_gb)


def test_the_most_free_backend_wins_and_is_claimed(db: Database, zone: str) -> None:
    small, big = add(db, zone, total=5), add(db, zone, total=50)
    assert place(db, 3, zone) == big
    assert allocated(db, big) == 3 and allocated(db, small) == 0


def test_disabled_stale_full_and_other_zones_are_skipped(db: Database, zone: str) -> None:
    add(db, zone, total=100, disabled=True)
    add(db, zone, total=100, age=120)
    add(db, zone, total=4, allocated=2)
    add(db, "elsewhere-" + zone, total=100)
    with pytest.raises(scheduler.NoValidBackend):
        place(db, 3, zone)
    fits = add(db, zone, total=3)
    assert place(db, 3, zone) == fits
    with pytest.raises(scheduler.NoValidBackend):
        place(db, 1, zone, only=fits)


def test_over_subscription_ratio_counts(db: Database, zone: str) -> None:
    thin = add(db, zone, total=10, ratio=2.0, allocated=15)
    assert place(db, 5, zone) == thin
    with pytest.raises(scheduler.NoValidBackend):
        place(db, 1, zone)


def test_volume_backend_name_extra_spec(db: Database, zone: str) -> None:
    add(db, zone, total=100, backend="file")
    lvm = add(db, zone, total=5, backend="lvm")
    type_id = str(uuid.uuid4())

    def make(s: sa.orm.Session) -> VolumeType:
        row = VolumeType(id=type_id, name="t-" + type_id[:8], is_public=True,
                         created_at=utcnow())
        s.add(row)
        s.flush()
        s.add(VolumeTypeExtraSpec(volume_type_id=type_id, key="volume_backend_name",
                                  value="lvm"))
        return row
    db.write(make)
    assert db.write(lambda s: scheduler.place(s, 2, zone, s.get(VolumeType, type_id)).name) \
        == lvm


def test_any_zone_when_none_is_asked(db: Database, zone: str) -> None:
    name = add(db, zone, total=10 ** 6)
    assert place(db, 10 ** 6 - 1, None) == name


def test_release_never_goes_below_zero(db: Database, zone: str) -> None:
    name = add(db, zone, total=10, allocated=3)
    db.write(lambda s: scheduler.release(s, name, 2))
    assert allocated(db, name) == 1
    db.write(lambda s: scheduler.release(s, name, 5))
    assert allocated(db, name) == 0
    db.write(lambda s: scheduler.release(s, "", 5))  # an unplaced volume: nothing


def test_zones_lists_enabled_backends(db: Database, zone: str) -> None:
    add(db, zone)
    add(db, "off-" + zone, disabled=True)
    found = db.read(scheduler.zones)
    assert zone in found and "off-" + zone not in found


def _typed(db: Database, specs: dict[str, str]) -> VolumeType:
    type_id = str(uuid.uuid4())

    def make(s: sa.orm.Session) -> None:
        s.add(VolumeType(id=type_id, name="t-" + type_id[:8], is_public=True,
                         created_at=utcnow()))
        s.flush()
        for key, value in specs.items():
            s.add(VolumeTypeExtraSpec(volume_type_id=type_id, key=key, value=value))
    db.write(make)
    return db.read(lambda s: s.get(VolumeType, type_id))


def test_capabilities_filter(db: Database, zone: str) -> None:
    """Cinder's CapabilitiesFilter: unscoped and capabilities: specs must match what the
    backend reports; other scopes are not the scheduler's."""
    name = add(db, zone, total=100)
    db.write(lambda s: s.execute(sa.update(Backend).where(Backend.name == name).values(
        storage_protocol="file", vendor_name="onestack")))
    fits = [{"storage_protocol": "file", "vendor_name": "onestack"},
            {"capabilities:volume_backend_name": "file"},
            {"multiattach": "<is> True"}, {"RESKEY:availability_zones": "x"},
            {"storage_protocol": "<or> iSCSI <or> file"}, {"total_capacity_gb": "= 50"}]
    for specs in fits:
        assert place(db, 1, zone, _typed(db, specs)) == name, specs
    refused = [{"storage_protocol": "iSCSI"}, {"vendor_name": "Open Source"},
               {"spec1": "val1"}, {"capabilities:volume_backend_name": "lvm"},
               {"multiattach": "<is> False"}, {"total_capacity_gb": "= 500"}]
    for specs in refused:
        with pytest.raises(scheduler.NoValidBackend):
            place(db, 1, zone, _typed(db, specs))


def test_operators() -> None:
    assert scheduler.matches(True, "<is> True") and not scheduler.matches(True, "<is> False")
    assert scheduler.matches("a b c", "<all-in> a c")
    assert scheduler.matches("abc", "<in> b")
    assert scheduler.matches(10, ">= 10") and scheduler.matches(10, "<= 10")
    assert scheduler.matches("b", "s> a") and not scheduler.matches("b", "s< a")
    assert scheduler.matches("x", "x") and not scheduler.matches("x", "y")

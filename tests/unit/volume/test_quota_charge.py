"""``service.quotas.charge`` (the call every volume, snapshot, backup and group create
makes) and the limits it reads: Cinder's 413 messages, per-type and per-volume limits,
release, and exactly N winners when more than N creates race for a quota of N."""
from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.db import Database
from onestack.volume.models.quotas import QuotaClassLimit, QuotaLimit
from onestack.volume.service import quotas
from tests.support.databases import configured_backends, migrated_database

BACKENDS = configured_backends()


@pytest.fixture(scope="module", params=BACKENDS, ids=[b.kind for b in BACKENDS])
def db(request: pytest.FixtureRequest,
       tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    with migrated_database(request.param, tmp_path_factory.mktemp("db")) as handle:
        yield handle


def project() -> str:
    return uuid.uuid4().hex


def set_limit(db: Database, project_id: str, resource: str, limit: int) -> None:
    db.write(lambda s: s.merge(QuotaLimit(project_id=project_id, resource=resource,
                                          hard_limit=limit)))


def charge(db: Database, project_id: str, deltas: dict[str, int],
           type_name: str | None = None) -> None:
    db.write(lambda s: quotas.charge(s, project_id, deltas, type_name))


def used(db: Database, project_id: str) -> dict[str, int]:
    return db.read(lambda s: quotas.usage(s, project_id))


def test_charge_records_and_release_returns(db: Database) -> None:
    p = project()
    charge(db, p, {"volumes": 1, "gigabytes": 5})
    charge(db, p, {"volumes": 1, "gigabytes": 3})
    assert used(db, p) == {"volumes": 2, "gigabytes": 8}
    charge(db, p, {"volumes": -1, "gigabytes": -5})
    assert used(db, p) == {"volumes": 1, "gigabytes": 3}
    charge(db, p, {"volumes": -4, "gigabytes": -30})  # never below zero
    assert used(db, p) == {"volumes": 0, "gigabytes": 0}


def test_volume_count_over_quota_is_cinders_413(db: Database) -> None:
    p = project()
    set_limit(db, p, "volumes", 2)
    charge(db, p, {"volumes": 2, "gigabytes": 2})
    with pytest.raises(quotas.VolumeLimitExceeded) as err:
        charge(db, p, {"volumes": 1, "gigabytes": 1})
    assert err.value.status == 413
    assert err.value.message == ("VolumeLimitExceeded: Maximum number of volumes allowed "
                                 "(2) exceeded for quota 'volumes'.")
    assert err.value.headers == {"Retry-After": "0"}
    assert used(db, p) == {"volumes": 2, "gigabytes": 2}  # the refused charge left nothing


def test_gigabytes_over_quota_names_requested_and_consumed(db: Database) -> None:
    p = project()
    set_limit(db, p, "gigabytes", 10)
    charge(db, p, {"volumes": 1, "gigabytes": 4})
    with pytest.raises(quotas.VolumeSizeExceedsAvailableQuota) as err:
        charge(db, p, {"volumes": 1, "gigabytes": 7})
    assert err.value.message == (
        "VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds allowed "
        "gigabytes quota. Requested 7G, quota is 10G and 4G has been consumed.")


def test_snapshot_backup_group_messages(db: Database) -> None:
    p = project()
    for resource in ("snapshots", "backups", "groups"):
        set_limit(db, p, resource, 0)
    with pytest.raises(quotas.SnapshotLimitExceeded, match="Maximum number of snapshots "
                       r"allowed \(0\) exceeded$"):
        charge(db, p, {"snapshots": 1, "gigabytes": 1})
    with pytest.raises(quotas.BackupLimitExceeded, match=r"backups allowed \(0\)"):
        charge(db, p, {"backups": 1, "backup_gigabytes": 1})
    with pytest.raises(quotas.GroupLimitExceeded, match=r"groups allowed \(0\)"):
        charge(db, p, {"groups": 1})
    set_limit(db, p, "backups", 5)
    set_limit(db, p, "backup_gigabytes", 2)
    with pytest.raises(quotas.VolumeBackupSizeExceedsAvailableQuota,
                       match="Requested 3G, quota is 2G and 0G"):
        charge(db, p, {"backups": 1, "backup_gigabytes": 3})


def test_unlimited_and_releases_are_never_refused(db: Database) -> None:
    p = project()
    set_limit(db, p, "volumes", -1)
    charge(db, p, {"volumes": 500})
    set_limit(db, p, "gigabytes", 0)
    charge(db, p, {"gigabytes": -3})  # a release under a zero limit still works
    assert used(db, p)["volumes"] == 500


def test_per_type_quota(db: Database) -> None:
    p = project()
    set_limit(db, p, "volumes_gold", 1)
    charge(db, p, {"volumes": 1, "gigabytes": 1}, "gold")
    assert used(db, p) == {"volumes": 1, "gigabytes": 1, "volumes_gold": 1,
                           "gigabytes_gold": 1}
    with pytest.raises(quotas.VolumeLimitExceeded, match="quota 'volumes_gold'"):
        charge(db, p, {"volumes": 1, "gigabytes": 1}, "gold")
    charge(db, p, {"volumes": 1, "gigabytes": 1}, "silver")  # other types: unlimited
    charge(db, p, {"volumes": -1, "gigabytes": -1}, "gold")
    charge(db, p, {"volumes": 1, "gigabytes": 1}, "gold")


def test_per_volume_gigabytes_is_a_bound_not_a_counter(db: Database) -> None:
    p = project()
    set_limit(db, p, "per_volume_gigabytes", 5)
    charge(db, p, {"volumes": 1, "gigabytes": 5, "per_volume_gigabytes": 5})
    with pytest.raises(quotas.VolumeSizeExceedsLimit) as err:
        charge(db, p, {"volumes": 1, "gigabytes": 6, "per_volume_gigabytes": 6})
    assert err.value.message == ("VolumeSizeExceedsLimit: Requested volume size 6G is "
                                 "larger than maximum allowed limit 5G.")
    assert "per_volume_gigabytes" not in used(db, p)


def test_defaults_then_default_class_then_project(db: Database) -> None:
    p = project()
    got = db.read(lambda s: quotas.limits(s, p))
    assert got == quotas.DEFAULTS
    klass = f"c-{uuid.uuid4().hex[:6]}"  # another class does not change defaults
    db.write(lambda s: s.add(QuotaClassLimit(class_name=klass, resource="volumes",
                                             hard_limit=3)))
    assert db.read(lambda s: quotas.limits(s, p))["volumes"] == 10
    set_limit(db, p, "volumes", 7)
    assert db.read(lambda s: quotas.limits(s, p))["volumes"] == 7


def test_fifty_racing_creates_with_quota_forty_give_exactly_forty(db: Database) -> None:
    p = project()
    set_limit(db, p, "volumes", 40)
    start = threading.Barrier(50)
    won: list[int] = []
    refused: list[str] = []
    other: list[BaseException] = []

    def create(i: int) -> None:
        start.wait()

        def work(s: Session) -> None:
            quotas.charge(s, p, {"volumes": 1, "gigabytes": 1})
        try:
            db.write(work, attempts=30)
            won.append(i)
        except quotas.VolumeLimitExceeded as exc:
            refused.append(exc.message)
        except BaseException as exc:  # noqa: BLE001 - reported below
            other.append(exc)
    threads = [threading.Thread(target=create, args=(i,)) for i in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not other, other
    assert len(won) == 40 and len(refused) == 10
    assert set(refused) == {"VolumeLimitExceeded: Maximum number of volumes allowed (40) "
                            "exceeded for quota 'volumes'."}
    assert used(db, p) == {"volumes": 40, "gigabytes": 40}


def test_settings_defaults_sit_under_the_default_class(db: Database) -> None:
    from types import SimpleNamespace

    p = project()
    db.write(lambda s: s.execute(sa.delete(QuotaClassLimit)))
    quotas.apply_settings_defaults(db, SimpleNamespace(
        volume_quota_defaults="volumes=3, gigabytes_gold=5"))
    got = db.read(lambda s: quotas.limits(s, p, ["gigabytes_gold"]))
    assert got["volumes"] == 3 and got["gigabytes_gold"] == 5 and got["snapshots"] == 10
    charge(db, p, {"volumes": 3})
    with pytest.raises(quotas.VolumeLimitExceeded):
        charge(db, p, {"volumes": 1})
    # an admin's default class wins over the settings
    db.write(lambda s: s.add(QuotaClassLimit(class_name="default", resource="volumes",
                                             hard_limit=4)))
    charge(db, p, {"volumes": 1})
    # a later start with other settings replaces what the earlier one wrote
    quotas.apply_settings_defaults(db, SimpleNamespace(volume_quota_defaults=""))
    got = db.read(lambda s: quotas.limits(s, p, ["gigabytes_gold"]))
    assert got["gigabytes_gold"] == -1 and got["volumes"] == 4
    db.write(lambda s: s.execute(sa.delete(QuotaClassLimit)))


@pytest.mark.parametrize("text", ["volumes", "bogus=1", "volumes=x", "volumes=-2"])
def test_bad_settings_defaults_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="volume_quota_defaults"):
        quotas.parse_settings_defaults(text)


def test_onestack_up_applies_the_setting_through_the_volume_bootstrap(db: Database) -> None:
    from onestack.core.config import Settings
    from onestack.volume.app import SPEC

    assert SPEC.bootstrap is not None
    SPEC.bootstrap(db, Settings(volume_quota_defaults="snapshots=17"), "admin-project")
    assert db.read(lambda s: quotas.limits(s, project()))["snapshots"] == 17
    SPEC.bootstrap(db, Settings(), "admin-project")
    assert db.read(lambda s: quotas.limits(s, project()))["snapshots"] == 10

"""``front_end_qos``: what a volume's attach contract carries from its type's QoS specs."""
from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session

from onestack.core.db import Database, utcnow
from onestack.volume.models.types import QosSpecs, VolumeType
from onestack.volume.service.qos_specs import front_end_qos, qos_specs_of
from tests.support.databases import configured_backends, migrated_database

BACKENDS = configured_backends()[:1]  # pure reads: one backend is enough


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    with migrated_database(BACKENDS[0], tmp_path_factory.mktemp("db")) as handle:
        yield handle


def typed(db: Database, consumer: str | None, specs: dict[str, str]) -> str:
    type_id, qos_id = str(uuid.uuid4()), str(uuid.uuid4())

    def work(s: Session) -> None:
        if consumer is not None:
            s.add(QosSpecs(id=qos_id, name=f"q-{qos_id}", consumer=consumer, specs=specs,
                           created_at=utcnow()))
            s.flush()
        s.add(VolumeType(id=type_id, name=f"t-{type_id}", is_public=True,
                         qos_specs_id=qos_id if consumer else None, created_at=utcnow()))

    db.write(work)
    return type_id


def test_front_end_and_both_are_carried_back_end_is_not(db: Database) -> None:
    specs = {"read_iops_sec": "100"}
    for consumer, expected in (("front-end", specs), ("both", specs), ("back-end", None)):
        t = typed(db, consumer, specs)
        assert db.read(lambda s: front_end_qos(s, t, 10)) == expected
    assert db.read(lambda s: front_end_qos(s, typed(db, None, {}), 10)) is None
    assert db.read(lambda s: front_end_qos(s, None, 10)) is None


def test_per_gb_specs_scale_with_size_within_min_and_max(db: Database) -> None:
    t = typed(db, "front-end", {"read_iops_sec_per_gb": "10",
                                "write_iops_sec_per_gb": "10", "write_iops_sec_per_gb_min": "500",
                                "total_bytes_sec_per_gb": "100", "total_bytes_sec_max": "1000",
                                "other": "x"})
    assert db.read(lambda s: front_end_qos(s, t, 20)) == {
        "read_iops_sec": 200, "write_iops_sec": 500, "total_bytes_sec": 1000, "other": "x"}
    # the stored specs are not changed by the scaling
    stored = db.read(lambda s: qos_specs_of(s, t))
    assert stored is not None and "read_iops_sec_per_gb" in stored["specs"]

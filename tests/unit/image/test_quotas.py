"""Unified limits: a project's own limit, else the registered default, else unlimited."""
from __future__ import annotations

import pytest

from onestack.core.db import new_id
from onestack.core.errors import PayloadTooLarge
from onestack.identity import catalog_models as cm
from onestack.image.service.quotas import MiB, Quotas
from tests.unit.image.conftest import OTHER, OWNER, new_image


def add_limits(db, *, registered: dict[str, int] | None = None,
               project: dict[str, dict[str, int]] | None = None,
               service_type: str = "image") -> None:
    def work(s):
        svc = cm.Service(id=new_id(), type=service_type, enabled=True, extra={})
        s.add(svc)
        s.flush()
        for name, value in (registered or {}).items():
            s.add(cm.RegisteredLimit(id=new_id(), service_id=svc.id, region_id=None,
                                     resource_name=name, default_limit=value))
        for project_id, limits in (project or {}).items():
            for name, value in limits.items():
                s.add(cm.Limit(id=new_id(), project_id=project_id, service_id=svc.id,
                               region_id="RegionOne", resource_name=name,
                               resource_limit=value))
    db.write(work)


def test_no_limits_means_unlimited(db):
    quotas = Quotas("RegionOne")
    assert db.read(lambda s: quotas.limit(s, "p1", "image_count_total")) is None
    add_limits(db, registered={"image_count_total": 1}, service_type="compute")
    assert db.read(lambda s: quotas.limit(s, "p1", "image_count_total")) is None


def test_project_limit_wins_over_registered_default(db):
    add_limits(db, registered={"image_count_total": 5}, project={"p1": {"image_count_total": 2}})
    quotas = Quotas("RegionOne")
    assert db.read(lambda s: quotas.limit(s, "p1", "image_count_total")) == 2
    assert db.read(lambda s: quotas.limit(s, "p2", "image_count_total")) == 5
    assert db.read(lambda s: Quotas("Other").limit(s, "p1", "image_count_total")) == 5


def test_image_count_is_enforced_on_create(db, glance):
    add_limits(db, project={"p1": {"image_count_total": 2}})
    new_image(glance)
    new_image(glance)
    with pytest.raises(PayloadTooLarge):
        new_image(glance)
    new_image(glance, OTHER)  # another project is not limited


def test_image_size_is_enforced_while_streaming(db, glance):
    add_limits(db, project={"p1": {"image_size_total": 1}})  # 1 MiB
    first = new_image(glance)
    glance.data.upload(OWNER, first, [b"x" * (MiB // 2)])
    second = new_image(glance)
    with pytest.raises(PayloadTooLarge):
        glance.data.upload(OWNER, second, (b"y" * 65536 for _ in range(16)))
    assert glance.images.show(OWNER, second)["status"] == "queued"
    glance.data.upload(OWNER, second, [b"y" * (MiB // 4)])
    third = new_image(glance)
    glance.data.upload(OWNER, third, [b"z" * (MiB // 4)])
    fourth = new_image(glance)
    with pytest.raises(PayloadTooLarge):  # already at the limit: refused before any byte
        glance.data.upload(OWNER, fourth, [b"!"])


def test_usage_report(db, glance):
    add_limits(db, project={"p1": {"image_count_total": 10}})
    glance.data.upload(OWNER, new_image(glance), [b"x" * 10])
    report = db.read(lambda s: glance.quotas.report(s, "p1"))
    assert report["image_count_total"] == {"limit": 10, "usage": 1}
    assert report["image_size_total"] == {"limit": -1, "usage": 1}  # MiB, rounded up
    assert report["image_count_uploading"] == {"limit": -1, "usage": 0}


def test_an_upload_may_not_outgrow_its_reservation(db, glance):
    """A stream longer than the length it announced (and reserved) is cut off: otherwise
    it spends budget a parallel upload was promised (F18)."""
    add_limits(db, project={"p1": {"image_size_total": 10}})  # MiB
    image_id = new_image(glance)
    with pytest.raises(PayloadTooLarge):
        glance.data.upload(OWNER, image_id, [b"x" * MiB, b"x" * MiB], MiB)
    assert glance.images.show(OWNER, image_id)["status"] == "queued"
    assert image_id not in glance.deps.store.blobs
    glance.data.upload(OWNER, image_id, [b"x" * MiB], MiB)
    assert glance.images.show(OWNER, image_id)["size"] == MiB

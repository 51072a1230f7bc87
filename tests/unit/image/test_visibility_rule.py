"""One visibility rule: the pure ``may_see``, the SQL the listing and lookups use, the
image API's ``can_see`` and compute's ``find_image`` all agree, on every combination of
visibility, owner, member status and caller (issue 6: three weaker copies existed)."""
from __future__ import annotations

import itertools
import uuid

import pytest
import sqlalchemy as sa

from onestack.compute.images import find_image
from onestack.core.db import utcnow
from onestack.image import models as m
from onestack.image.service.common import can_see
from onestack.image.service.listing import visibility_clause
from onestack.image.visibility import may_see, visible_clause
from tests.unit.image.conftest import ctx

VISIBILITIES = ("public", "community", "shared", "private")
OWNERS = ("p1", "p2", None)
STATUSES = (None, "pending", "accepted", "rejected")  # p2's membership
CALLERS = {"owner p1": ctx("p1"), "p2": ctx("p2", user="u2"), "p3": ctx("p3", user="u3"),
           "no project": ctx("", user="u4"),
           "admin": ctx("padmin", "admin", "member", "reader", user="admin")}


@pytest.fixture
def images(db, glance):
    """One image per (visibility, owner, p2's member status)."""
    made: dict[str, tuple[str, str | None, str | None]] = {}

    def work(s):
        now = utcnow()
        for vis, owner, status in itertools.product(VISIBILITIES, OWNERS, STATUSES):
            image_id = str(uuid.uuid4())
            s.add(m.Image(id=image_id, name=image_id, status="active", visibility=vis,
                          owner=owner, min_disk=0, min_ram=0, protected=False,
                          os_hidden=False, created_at=now, updated_at=now))
            s.flush()
            if status is not None:
                s.add(m.ImageMember(image_id=image_id, member="p2", status=status,
                                    created_at=now, updated_at=now))
            made[image_id] = (vis, owner, status)

    db.write(work)
    return made


def expected(caller, admin: bool, vis, owner, status) -> bool:
    return may_see(visibility=vis, owner=owner, project_id=caller.project_id or None,
                   admin=admin, member_status=status if caller.project_id == "p2" else None)


def test_the_rule_itself():
    def see(vis, owner="p1", project="p2", admin=False, status=None):
        return may_see(visibility=vis, owner=owner, project_id=project, admin=admin,
                       member_status=status)
    assert not see("shared") and not see("private")
    assert see("public") and see("community")
    assert see("shared", status="pending") and see("shared", status="rejected")
    assert not see("private", status="accepted")  # a member row does not open a private image
    assert see("private", project="p1") and see("private", admin=True)
    assert not see("shared", owner=None, project=None, status="accepted")


@pytest.mark.parametrize("who", CALLERS)
def test_sql_and_both_services_agree_with_the_rule(db, glance, images, who):
    caller = CALLERS[who]
    admin = glance.deps.is_admin(caller)
    want = {i for i, (vis, owner, status) in images.items()
            if expected(caller, admin, vis, owner, status)}

    def check(s):
        mine = m.Image.id.in_(list(images))
        by_sql = set(s.scalars(sa.select(m.Image.id).where(
            mine, visible_clause(caller.project_id, admin))))
        listed_all = set(s.scalars(sa.select(m.Image.id).where(
            mine, visibility_clause(caller, admin, "all", "all"))))
        listed_default = set(s.scalars(sa.select(m.Image.id).where(
            mine, visibility_clause(caller, admin, None, "accepted"))))
        rows = {i: s.get(m.Image, i) for i in images}
        by_api = {i for i, row in rows.items() if can_see(s, glance.deps, caller, row)}
        by_compute = {i for i in images
                      if find_image(s, i, caller.project_id, admin) is not None}
        assert by_sql == want
        assert listed_all == want
        assert listed_default <= want
        assert by_api == want
        assert by_compute == want

    db.read(check)

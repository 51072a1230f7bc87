"""Who may see an image: the one rule, as a pure function and as the SQL that selects the
same images.

Glance's rule: an admin sees everything; a project sees the images it owns, every
``public`` and ``community`` image, and a ``shared`` image it is a member of, whatever its
member status (pending and rejected members still find the image by id; only listings
filter on the status). Everything else does not exist for the caller (404, never 403).

The image API, the image listing and compute (boot, rebuild, through ``image.seam``) all
decide with this module; ``tests/unit/image/test_visibility_rule.py`` checks that the SQL
selects exactly the images ``may_see`` allows.
"""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from onestack.image import models as m

EVERYONE = ("public", "community")


def may_see(*, visibility: str, owner: str | None, project_id: str | None, admin: bool,
            member_status: str | None) -> bool:
    """``member_status`` is the caller project's membership of the image (None: none)."""
    if admin:
        return True
    if project_id and owner == project_id:
        return True
    if visibility in EVERYONE:
        return True
    return visibility == "shared" and bool(project_id) and member_status is not None


def member_status_of(s: Any, image_id: str, project_id: str | None) -> str | None:
    """The caller project's member row status for the image, None when not a member."""
    if not project_id:
        return None
    row = s.get(m.ImageMember, (image_id, project_id))
    return None if row is None else row.status


def may_see_row(s: Any, row: m.Image, project_id: str | None, admin: bool) -> bool:
    """``may_see`` for a loaded image row (reads the member row only when it matters)."""
    needs_member = row.visibility == "shared" and not admin and row.owner != project_id
    status = member_status_of(s, row.id, project_id) if needs_member else None
    return may_see(visibility=row.visibility, owner=row.owner, project_id=project_id,
                   admin=admin, member_status=status)


def shared_with(project_id: str | None, member_status: str = "all") -> Any:
    """SQL: shared images the project is a member of (in ``member_status``, or any); a
    caller without a project is nobody's member (no sentinel id: PostgreSQL refuses NUL)."""
    if not project_id:
        return sa.false()
    members = sa.select(m.ImageMember.image_id).where(m.ImageMember.member == project_id)
    if member_status != "all":
        members = members.where(m.ImageMember.status == member_status)
    return sa.and_(m.Image.visibility == "shared", m.Image.id.in_(members))


def owned_by(project_id: str | None) -> Any:
    return m.Image.owner == project_id if project_id else sa.false()


def listed_by_default(project_id: str | None, member_status: str) -> Any:
    """SQL: what a non-admin's image list holds without a visibility filter (Glance's and
    Nova's): its own, the public ones and those shared with it in ``member_status``."""
    return sa.or_(owned_by(project_id), m.Image.visibility == "public",
                  shared_with(project_id, member_status))


def visible_clause(project_id: str | None, admin: bool) -> Any:
    """SQL selecting exactly the images ``may_see`` allows the caller."""
    if admin:
        return sa.true()
    return sa.or_(owned_by(project_id), m.Image.visibility.in_(EVERYONE),
                  shared_with(project_id))

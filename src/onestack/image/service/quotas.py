"""Image quotas through unified limits (Keystone's limits API, stored by the identity service).

A project's limit for a resource is its own ``limits`` row for the image service, else the
service's registered default; with neither, the resource is unlimited. Sizes are limited in
MiB, as Glance does: ``image_size_total`` (bytes of active images), ``image_stage_total``
(bytes in staging); counts: ``image_count_total`` and ``image_count_uploading``.
Going over a limit is a 413, as in Glance.

Checks are atomic: ``lock`` takes the project's row in ``image_quota_locks`` (``FOR
UPDATE``; SQLite's write transactions are serial anyway), and an upload reserves its bytes
on its image row (``reserved_bytes``) in that same transaction, so a parallel upload sees
the reservation and cannot spend the same budget. A reservation lives on the image row:
it ends when the upload ends (replaced by the stored size) or when the image is deleted.
"""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from onestack.core.errors import PayloadTooLarge
from onestack.identity import catalog_models as cm  # the limits live in identity's tables
from onestack.image import models as m
from onestack.image import states

MiB = 1 << 20
SIZE_TOTAL = "image_size_total"
STAGE_TOTAL = "image_stage_total"
COUNT_TOTAL = "image_count_total"
COUNT_UPLOADING = "image_count_uploading"
RESOURCES = (SIZE_TOTAL, STAGE_TOTAL, COUNT_TOTAL, COUNT_UPLOADING)


class QuotaExceeded(PayloadTooLarge):
    def __init__(self, project_id: str, resource: str, limit: int, usage: int, delta: int):
        super().__init__(
            f"Project {project_id} is over a limit for [Resource {resource} is over limit "
            f"of {limit} due to current usage {usage} and delta {delta}]")


class Quotas:
    def __init__(self, region: str | None = None) -> None:
        self.region = region

    def limit(self, s: Session, project_id: str, resource: str) -> int | None:
        service_ids = sa.select(cm.Service.id).where(cm.Service.type == "image")
        region_ok = [cm.Limit.region_id.is_(None)]
        if self.region:
            region_ok.append(cm.Limit.region_id == self.region)
        own = s.scalar(sa.select(cm.Limit.resource_limit).where(
            cm.Limit.project_id == project_id, cm.Limit.resource_name == resource,
            cm.Limit.service_id.in_(service_ids), sa.or_(*region_ok)).limit(1))
        if own is not None:
            return int(own)
        reg_region_ok = [cm.RegisteredLimit.region_id.is_(None)]
        if self.region:
            reg_region_ok.append(cm.RegisteredLimit.region_id == self.region)
        default = s.scalar(sa.select(cm.RegisteredLimit.default_limit).where(
            cm.RegisteredLimit.resource_name == resource,
            cm.RegisteredLimit.service_id.in_(service_ids), sa.or_(*reg_region_ok)).limit(1))
        return None if default is None else int(default)

    def usage(self, s: Session, project_id: str, resource: str) -> int:
        """Bytes for the size resources, a count for the others."""
        mine = m.Image.owner == project_id
        if resource == SIZE_TOTAL:
            reserving = m.Image.status.in_((states.SAVING, states.IMPORTING))
            q = sa.select(sa.func.coalesce(sa.func.sum(m.Image.size), 0)
                          + sa.func.coalesce(sa.func.sum(sa.case(
                              (reserving, m.Image.reserved_bytes), else_=0)), 0)).where(mine)
        elif resource == STAGE_TOTAL:
            reserving = m.Image.status == states.UPLOADING
            q = sa.select(sa.func.coalesce(sa.func.sum(m.Image.staged_size), 0)
                          + sa.func.coalesce(sa.func.sum(sa.case(
                              (reserving, m.Image.reserved_bytes), else_=0)), 0)).where(
                mine, m.Image.status.in_((states.UPLOADING, states.IMPORTING)))
        elif resource == COUNT_TOTAL:
            q = sa.select(sa.func.count()).select_from(m.Image).where(mine)
        else:
            q = sa.select(sa.func.count()).select_from(m.Image).where(
                mine, m.Image.status.in_(states.IN_FLIGHT))
        return int(s.scalar(q) or 0)

    @staticmethod
    def lock(s: Session, project_id: str) -> None:
        """Serialise this project's quota checks until ``s`` ends."""
        query = sa.select(m.QuotaLock.project_id).where(
            m.QuotaLock.project_id == project_id).with_for_update()
        if s.scalar(query) is not None:
            return
        try:
            with s.begin_nested():
                s.add(m.QuotaLock(project_id=project_id))
        except IntegrityError:
            pass  # another transaction made it first; the select below waits for it
        s.scalar(query)

    def check_count(self, s: Session, project_id: str, resource: str = COUNT_TOTAL) -> None:
        """Refuse one more image (or one more upload in flight) beyond the limit."""
        limit = self.limit(s, project_id, resource)
        if limit is None:
            return
        self.lock(s, project_id)
        usage = self.usage(s, project_id, resource)
        if usage + 1 > limit:
            raise QuotaExceeded(project_id, resource, limit, usage, 1)

    def reserve(self, s: Session, row: m.Image, resource: str, want: int | None,
                cap: int) -> int:
        """Reserve bytes on ``row`` for a write of ``want`` bytes (None: not known, so all
        that is left); the byte budget the write may use — never more than it reserved.
        413 when it does not fit."""
        budget = cap
        left = self.bytes_left(s, row.owner, resource) if row.owner else None
        if left is not None:
            budget = min(budget, left)
        if want is not None and want > budget:
            raise PayloadTooLarge(f"Image data of {want} bytes exceeds the {budget} bytes "
                                  "this upload may store.")
        if left is None:
            row.reserved_bytes = None
            return budget
        row.reserved_bytes = budget if want is None else want
        return row.reserved_bytes

    def bytes_left(self, s: Session, project_id: str, resource: str) -> int | None:
        """How many more bytes may be stored (None: unlimited); 413 when none may. Takes
        the project's quota lock when a limit applies."""
        limit = self.limit(s, project_id, resource)
        if limit is None:
            return None
        self.lock(s, project_id)
        usage = self.usage(s, project_id, resource)
        left = limit * MiB - usage
        if left <= 0:
            raise QuotaExceeded(project_id, resource, limit, usage // MiB, 0)
        return left

    def report(self, s: Session, project_id: str) -> dict[str, dict[str, int]]:
        """``/v2/info/usage``: limit (-1 when unlimited) and usage (MiB for sizes)."""
        out = {}
        for resource in RESOURCES:
            limit = self.limit(s, project_id, resource)
            usage = self.usage(s, project_id, resource)
            if resource in (SIZE_TOTAL, STAGE_TOTAL):
                usage = -(-usage // MiB)
            out[resource] = {"limit": -1 if limit is None else limit, "usage": usage}
        return out

"""``os-quota-sets``, ``os-quota-class-sets`` and ``/limits``: reading and setting the
limits ``service.quotas`` enforces.

The resources a quota set shows are Cinder's: the six base ones, ``groups`` and, for
every volume type, ``volumes_<type>``, ``gigabytes_<type>`` and ``snapshots_<type>``.
Setting a project's limit below what it already holds is refused (400), as is a key that
is none of these; ``-1`` means unlimited.
"""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.context import RequestContext
from onestack.core.errors import BadRequest
from onestack.core.platform import Platform
from onestack.volume.models.quotas import QuotaClassLimit, QuotaLimit
from onestack.volume.models.types import VolumeType
from onestack.volume.service import quotas as q

BASE = ("volumes", "snapshots", "gigabytes", "backups", "backup_gigabytes",
        "per_volume_gigabytes", "groups")
NON_QUOTA_KEYS = ("tenant_id", "id")
DB_MAX_INT = 0x7FFFFFFF
# /limits' absolute names for a limit and for what is used of it
MAX_NAMES = {"gigabytes": "maxTotalVolumeGigabytes",
             "backup_gigabytes": "maxTotalBackupGigabytes", "volumes": "maxTotalVolumes",
             "snapshots": "maxTotalSnapshots", "backups": "maxTotalBackups"}
USED_NAMES = {"volumes": "totalVolumesUsed", "gigabytes": "totalGigabytesUsed",
              "snapshots": "totalSnapshotsUsed", "backups": "totalBackupsUsed",
              "backup_gigabytes": "totalBackupGigabytesUsed"}


def resources(s: Session) -> list[str]:
    """Every quota resource name, the per-type ones of the types that exist now."""
    names = list(BASE)
    for type_name in s.scalars(sa.select(VolumeType.name).order_by(VolumeType.name)):
        names.extend(q.typed_resources(type_name))
    return names


def _integer(key: str, value: Any) -> int:
    """oslo's ``validate_integer(value, key, -1, DB_MAX_INT)`` as Cinder calls it."""
    try:
        if isinstance(value, (bool, float)):
            raise ValueError
        number = int(str(value))
    except (ValueError, UnicodeEncodeError):
        raise BadRequest(f"{key} must be an integer") from None
    if number < -1:
        raise BadRequest(f"{key} must be >= -1")
    if number > DB_MAX_INT:
        raise BadRequest(f"{key} must be <= {DB_MAX_INT}")
    return number


def parse_quota_set(body: Any, known: list[str]) -> dict[str, int]:
    """The ``{"quota_set": {...}}`` of a PUT, validated as Cinder's schema does."""
    if not isinstance(body, dict) or "quota_set" not in body:
        raise BadRequest("'quota_set' is a required property")
    extra = sorted(set(body) - {"quota_set"})
    if extra:
        raise BadRequest("Additional properties are not allowed "
                         f"({', '.join(repr(k) for k in extra)} were unexpected)")
    values = body["quota_set"]
    if not isinstance(values, dict):
        raise BadRequest(f"Invalid input for field/attribute quota_set. Value: {values!r}. "
                         f"{values!r} is not of type 'object'")
    if not values:
        raise BadRequest("Invalid input for field/attribute quota_set. Value: {}. {} does "
                         "not have enough properties")
    out: dict[str, int] = {}
    bad = []
    for key, value in values.items():
        if key in NON_QUOTA_KEYS:
            continue
        if key not in known:
            bad.append(key)
            continue
        out[key] = _integer(key, value)
    if bad:
        raise BadRequest(f"Invalid input received: Bad key(s) in quota set: {', '.join(bad)}")
    return out


def parse_quota_class_set(body: Any, known: list[str]) -> dict[str, int]:
    """``{"quota_class_set": {...}}``: integers (or digit strings) from -1 up."""
    if not isinstance(body, dict) or "quota_class_set" not in body:
        raise BadRequest("'quota_class_set' is a required property")
    values = body["quota_class_set"]
    if not isinstance(values, dict):
        raise BadRequest("Invalid input for field/attribute quota_class_set. Value: "
                         f"{values!r}. {values!r} is not of type 'object'")
    out: dict[str, int] = {}
    for key, value in values.items():
        ok_type = (isinstance(value, int) and not isinstance(value, bool)) or (
            isinstance(value, str) and value.isdigit())
        if not ok_type:
            raise BadRequest(f"Invalid input for field/attribute {key}. Value: {value!r}. "
                             f"{value!r} is not of type 'integer', 'string'")
        number = int(value)
        if number < -1:
            raise BadRequest(f"Invalid input for field/attribute {key}. Value: {value}. "
                             f"{value} is less than the minimum of -1")
        if number > DB_MAX_INT:
            raise BadRequest(f"Invalid input for field/attribute {key}. Value: {value}. "
                             f"{value} is greater than the maximum of {DB_MAX_INT}")
        out[key] = number
    bad = [k for k in out if k not in known]
    if bad:
        raise BadRequest("Invalid input received: Bad key(s) in quota class set: "
                         f"{', '.join(bad)}")
    return out


def _not_reserved(class_name: str) -> None:
    if class_name == q.SETTINGS_CLASS:
        raise BadRequest(f"Quota class {class_name} is reserved for the deployment's "
                         "settings.")


class QuotaSets:
    """The use cases behind the quota routes; policy and transactions live here."""

    def __init__(self, platform: Platform) -> None:
        self.db = platform.db
        self.policy = platform.policy

    def _enforce(self, rule: str, ctx: RequestContext, project_id: str | None = None) -> None:
        self.policy.enforce(rule, ctx, {"project_id": project_id or ctx.project_id})

    # --- os-quota-sets ------------------------------------------------------------------
    def show(self, ctx: RequestContext, project_id: str, usage: bool = False
             ) -> dict[str, Any]:
        self._enforce("volume_extension:quotas:show", ctx, project_id)

        def work(s: Session) -> dict[str, Any]:
            names = resources(s)
            limits = q.limits(s, project_id, names)
            if not usage:
                return {k: limits[k] for k in names}
            used = q.usage(s, project_id)
            return {k: {"limit": limits[k], "in_use": used.get(k, 0), "reserved": 0,
                        "allocated": 0} for k in names}
        return self.db.read(work)

    def defaults(self, ctx: RequestContext, project_id: str) -> dict[str, int]:
        self._enforce("volume_extension:quotas:show", ctx, project_id)

        def work(s: Session) -> dict[str, int]:
            names = resources(s)
            found = q.default_limits(s, names)
            return {k: found[k] for k in names}
        return self.db.read(work)

    def update(self, ctx: RequestContext, project_id: str, body: Any) -> dict[str, int]:
        self._enforce("volume_extension:quotas:update", ctx, project_id)
        if not 1 <= len(project_id) <= 255:
            raise BadRequest("quota_set_name has a length of 0 or more than 255 characters.")

        def work(s: Session) -> dict[str, int]:
            names = resources(s)
            wanted = parse_quota_set(body, names)
            q.lock_project(s, project_id)  # no charge moves usage while we compare
            used = q.usage(s, project_id)
            for key, value in wanted.items():
                if key == "per_volume_gigabytes" or value == -1:
                    continue
                if value < used.get(key, 0):
                    raise BadRequest(
                        f"Quota {key} limit must be equal or greater than existing "
                        f"resources. Current usage is {used.get(key, 0)} and the requested "
                        f"limit is {value}.")
            for key, value in wanted.items():
                s.merge(QuotaLimit(project_id=project_id, resource=key, hard_limit=value))
            s.flush()
            limits = q.limits(s, project_id, names)
            return {k: limits[k] for k in names}
        return self.db.write(work)

    def delete(self, ctx: RequestContext, project_id: str) -> None:
        """Back to the defaults: the project's own limits go (its usage stays)."""
        self._enforce("volume_extension:quotas:delete", ctx, project_id)
        self.db.write(lambda s: s.execute(
            sa.delete(QuotaLimit).where(QuotaLimit.project_id == project_id)))

    # --- os-quota-class-sets ------------------------------------------------------------
    def class_show(self, ctx: RequestContext, class_name: str) -> dict[str, int]:
        self._enforce("volume_extension:quota_classes:get", ctx)
        _not_reserved(class_name)
        return self.db.read(lambda s: self._class_values(s, class_name))

    def class_update(self, ctx: RequestContext, class_name: str, body: Any
                     ) -> dict[str, int]:
        self._enforce("volume_extension:quota_classes:update", ctx)
        if not 1 <= len(class_name) <= 255:
            raise BadRequest("quota_class_name has a length of 0 or more than 255 "
                             "characters.")

        _not_reserved(class_name)

        def work(s: Session) -> dict[str, int]:
            wanted = parse_quota_class_set(body, resources(s))
            for key, value in wanted.items():
                s.merge(QuotaClassLimit(class_name=class_name, resource=key,
                                        hard_limit=value))
            s.flush()
            return self._class_values(s, class_name)
        return self.db.write(work)

    @staticmethod
    def _class_values(s: Session, class_name: str) -> dict[str, int]:
        """A class's limits, the defaults where it sets none."""
        names = resources(s)
        out = q.default_limits(s, names)
        out.update(q.class_limits(s, class_name))
        return {k: out[k] for k in names}

    # --- /limits -------------------------------------------------------------------------
    def absolute_limits(self, ctx: RequestContext, project_id: str) -> dict[str, int]:
        """The project's limits and (for its readers) what it uses of them."""
        def work(s: Session) -> dict[str, int]:
            limits = q.limits(s, project_id)
            out = {name: limits[key] for key, name in MAX_NAMES.items()}
            if self.policy.allowed("limits_extension:used_limits", ctx,
                                   {"project_id": project_id}):
                used = q.usage(s, project_id)
                out.update({name: used.get(key, 0) for key, name in USED_NAMES.items()})
            return out
        return self.db.read(work)

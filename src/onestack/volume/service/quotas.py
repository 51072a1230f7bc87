"""Block Storage quotas: the limits in force for a project and the one call every create,
extend, delete and transfer makes to move the project's usage, ``charge``.

``charge`` checks and records in the caller's transaction: it first locks the project's
row in ``volume_quota_locks`` (``SELECT … FOR UPDATE``; not on SQLite, whose ``BEGIN
IMMEDIATE`` serialises writers already), so 50 creates racing in one project with a quota
of 40 give exactly 40, the others Cinder's 413. The usage counters are kept by
``charge`` alone (Cinder's ``quota_usages``, without its separate reservation step: the
check and the commit are one transaction here, so nothing is ever left reserved).

Limits: a project's own limit (``os-quota-sets`` PUT), else the ``default`` quota class's
(``os-quota-class-sets/default`` PUT), else the deployment's settings
(``volume_quota_defaults``, written by ``apply_settings_defaults`` as the rows of the
internal class ``SETTINGS_CLASS`` when the cloud starts), else Cinder's configuration
defaults (``DEFAULTS``; per-type resources are unlimited unless set).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.db import utcnow, writes_serialized
from onestack.core.errors import PayloadTooLarge
from onestack.volume.models.quotas import QuotaClassLimit, QuotaLimit, QuotaLock, QuotaUsage

DEFAULT_CLASS = "default"
# the settings' defaults, kept as a class only the start-up writes (no API shows it)
SETTINGS_CLASS = "__settings__"
# Cinder's [DEFAULT] quota_* options
DEFAULTS: dict[str, int] = {
    "volumes": 10, "snapshots": 10, "gigabytes": 1000, "backups": 10,
    "backup_gigabytes": 1000, "groups": 10, "per_volume_gigabytes": -1,
}
COUNTED = ("volumes", "gigabytes", "snapshots", "backups", "backup_gigabytes", "groups")
LIMIT_ONLY = ("per_volume_gigabytes",)  # a bound on one volume's size, never a counter
TYPED = ("volumes", "gigabytes", "snapshots")  # also counted per volume type
UNLIMITED = -1


# --- Cinder's QuotaError family (413, ``Retry-After: 0``) ---------------------------------
class QuotaError(PayloadTooLarge):
    """Cinder's ``QuotaError``: its fault middleware shows ``<ClassName>: <message>``."""

    def __init__(self, message: str):
        super().__init__(f"{type(self).__name__}: {message}", headers={"Retry-After": "0"})


class VolumeLimitExceeded(QuotaError):
    def __init__(self, allowed: int, name: str = "volumes"):
        super().__init__(f"Maximum number of volumes allowed ({allowed}) exceeded for "
                         f"quota '{name}'.")


class SnapshotLimitExceeded(QuotaError):
    def __init__(self, allowed: int, name: str = "snapshots"):
        super().__init__(f"Maximum number of snapshots allowed ({allowed}) exceeded")


class BackupLimitExceeded(QuotaError):
    def __init__(self, allowed: int, name: str = "backups"):
        super().__init__(f"Maximum number of backups allowed ({allowed}) exceeded")


class GroupLimitExceeded(QuotaError):
    def __init__(self, allowed: int, name: str = "groups"):
        super().__init__(f"Maximum number of groups allowed ({allowed}) exceeded")


class VolumeSizeExceedsAvailableQuota(QuotaError):
    def __init__(self, requested: int, quota: int, consumed: int, name: str = "gigabytes"):
        super().__init__(f"Requested volume or snapshot exceeds allowed {name} quota. "
                         f"Requested {requested}G, quota is {quota}G and {consumed}G has "
                         "been consumed.")


class VolumeBackupSizeExceedsAvailableQuota(QuotaError):
    def __init__(self, requested: int, quota: int, consumed: int, name: str = ""):
        super().__init__("Requested backup exceeds allowed Backup gigabytes quota. "
                         f"Requested {requested}G, quota is {quota}G and {consumed}G has "
                         "been consumed.")


class VolumeSizeExceedsLimit(QuotaError):
    def __init__(self, size: int, limit: int):
        super().__init__(f"Requested volume size {size}G is larger than maximum allowed "
                         f"limit {limit}G.")


class UnexpectedOverQuota(QuotaError):
    def __init__(self, name: str):
        super().__init__(f"Unexpected over quota on {name}.")


_COUNT_ERRORS: dict[str, type[QuotaError]] = {
    "snapshots": SnapshotLimitExceeded, "backups": BackupLimitExceeded,
    "volumes": VolumeLimitExceeded, "groups": GroupLimitExceeded}


# --- reading -------------------------------------------------------------------------------
def typed_resources(type_name: str) -> list[str]:
    return [f"{base}_{type_name}" for base in TYPED]


def rename_type(s: Session, old: str, new: str) -> None:
    """A renamed volume type keeps its per-type limits and usage: ``volumes_<old>`` and
    the others become ``volumes_<new>`` in the project limits, the quota classes and the
    usage counters (Cinder's ``update_quota_resource``)."""
    for base in TYPED:
        before, after = f"{base}_{old}", f"{base}_{new}"
        for model in (QuotaLimit, QuotaClassLimit, QuotaUsage):
            s.execute(sa.update(model).where(model.resource == before).values(resource=after))


def class_limits(s: Session, class_name: str = DEFAULT_CLASS) -> dict[str, int]:
    """A quota class's limits as stored (no defaults filled in)."""
    return {r.resource: r.hard_limit for r in s.scalars(
        sa.select(QuotaClassLimit).where(QuotaClassLimit.class_name == class_name))}


def default_limits(s: Session, resources: Iterable[str] = ()) -> dict[str, int]:
    """What a project without limits of its own gets: the configuration defaults under the
    ``default`` class's limits; ``resources`` adds per-type names (unlimited unless the
    class names them)."""
    out = dict(DEFAULTS)
    for name in resources:
        out.setdefault(name, UNLIMITED)
    rows = s.execute(sa.select(QuotaClassLimit.class_name, QuotaClassLimit.resource,
                               QuotaClassLimit.hard_limit)
                     .where(QuotaClassLimit.class_name.in_([SETTINGS_CLASS, DEFAULT_CLASS])))
    # the settings first, then the default class an admin set over them
    for _, resource, limit in sorted(rows, key=lambda r: r[0] == DEFAULT_CLASS):
        if resource in out or _is_typed(resource):
            out[resource] = limit
    return out


def parse_settings_defaults(text: str) -> dict[str, int]:
    """``"volumes=40, gigabytes=2000"`` → ``{"volumes": 40, "gigabytes": 2000}``; the
    base resources and per-type names (``volumes_<type>``), integers from -1."""
    out: dict[str, int] = {}
    for part in (text or "").split(","):
        if not part.strip():
            continue
        name, sep, value = part.partition("=")
        name = name.strip()
        if not sep or not (name in DEFAULTS or _is_typed(name)):
            raise ValueError(f"volume_quota_defaults: {part.strip()!r} is not "
                             "<resource>=<limit> for a Block Storage quota resource")
        try:
            limit = int(value.strip())
        except ValueError:
            raise ValueError(f"volume_quota_defaults: {name} must be an integer") from None
        if limit < -1:
            raise ValueError(f"volume_quota_defaults: {name} must be >= -1")
        out[name] = limit
    return out


def apply_settings_defaults(db: Any, settings: Any) -> None:
    """Make the settings' ``volume_quota_defaults`` the defaults under the ``default``
    class (replacing what an earlier start wrote; idempotent)."""
    wanted = parse_settings_defaults(getattr(settings, "volume_quota_defaults", ""))

    def work(s: Session) -> None:
        s.execute(sa.delete(QuotaClassLimit).where(
            QuotaClassLimit.class_name == SETTINGS_CLASS))
        for name, limit in wanted.items():
            s.add(QuotaClassLimit(class_name=SETTINGS_CLASS, resource=name,
                                  hard_limit=limit))
    db.write(work)


def limits(s: Session, project_id: str, resources: Iterable[str] = ()) -> dict[str, int]:
    """The limits in force for the project (defaults, then its own), in one query: the
    rows of the settings' and the ``default`` classes and the project's own together."""
    out = dict(DEFAULTS)
    for name in resources:
        out.setdefault(name, UNLIMITED)
    rows = s.execute(sa.union_all(
        sa.select(QuotaClassLimit.class_name.label("origin"), QuotaClassLimit.resource,
                  QuotaClassLimit.hard_limit)
        .where(QuotaClassLimit.class_name.in_([SETTINGS_CLASS, DEFAULT_CLASS])),
        sa.select(sa.literal(_PROJECT).label("origin"), QuotaLimit.resource,
                  QuotaLimit.hard_limit).where(QuotaLimit.project_id == project_id)))
    # the settings first, then the default class an admin set over them, then the project
    for origin, resource, limit in sorted(rows, key=lambda r: _RANK.get(r[0], 0)):
        if origin == _PROJECT or resource in out or _is_typed(resource):
            out[resource] = limit
    return out


_PROJECT = "__project__"  # the project's own rows in ``limits``' query (no class's name)
_RANK = {SETTINGS_CLASS: 0, DEFAULT_CLASS: 1, _PROJECT: 2}


def project_limits(s: Session, project_id: str) -> dict[str, int]:
    """Only the limits set for the project itself."""
    return {r.resource: r.hard_limit for r in s.scalars(
        sa.select(QuotaLimit).where(QuotaLimit.project_id == project_id))}


def usage(s: Session, project_id: str) -> dict[str, int]:
    """in_use of every counted resource the project has a counter for."""
    return {r.resource: int(r.in_use) for r in s.scalars(
        sa.select(QuotaUsage).where(QuotaUsage.project_id == project_id))}


def _is_typed(name: str) -> bool:
    return any(name.startswith(base + "_") and name != "backup_gigabytes"
               for base in TYPED)


# --- charging ------------------------------------------------------------------------------
def lock_project(s: Session, project_id: str) -> None:
    """Hold the project's quota lock until the surrounding transaction ends (nothing to
    do in SQLite's write transaction, which already excludes every other writer)."""
    if writes_serialized(s):
        return
    if s.get(QuotaLock, project_id, with_for_update=True) is not None:
        return
    try:
        with s.begin_nested():  # a racing first charge may insert it first: then wait on it
            s.add(QuotaLock(project_id=project_id))
    except sa.exc.IntegrityError:
        pass
    s.get(QuotaLock, project_id, with_for_update=True, populate_existing=True)


def charge(s: Session, project_id: str, deltas: Mapping[str, int],
           volume_type_name: str | None = None) -> None:
    """Check ``deltas`` against the project's limits and record them, in ``s``'s
    transaction (so a create that fails later rolls its charge back with it).

    ``deltas`` names counted resources (``volumes``, ``gigabytes``, ``snapshots``,
    ``backups``, ``backup_gigabytes``, ``groups``, or per-type names); with
    ``volume_type_name`` the ``volumes``/``gigabytes``/``snapshots`` deltas are also
    charged to ``<resource>_<type name>``. ``per_volume_gigabytes`` is not counted: its
    value is the size of the one volume being made (or extended to), checked against
    that limit. Positive deltas are refused with Cinder's 413 (``VolumeLimitExceeded``,
    ``VolumeSizeExceedsAvailableQuota``, …) when they would pass a limit ≥ 0; negative
    deltas release (a counter never goes below 0) and are never refused.
    """
    wanted = {k: int(v) for k, v in deltas.items() if k not in LIMIT_ONLY and int(v) != 0}
    if volume_type_name:
        for base in TYPED:
            if base in wanted:
                wanted[f"{base}_{volume_type_name}"] = wanted[base]
    size_check = int(deltas.get("per_volume_gigabytes", 0) or 0)
    if not wanted and size_check <= 0:
        return
    lock_project(s, project_id)
    in_force = limits(s, project_id, [k for k in wanted if _is_typed(k)])
    if size_check > 0:
        cap = in_force.get("per_volume_gigabytes", UNLIMITED)
        if 0 <= cap < size_check:
            raise VolumeSizeExceedsLimit(size_check, cap)
    if not wanted:
        return
    rows = {r.resource: r for r in s.scalars(
        sa.select(QuotaUsage).where(QuotaUsage.project_id == project_id,
                                    QuotaUsage.resource.in_(list(wanted)))
        .with_for_update())}
    held = {k: int(rows[k].in_use) if k in rows else 0 for k in wanted}
    overs = [k for k, d in wanted.items()
             if d > 0 and 0 <= in_force.get(k, UNLIMITED) < held[k] + d]
    if overs:
        raise _over_quota(overs, wanted, in_force, held)
    now = utcnow()
    for name, delta in wanted.items():
        row = rows.get(name)
        if row is None:
            s.add(QuotaUsage(project_id=project_id, resource=name,
                             in_use=max(0, delta), updated_at=now))
        else:
            row.in_use = max(0, int(row.in_use) + delta)
            row.updated_at = now
    s.flush()


def _over_quota(overs: list[str], wanted: dict[str, int], in_force: dict[str, int],
                held: dict[str, int]) -> QuotaError:
    """Cinder's ``process_reserve_over_quota``: the first over decides the fault."""
    resource = next((k for k in ("volumes", "snapshots", "backups", "groups")
                     if wanted.get(k, 0) > 0), "")
    size = wanted.get("backup_gigabytes" if resource == "backups" else "gigabytes", 0)
    invalid = []
    for over in overs:
        if "gigabytes" in over:
            if resource == "backups" or over == "backup_gigabytes":
                return VolumeBackupSizeExceedsAvailableQuota(
                    wanted[over], in_force[over], held[over], over)
            return VolumeSizeExceedsAvailableQuota(size or wanted[over], in_force[over],
                                                   held[over], over)
        if resource and resource in over:
            return _COUNT_ERRORS[resource](in_force[over], over)
        invalid.append(over)
    return UnexpectedOverQuota(", ".join(invalid))

"""Compute quotas: defaults, per-class and per-project overrides, usage and the OverLimit
check made before any server is created."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.compute import models as cm
from onestack.core.errors import Forbidden

DEFAULTS: dict[str, int] = {
    "instances": 10, "cores": 20, "ram": 51200, "metadata_items": 128, "key_pairs": 100,
    "server_groups": 10, "server_group_members": 10, "injected_files": 5,
    "injected_file_content_bytes": 10240, "injected_file_path_bytes": 255,
    "floating_ips": -1, "fixed_ips": -1, "security_groups": -1, "security_group_rules": -1,
}
CLASS_PREFIX = "class:"


def limits_for(s: Session, project_id: str, user_id: str = "") -> dict[str, int]:
    out = dict(DEFAULTS)
    for row in s.scalars(sa.select(cm.QuotaLimit).where(
            cm.QuotaLimit.project_id == CLASS_PREFIX + "default")):
        out[row.resource] = row.hard_limit
    for row in s.scalars(sa.select(cm.QuotaLimit).where(cm.QuotaLimit.project_id == project_id,
                                                        cm.QuotaLimit.user_id == "")):
        out[row.resource] = row.hard_limit
    if user_id:
        for row in s.scalars(sa.select(cm.QuotaLimit).where(
                cm.QuotaLimit.project_id == project_id, cm.QuotaLimit.user_id == user_id)):
            out[row.resource] = row.hard_limit
    return out


def usage(s: Session, project_id: str, user_id: str = "") -> dict[str, int]:
    q = sa.select(cm.Instance).where(cm.Instance.project_id == project_id,
                                     cm.Instance.deleted.is_(False))
    if user_id:
        q = q.where(cm.Instance.user_id == user_id)
    instances = cores = ram = 0
    for inst in s.scalars(q):
        instances += 1
        cores += int(inst.flavor.get("vcpus", 0))
        ram += int(inst.flavor.get("ram", 0))
    groups = s.scalar(sa.select(sa.func.count()).select_from(cm.ServerGroup)
                      .where(cm.ServerGroup.project_id == project_id)) or 0
    keypairs = 0
    if user_id:
        keypairs = s.scalar(sa.select(sa.func.count()).select_from(cm.Keypair)
                            .where(cm.Keypair.user_id == user_id)) or 0
    return {"instances": instances, "cores": cores, "ram": ram, "server_groups": groups,
            "key_pairs": keypairs}


def check_servers(s: Session, project_id: str, user_id: str, count: int, vcpus: int,
                  ram: int) -> None:
    """Raise Nova's 403 OverLimit when ``count`` more servers would exceed a quota."""
    limits = limits_for(s, project_id, user_id)
    used = usage(s, project_id)
    wanted = {"instances": count, "cores": count * vcpus, "ram": count * ram}
    over = [r for r, n in wanted.items()
            if limits[r] >= 0 and used[r] + n > limits[r]]
    if over:
        r = over[0]
        raise Forbidden(f"Quota exceeded for {', '.join(over)}: Requested {wanted[r]}, but "
                        f"already used {used[r]} of {limits[r]} {r}")


def check_delta(s: Session, project_id: str, user_id: str, cores: int, ram: int) -> None:
    """OverLimit (403) when growing a server by ``cores``/``ram`` passes a quota."""
    limits = limits_for(s, project_id, user_id)
    used = usage(s, project_id)
    over = [(r, n) for r, n in (("cores", cores), ("ram", ram))
            if n > 0 and limits[r] >= 0 and used[r] + n > limits[r]]
    if over:
        r, n = over[0]
        raise Forbidden(f"Quota exceeded for {', '.join(x for x, _ in over)}: Requested {n}, "
                        f"but already used {used[r]} of {limits[r]} {r}")


# A per-project row that serialises quota-checked writes (boots, resizes) of one project:
# ``SELECT … FOR UPDATE`` on it makes "count usage, then add" one step on MariaDB and
# PostgreSQL (SQLite serialises every write transaction anyway). It lives beside the quota
# overrides under a user id no real user has, so no quota API ever shows it.
LOCK_USER = ":usage-lock"
LOCK_RESOURCE = "instances"


def lock_project(s: Session, project_id: str) -> None:
    """Hold the project's usage lock until the surrounding transaction ends."""
    key = (project_id, LOCK_USER, LOCK_RESOURCE)
    if s.get(cm.QuotaLimit, key, with_for_update=True) is not None:
        return
    try:
        with s.begin_nested():  # a concurrent first boot may insert it first: then wait on it
            s.add(cm.QuotaLimit(project_id=project_id, user_id=LOCK_USER,
                                resource=LOCK_RESOURCE, hard_limit=0))
    except sa.exc.IntegrityError:
        pass
    s.get(cm.QuotaLimit, key, with_for_update=True, populate_existing=True)

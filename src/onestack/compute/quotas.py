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
    """The limits in force: defaults, then the default class, the project's and (with
    ``user_id``) the user's overrides, each winning over the one before; read in one
    query."""
    q = cm.QuotaLimit
    scopes = [q.project_id == CLASS_PREFIX + "default",
              sa.and_(q.project_id == project_id, q.user_id == "")]
    if user_id:
        scopes.append(sa.and_(q.project_id == project_id, q.user_id == user_id))
    rows = s.execute(sa.select(q.project_id, q.user_id, q.resource, q.hard_limit)
                     .where(sa.or_(*scopes))).all()

    def rank(row: sa.Row) -> int:
        if row.project_id == project_id and row.user_id == user_id != "":
            return 2
        return 1 if row.project_id == project_id and row.user_id == "" else 0
    out = dict(DEFAULTS)
    for row in sorted(rows, key=rank):
        out[row.resource] = row.hard_limit
    return out


def server_usage(s: Session, project_id: str, user_id: str = "") -> dict[str, int]:
    """Instances, cores and RAM the project's (or the user's) live servers hold, from
    their flavor snapshots (one column read, no instance objects built)."""
    q = sa.select(cm.Instance.flavor).where(cm.Instance.project_id == project_id,
                                            cm.Instance.deleted.is_(False))
    if user_id:
        q = q.where(cm.Instance.user_id == user_id)
    instances = cores = ram = 0
    for flavor in s.scalars(q):
        instances += 1
        cores += int((flavor or {}).get("vcpus", 0))
        ram += int((flavor or {}).get("ram", 0))
    return {"instances": instances, "cores": cores, "ram": ram}


def usage(s: Session, project_id: str, user_id: str = "") -> dict[str, int]:
    out = server_usage(s, project_id, user_id)
    out["server_groups"] = s.scalar(sa.select(sa.func.count()).select_from(cm.ServerGroup)
                                    .where(cm.ServerGroup.project_id == project_id)) or 0
    out["key_pairs"] = 0
    if user_id:
        out["key_pairs"] = s.scalar(sa.select(sa.func.count()).select_from(cm.Keypair)
                                    .where(cm.Keypair.user_id == user_id)) or 0
    return out


def check_servers(s: Session, project_id: str, user_id: str, count: int, vcpus: int,
                  ram: int, limits: dict[str, int] | None = None,
                  used: dict[str, int] | None = None) -> None:
    """Raise Nova's 403 OverLimit when ``count`` more servers would exceed a quota
    (``limits``/``used``: already read by the caller in this transaction)."""
    limits = limits if limits is not None else limits_for(s, project_id, user_id)
    used = used if used is not None else server_usage(s, project_id)
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
    used = server_usage(s, project_id)
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

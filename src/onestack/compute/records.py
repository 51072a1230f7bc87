"""Small shared writes of the compute service: faults, instance actions and their events,
the resources a flavor asks of placement, migrations (a move's state, on its row) and the
scheduling inputs of a request for a host (forced host, hosts tried)."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.compute import claims
from onestack.compute import models as cm
from onestack.core.db import utcnow

SERVICE_DOWN_SECONDS = 60


def flavor_resources(flavor: dict[str, Any]) -> dict[str, int]:
    disk = int(flavor.get("disk", 0)) + int(flavor.get("ephemeral", 0))
    disk += (int(flavor.get("swap", 0)) + 1023) // 1024
    return {"VCPU": int(flavor["vcpus"]), "MEMORY_MB": int(flavor["ram"]), "DISK_GB": disk}


def flavor_snapshot(f: cm.Flavor) -> dict[str, Any]:
    return {"id": f.id, "name": f.name, "vcpus": f.vcpus, "ram": f.ram, "disk": f.disk,
            "ephemeral": f.ephemeral, "swap": f.swap, "extra_specs": dict(f.extra_specs or {})}


def add_fault(s: Session, instance_id: str, code: int, message: str, details: str = "") -> None:
    s.add(cm.InstanceFault(instance_id=instance_id, code=code, message=message,
                           details=details, created_at=utcnow()))


def latest_fault(s: Session, instance_id: str) -> cm.InstanceFault | None:
    return s.scalar(sa.select(cm.InstanceFault).where(cm.InstanceFault.instance_id == instance_id)
                    .order_by(cm.InstanceFault.id.desc()).limit(1))


def start_action(s: Session, inst: cm.Instance, action: str, request_id: str, user_id: str,
                 project_id: str) -> None:
    now = utcnow()
    s.add(cm.InstanceAction(instance_id=inst.id, action=action, request_id=request_id,
                            user_id=user_id, project_id=project_id, start_time=now,
                            updated_at=now, events=[]))


def add_event(s: Session, instance_id: str, event: str, result: str, host: str,
              traceback: str | None = None) -> None:
    """Append an event to the instance's newest action."""
    action = s.scalar(sa.select(cm.InstanceAction).where(
        cm.InstanceAction.instance_id == instance_id).order_by(cm.InstanceAction.id.desc())
        .limit(1))
    if action is None:
        return
    now = utcnow()
    events = list(action.events or [])
    events.append({"event": event, "start_time": now.isoformat(), "finish_time": now.isoformat(),
                   "result": result, "traceback": traceback, "host": host,
                   "hostId": "", "details": None})
    action.events = events
    action.updated_at = now
    if result == "Error":
        action.message = "Error"


def finish_actions(s: Session, instance_id: str, action: str, event: str, host: str) -> int:
    """Record ``event`` (Success) on each of the instance's ``action`` actions that lacks
    it: the host's side of an action the API started (``detach_interface``) is done. How
    many it finished."""
    rows = s.scalars(sa.select(cm.InstanceAction).where(
        cm.InstanceAction.instance_id == instance_id, cm.InstanceAction.action == action))
    done = 0
    for row in rows:
        events = list(row.events or [])
        if any(e.get("event") == event for e in events):
            continue
        now = utcnow()
        events.append({"event": event, "start_time": now.isoformat(),
                       "finish_time": now.isoformat(), "result": "Success",
                       "traceback": None, "host": host, "hostId": "", "details": None})
        row.events, row.updated_at = events, now
        done += 1
    return done


def host_is_up(h: cm.ComputeHost, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return (not h.forced_down and h.last_seen_at is not None and
            h.last_seen_at + timedelta(seconds=SERVICE_DOWN_SECONDS) >= now)


def host_zones(s: Session) -> dict[str, str]:
    """host → availability zone (an aggregate's ``availability_zone`` overrides the agent's)."""
    zones = dict(s.execute(sa.select(cm.ComputeHost.host, cm.ComputeHost.zone)).all())
    zones.update((h, az) for h, az in aggregate_zones(s).items() if h in zones)
    return zones


def aggregate_zones(s: Session) -> dict[str, str]:
    """host → the ``availability_zone`` an aggregate gives it (hosts in none are absent),
    for a caller that already holds the hosts' own zones."""
    out: dict[str, str] = {}
    for agg in s.scalars(sa.select(cm.Aggregate)):
        az = (agg.metadata_ or {}).get("availability_zone")
        if az:
            out.update((host, az) for host in agg.hosts or [])
    return out


def start_migration(s: Session, inst: cm.Instance, kind: str, status: str,
                    new_flavor: dict[str, Any] | None = None, dest: str | None = None) -> str:
    """Record a move of ``inst`` (the API's write): it becomes the instance's newest
    migration, the one ``current_migration`` finds while the move runs."""
    import uuid as _uuid

    now = utcnow()
    mig = cm.Migration(uuid=str(_uuid.uuid4()), instance_uuid=inst.id,
                       project_id=inst.project_id, user_id=inst.user_id, migration_type=kind,
                       status=status, source_compute=inst.host, dest_compute=dest,
                       old_flavor_id=inst.flavor_id,
                       new_flavor_id=new_flavor["id"] if new_flavor else inst.flavor_id,
                       new_flavor=new_flavor, created_at=now, updated_at=now)
    s.add(mig)
    return mig.uuid


def current_migration(s: Session, instance_id: str) -> cm.Migration | None:
    """The instance's newest migration: the one its move task (or a resize awaiting
    confirm) is about."""
    return s.scalar(sa.select(cm.Migration).where(cm.Migration.instance_uuid == instance_id)
                    .order_by(cm.Migration.id.desc()).limit(1))


def newest_migration_id() -> sa.ScalarSelect:
    """``current_migration`` as a correlated subquery of a select over instances."""
    return (sa.select(sa.func.max(cm.Migration.id))
            .where(cm.Migration.instance_uuid == cm.Instance.id)
            .correlate(cm.Instance).scalar_subquery())


def is_live(mig: cm.Migration | None) -> bool:
    return mig is not None and mig.migration_type == "live-migration"


def set_migration(s: Session, inst: cm.Instance, status: str, dest: str | None = None,
                  dest_zone: str | None = None) -> None:
    mig = current_migration(s, inst.id)
    if mig is None:
        return
    mig.status, mig.updated_at = status, utcnow()
    if dest:
        mig.dest_compute = dest
    if dest_zone:
        mig.dest_zone = dest_zone


def tried_hosts(s: Session, instance_id: str) -> set[str]:
    return set(s.scalars(sa.select(cm.TriedHost.host)
                         .where(cm.TriedHost.instance_id == instance_id)))


def add_tried_host(s: Session, instance_id: str, host: str) -> int:
    """Record a host the build failed on (idempotent); how many hosts were tried."""
    tried = tried_hosts(s, instance_id)
    if host not in tried:
        s.add(cm.TriedHost(instance_id=instance_id, host=host))
        tried.add(host)
    return len(tried)


def ask_for_host(s: Session, inst: cm.Instance, force_host: str | None = None,
                 exclude: tuple[str, ...] = ()) -> None:
    """The API's scheduling inputs for a new request for a host (a move, an unshelve, an
    evacuation): the forced host it names or none, and no hosts tried but ``exclude``."""
    inst.force_host = force_host
    s.execute(sa.delete(cm.TriedHost).where(cm.TriedHost.instance_id == inst.id))
    for host in exclude:
        s.add(cm.TriedHost(instance_id=inst.id, host=host))


def mark_deleted(s: Session, inst: cm.Instance) -> None:
    """The last step of every delete: allocations released (the instance's and any move's),
    the row soft-deleted, the instance out of its server groups."""
    from onestack.compute import states as st
    from onestack.placement import seam as placement

    placement.release(s, inst.id)
    if placement.holds(s, claims.move_consumer(inst.id)):  # a move's parked allocation
        placement.release(s, claims.move_consumer(inst.id))
    s.execute(sa.delete(cm.TriedHost).where(cm.TriedHost.instance_id == inst.id))
    now = utcnow()
    inst.deleted, inst.vm_state, inst.task_state, inst.power_state = True, st.DELETED, None, 0
    inst.deleted_at = inst.terminated_at = inst.updated_at = now
    for g in s.scalars(sa.select(cm.ServerGroup)):
        if inst.id in (g.members or []):
            g.members = [m for m in g.members if m != inst.id]

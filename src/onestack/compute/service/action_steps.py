"""The steps of the actions that do more than set a task: lock and unlock (who may undo
whose lock), security groups, console output, reset state, and the moves (resize, cold and
live migration, evacuation, unshelve)."""
from __future__ import annotations

import secrets

import sqlalchemy as sa

from onestack.compute import models as cm
from onestack.compute import quotas, records
from onestack.compute import states as st
from onestack.compute.service.actions import Step
from onestack.compute.service import networking
from onestack.compute.service.create import visible_flavor
from onestack.core.errors import BadRequest, Conflict, NotFound
from onestack.placement import seam as placement

LOCK = "os_compute_api:os-lock-server:"


def _target(step: Step) -> dict[str, str]:
    return {"project_id": step.inst.project_id, "user_id": step.inst.user_id}


def lock(step: Step) -> None:
    """Nova records who locked: the owner's project, or an admin from elsewhere."""
    inst = step.inst
    inst.locked = True
    inst.locked_by = "owner" if step.ctx.project_id == inst.project_id else "admin"
    reason = step.args.get("locked_reason") if isinstance(step.args, dict) else None
    if reason:
        inst.locked_reason = reason


def unlock(step: Step) -> None:
    """Undoing a lock the other side set (an admin's, for the owner) needs the admin-only
    ``unlock_override`` (F10)."""
    inst = step.inst
    expected = "owner" if step.ctx.project_id == inst.project_id else "admin"
    if inst.locked and inst.locked_by and inst.locked_by != expected:
        step.deps.policy.enforce(LOCK + "unlock:unlock_override", step.ctx, _target(step))
    inst.locked, inst.locked_by, inst.locked_reason = False, None, None


def confirm_resize(step: Step) -> None:
    records.set_migration(step.s, step.inst, "confirming")


def reset_state(step: Step) -> None:
    step.inst.vm_state, step.inst.task_state = step.args["state"], None


def security_group(step: Step, add: bool) -> None:
    name = step.args["name"]
    if not name.strip():
        raise BadRequest("Security group name cannot be empty")
    inst = step.inst
    groups = list((inst.system_metadata or {}).get("security_groups", []))
    if networking.change_group(step.s, step.deps.network, inst, name, add):
        groups = [g for g in groups if g != name] + ([name] if add else [])
        inst.system_metadata = {**(inst.system_metadata or {}), "security_groups": groups}
        return
    if add:
        if name in groups:
            raise BadRequest(f"Security group {name} is already associated with the "
                             "instance")
        groups.append(name)
    else:
        if name not in groups:
            raise NotFound(f"Security group {name} not associated with the instance")
        groups.remove(name)
    inst.system_metadata = {**(inst.system_metadata or {}), "security_groups": groups}


def console_output(step: Step) -> None:
    length = step.args.get("length") if isinstance(step.args, dict) else None
    lines = (step.inst.console_log or "").splitlines()
    if length is not None and int(length) >= 0:
        lines = lines[-int(length):] if int(length) else []
    step.data = "\n".join(lines)


def rescue(step: Step) -> None:
    password = step.args.get("adminPass") if isinstance(step.args, dict) else None
    step.data = password or secrets.token_urlsafe(9)


def reboot(step: Step) -> None:
    hard = step.args["type"].upper() == "HARD"
    allowed = (st.ACTIVE, st.STOPPED, st.PAUSED, st.SUSPENDED, st.ERROR) if hard \
        else (st.ACTIVE,)
    if step.inst.vm_state not in allowed:
        raise Conflict(f"Cannot 'reboot' instance {step.inst.id} while it is in vm_state "
                       f"{step.inst.vm_state}")
    step.inst.task_state = st.REBOOTING_HARD if hard else st.REBOOTING


def resize(step: Step) -> None:
    """Another project's private flavor is not found (F19); quota is checked under the
    project's usage lock."""
    ref = str(step.args["flavorRef"]).rstrip("/").rsplit("/", 1)[-1]
    flavor = visible_flavor(step.s, step.deps, step.ctx, ref)
    inst = step.inst
    if flavor.id == inst.flavor_id:
        raise BadRequest("When resizing, instances must change flavor!")
    if flavor.disk < int(inst.flavor.get("disk", 0)):
        raise BadRequest("Resize error: Unable to resize disk down.")
    quotas.lock_project(step.s, inst.project_id)
    quotas.check_delta(step.s, inst.project_id, inst.user_id,
                       cores=flavor.vcpus - int(inst.flavor["vcpus"]),
                       ram=flavor.ram - int(inst.flavor["ram"]))
    if isinstance(step.args, dict) and step.args.get("OS-DCF:diskConfig"):
        inst.disk_config = step.args["OS-DCF:diskConfig"]
    records.start_migration(step.s, inst, "resize", "pre-migrating",
                            records.flavor_snapshot(flavor))
    records.ask_for_host(step.s, inst)


def _host_exists(step: Step, host: str) -> bool:
    return step.s.scalar(sa.select(cm.ComputeHost.id).where(cm.ComputeHost.host == host)) \
        is not None


def migrate(step: Step) -> None:
    host = step.args.get("host") if isinstance(step.args, dict) else None
    if host:
        step.deps.policy.enforce("os_compute_api:os-migrate-server:migrate:host", step.ctx,
                                 _target(step))
        if not _host_exists(step, host):
            raise NotFound(f"Compute host {host} could not be found.")
    records.ask_for_host(step.s, step.inst, host or None)
    records.start_migration(step.s, step.inst, "migration", "pre-migrating")


def live_migrate(step: Step) -> None:
    host, inst = step.args.get("host"), step.inst
    if host:
        step.deps.policy.enforce("os_compute_api:os-migrate-server:migrate_live:host",
                                 step.ctx, _target(step))
        if host == inst.host:
            raise BadRequest(f"The supplied target host {host} is the source host.")
        if not _host_exists(step, host):
            raise BadRequest(f"Compute host {host} could not be found.")
    records.ask_for_host(step.s, inst, host or None)
    records.start_migration(step.s, inst, "live-migration", "queued")


def evacuate(step: Step) -> None:
    inst = step.inst
    host = step.args.get("host") if isinstance(step.args, dict) else None
    source = step.s.scalar(sa.select(cm.ComputeHost).where(cm.ComputeHost.host == inst.host))
    if source is not None and records.host_is_up(source) and not source.forced_down:
        raise Conflict(f"Compute service of {inst.host} is still in use.")
    placement.release(step.s, inst.id)
    records.start_migration(step.s, inst, "evacuation", "accepted")
    records.ask_for_host(step.s, inst, host or None, (inst.host,) if inst.host else ())
    inst.evacuating, inst.keep_stopped = True, inst.vm_state == st.STOPPED
    inst.host, inst.node = None, None
    inst.vm_state, inst.task_state = st.BUILDING, st.SCHEDULING
    step.data = secrets.token_urlsafe(9)


def unshelve(step: Step) -> None:
    args = step.args if isinstance(step.args, dict) else {}
    host = args.get("host") if step.version >= (2, 91) else None
    zone = args.get("availability_zone") if step.version >= (2, 77) else None
    inst = step.inst
    if host:
        step.deps.policy.enforce("os_compute_api:os-shelve:unshelve_to_host", step.ctx,
                                 _target(step))
    if (host or zone) and inst.vm_state != st.SHELVED_OFFLOADED:
        raise Conflict(f"The server {inst.id} is not shelved offloaded; a target host or "
                       "zone cannot be given.")
    if host and not _host_exists(step, host):
        raise BadRequest(f"Compute host {host} could not be found.")
    if inst.vm_state == st.SHELVED:
        inst.task_state = st.POWERING_ON
        return
    records.ask_for_host(step.s, inst, host or None)
    inst.evacuating, inst.keep_stopped = False, False  # an earlier evacuation's
    if zone is not None:
        inst.requested_az = zone or None
    inst.task_state = st.UNSHELVING
    step.host = None

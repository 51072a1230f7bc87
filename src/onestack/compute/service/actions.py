"""``POST /servers/{id}/action``: ONE path for every action. A table says, per action, the
policy rule (as Nova names it), the vm_states it may start from, whether the server must be
idle, the task the host agent (or scheduler) carries out and whom to wake; ``request_action``
applies it in one transaction: visibility (404), policy (403), the action's precheck (a
rebuild's image), lock (409), state (409), the instance-action record, the action's own
step, the task."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from sqlalchemy.orm import Session

from onestack.compute import models as cm
from onestack.compute import records
from onestack.compute.service.servers import (Deps, check_lock, request_delete,
                                              visible_instance)
from onestack.core.context import RequestContext
from onestack.core.db import utcnow
from onestack.core.errors import BadRequest, Conflict

WAKE_HOST, WAKE_SCHEDULER = "host", "scheduler"


@dataclass(frozen=True)
class ActionSpec:
    """How one action starts. ``record`` is the instance-action name (None: not recorded);
    ``label`` the name in conflict messages (default ``record``)."""

    rule: str
    record: str | None
    allowed: tuple[str, ...] | None = None  # vm_states it may start from; None: any
    need_idle: bool = True  # refused while another task runs
    task: str | None = None  # task_state for the agent; None: the step does it all
    lock_exempt: bool = False  # runs on a locked server (lock itself, reads, security groups)
    wake: str | None = WAKE_HOST  # whom to tell: the server's host (and the scheduler)…
    write: bool = True  # False: a read (console output)
    label: str | None = None
    precheck: Callable[["Step"], None] | None = None  # runs before the lock/state checks


@dataclass
class Step:
    """What an action's own step sees and hands back."""

    s: Session
    deps: Deps
    ctx: RequestContext
    inst: cm.Instance
    args: Any
    version: tuple[int, int]
    data: Any = None  # what the API renders
    host: str | None = field(default=None)  # the host to wake, when not the server's


StepFn = Callable[[Step], None]


@dataclass
class Outcome:
    instance: cm.Instance | None  # None after a forceDelete
    data: Any = None


def conflict_state(inst: cm.Instance, action: str) -> Conflict:
    return Conflict(f"Cannot '{action}' instance {inst.id} while it is in vm_state "
                    f"{inst.vm_state}")


def check_admissible(deps: Deps, ctx: RequestContext, inst: cm.Instance,
                     spec: ActionSpec) -> None:
    """Lock and state checks (409s)."""
    label = spec.label or spec.record or ""
    if not spec.lock_exempt:
        check_lock(deps, ctx, inst)
    if spec.allowed is not None and inst.vm_state not in spec.allowed:
        raise conflict_state(inst, label)
    if spec.need_idle and inst.task_state is not None:
        raise Conflict(f"Cannot '{label}' instance {inst.id} while it is in task_state "
                       f"{inst.task_state}")


def begin(deps: Deps, s: Session, ctx: RequestContext, inst: cm.Instance,
          spec: ActionSpec) -> None:
    """Lock and state checks; the instance action recorded."""
    check_admissible(deps, ctx, inst, spec)
    if spec.record:
        records.start_action(s, inst, spec.record, ctx.request_id, ctx.user_id,
                             ctx.project_id)


def request_action(deps: Deps, ctx: RequestContext, sid: str, spec: ActionSpec,
                   step: StepFn | None = None, args: Any = None,
                   version: tuple[int, int] = (2, 1)) -> Outcome:
    """Run one action by its spec; wake whoever carries it out."""

    def work(s: Session) -> tuple[Outcome, str | None, bool]:
        inst = visible_instance(deps, s, ctx, sid, spec.rule, lock=spec.write)
        started = Step(s, deps, ctx, inst, args, version, host=inst.host)
        if spec.precheck is not None:
            spec.precheck(started)
        begin(deps, s, ctx, inst, spec)
        if step is not None:
            step(started)
        if spec.write:
            if spec.task:
                inst.task_state = spec.task
            inst.updated_at = utcnow()
        return Outcome(inst, started.data), started.host, spec.wake is not None

    run = deps.db.write if spec.write else deps.db.read
    outcome, host, wake = run(work)
    if wake:
        deps.wake(host if spec.wake == WAKE_HOST else None, sid)
    return outcome


def perform(deps: Deps, ctx: RequestContext, sid: str, name: str, args: Any,
            version: tuple[int, int]) -> Outcome:
    """The action ``name`` (its body already validated against its schema)."""
    from onestack.compute.service.action_table import ACTIONS

    if name == "forceDelete":  # a delete, with the delete path's checks
        request_delete(deps, ctx, sid, "forceDelete", "os_compute_api:os-deferred-delete:force")
        return Outcome(None)
    entry = ACTIONS.get(name)
    if entry is None:
        raise BadRequest(f"There is no such action: {name}")
    spec, step = entry
    if name == "createImage":  # a volume-backed server's is the volume service's work
        from onestack.compute.service import volume_backed

        return volume_backed.create_image(deps, ctx, sid, spec, step, args, version)
    return request_action(deps, ctx, sid, spec, step, args, version)

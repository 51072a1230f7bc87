"""The agent's comparison of what the hypervisor runs with what the database says, as pure
functions: which guests this host must not run (strays), and what an idle instance's row
should become given the power state the driver reports (Nova's power-state sync)."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Row

from onestack.compute import models as cm
from onestack.compute import states as st
from onestack.compute.drivers.base import CRASHED, NOSTATE, PAUSED, RUNNING, SHUTDOWN, SUSPENDED

# task states during which a copy may live on the source and the destination at once
MOVE_TASKS = frozenset({st.RESIZE_PREP, st.RESIZE_MIGRATING, st.RESIZE_FINISH,
                        st.RESIZE_REVERTING, st.RESIZE_CONFIRMING, st.MIGRATING,
                        st.LIVE_MIGRATING})
LOST = frozenset({NOSTATE, SHUTDOWN, CRASHED})  # the guest does not run (NOSTATE: missing)


def keeps_copy(inst: cm.Instance | Row | None, host: str,
               move_hosts: tuple[str | None, str | None] = (None, None)) -> bool:
    """Whether ``host`` may run a guest for this row: it is not deleted and either placed
    here or part of a move (resize awaiting confirm included) from or to here
    (``move_hosts``: source and destination of the instance's newest migration).
    Everything else the host runs is a stray: the source copy after a migration, a deleted
    server's guest, an evacuated server's old copy."""
    if inst is None or inst.deleted:
        return False
    if inst.host == host:
        return True
    involved = host in move_hosts
    return involved and (inst.task_state in MOVE_TASKS or inst.vm_state == st.RESIZED)


@dataclass(frozen=True)
class PowerVerdict:
    """What the row of an idle instance becomes; ``power_off``: the guest runs although the
    server is stopped, so it is stopped (as Nova's sync calls the stop API)."""
    vm_state: str
    power_state: int
    power_off: bool = False


def power_verdict(vm_state: str, recorded: int, observed: int) -> PowerVerdict | None:
    """None when the row already matches the hypervisor."""
    if vm_state in (st.ACTIVE, st.PAUSED) and observed in LOST:
        return PowerVerdict(st.STOPPED, observed)
    if vm_state == st.SUSPENDED and observed in (NOSTATE, CRASHED):
        return PowerVerdict(st.STOPPED, observed)
    if vm_state == st.STOPPED and observed in (RUNNING, PAUSED, SUSPENDED):
        return PowerVerdict(st.STOPPED, SHUTDOWN, power_off=True)
    if observed != recorded:
        return PowerVerdict(vm_state, observed)
    return None

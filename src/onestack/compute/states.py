"""Instance vm_state / task_state and the API ``status`` derived from them."""
from __future__ import annotations

ACTIVE, BUILDING, STOPPED, PAUSED, SUSPENDED = "active", "building", "stopped", "paused", \
    "suspended"
RESCUED, RESIZED, SHELVED, SHELVED_OFFLOADED = "rescued", "resized", "shelved", \
    "shelved_offloaded"
ERROR, DELETED, SOFT_DELETED = "error", "deleted", "soft-delete"

# task states: the action the API asked for and the agent has not finished
SCHEDULING, SPAWNING, DELETING = "scheduling", "spawning", "deleting"
REBOOTING, REBOOTING_HARD = "rebooting", "rebooting_hard"
POWERING_OFF, POWERING_ON = "powering-off", "powering-on"
PAUSING, UNPAUSING, SUSPENDING, RESUMING = "pausing", "unpausing", "suspending", "resuming"
REBUILDING, RESCUING, UNRESCUING = "rebuilding", "rescuing", "unrescuing"
SHELVING, SHELVING_OFFLOADING, UNSHELVING = "shelving", "shelving_offloading", "unshelving"
RESIZE_PREP, RESIZE_MIGRATING, RESIZE_FINISH = "resize_prep", "resize_migrating", \
    "resize_finish"
RESIZE_REVERTING, RESIZE_CONFIRMING = "resize_reverting", "resize_confirming"
MIGRATING, IMAGE_SNAPSHOT, REBUILD_SPAWNING = "migrating", "image_snapshot", "rebuild_spawning"
LIVE_MIGRATING, EVACUATING = "live_migrating", "rebuild_spawning_evacuate"

_ACTIVE_TASK_STATUS = {
    REBOOTING: "REBOOT", REBOOTING_HARD: "HARD_REBOOT", REBUILDING: "REBUILD",
    REBUILD_SPAWNING: "REBUILD", RESIZE_PREP: "RESIZE", RESIZE_MIGRATING: "RESIZE",
    RESIZE_FINISH: "RESIZE", MIGRATING: "MIGRATING", LIVE_MIGRATING: "MIGRATING",
    EVACUATING: "REBUILD",
}
_STATUS = {
    BUILDING: "BUILD", STOPPED: "SHUTOFF", PAUSED: "PAUSED", SUSPENDED: "SUSPENDED",
    RESCUED: "RESCUE", RESIZED: "VERIFY_RESIZE", SHELVED: "SHELVED",
    SHELVED_OFFLOADED: "SHELVED_OFFLOADED", ERROR: "ERROR", DELETED: "DELETED",
    SOFT_DELETED: "SOFT_DELETED",
}


def status(vm_state: str, task_state: str | None) -> str:
    if vm_state == ACTIVE:
        return _ACTIVE_TASK_STATUS.get(task_state or "", "ACTIVE")
    if vm_state == RESIZED and task_state == RESIZE_REVERTING:
        return "REVERT_RESIZE"
    if vm_state == STOPPED and task_state in (RESIZE_PREP, RESIZE_MIGRATING, RESIZE_FINISH):
        return "RESIZE"
    return _STATUS.get(vm_state, "UNKNOWN")


def vm_states_for_status(value: str) -> list[str]:
    """What a ``?status=`` filter matches."""
    value = value.upper()
    out = [vm for vm, st in _STATUS.items() if st == value]
    if value in ("ACTIVE", "REBOOT", "HARD_REBOOT", "REBUILD", "RESIZE", "MIGRATING"):
        out.append(ACTIVE)
    return out

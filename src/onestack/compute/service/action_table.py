"""The table of server actions: body name → (how it starts, its own step). Adding an
action is adding a row; ``actions.request_action`` does the rest."""
from __future__ import annotations

from functools import partial

from onestack.compute import states as st
from onestack.compute.service import action_images as images
from onestack.compute.service import action_steps as steps
from onestack.compute.service.actions import WAKE_SCHEDULER, ActionSpec, StepFn

S = "os_compute_api:servers:"
ADMIN_ACTIONS = "os_compute_api:os-admin-actions:"
SHELVE = "os_compute_api:os-shelve:"
MIGRATE = "os_compute_api:os-migrate-server:"
RUNNING_OR_ASLEEP = (st.ACTIVE, st.STOPPED, st.PAUSED, st.SUSPENDED)
CONSOLE_STATES = (st.ACTIVE, st.STOPPED, st.PAUSED, st.SUSPENDED, st.RESCUED, st.RESIZED,
                  st.ERROR)

ACTIONS: dict[str, tuple[ActionSpec, StepFn | None]] = {
    "os-stop": (ActionSpec(S + "stop", "stop", (st.ACTIVE, st.ERROR, st.RESCUED),
                           task=st.POWERING_OFF), None),
    "os-start": (ActionSpec(S + "start", "start", (st.STOPPED,), task=st.POWERING_ON), None),
    "reboot": (ActionSpec(S + "reboot", "reboot"), steps.reboot),
    "pause": (ActionSpec("os_compute_api:os-pause-server:pause", "pause",
                         (st.ACTIVE, st.RESCUED), task=st.PAUSING), None),
    "unpause": (ActionSpec("os_compute_api:os-pause-server:unpause", "unpause",
                           (st.PAUSED,), task=st.UNPAUSING), None),
    "suspend": (ActionSpec("os_compute_api:os-suspend-server:suspend", "suspend",
                           (st.ACTIVE,), task=st.SUSPENDING), None),
    "resume": (ActionSpec("os_compute_api:os-suspend-server:resume", "resume",
                          (st.SUSPENDED,), task=st.RESUMING), None),
    "lock": (ActionSpec("os_compute_api:os-lock-server:lock", "lock", need_idle=False,
                        lock_exempt=True), steps.lock),
    "unlock": (ActionSpec("os_compute_api:os-lock-server:unlock", "unlock", need_idle=False,
                          lock_exempt=True), steps.unlock),
    "rescue": (ActionSpec("os_compute_api:os-rescue", "rescue",
                          (st.ACTIVE, st.STOPPED, st.ERROR), task=st.RESCUING), steps.rescue),
    "unrescue": (ActionSpec("os_compute_api:os-unrescue", "unrescue", (st.RESCUED,),
                            task=st.UNRESCUING), None),
    "resize": (ActionSpec(S + "resize", "resize", (st.ACTIVE, st.STOPPED),
                          task=st.RESIZE_PREP), steps.resize),
    "confirmResize": (ActionSpec(S + "confirm_resize", "confirmResize", (st.RESIZED,),
                                 task=st.RESIZE_CONFIRMING), steps.confirm_resize),
    "revertResize": (ActionSpec(S + "revert_resize", "revertResize", (st.RESIZED,),
                                task=st.RESIZE_REVERTING), None),
    "rebuild": (ActionSpec(S + "rebuild", "rebuild", (st.ACTIVE, st.STOPPED, st.ERROR),
                           precheck=images.rebuild_image), images.rebuild),
    "createImage": (ActionSpec(S + "create_image", "createImage",
                               RUNNING_OR_ASLEEP + (st.SHELVED,)), images.create_image),
    "createBackup": (ActionSpec("os_compute_api:os-create-backup", "createBackup",
                                RUNNING_OR_ASLEEP), images.create_backup),
    "shelve": (ActionSpec(SHELVE + "shelve", "shelve", RUNNING_OR_ASLEEP), images.shelve),
    "shelveOffload": (ActionSpec(SHELVE + "shelve_offload", "shelveOffload", (st.SHELVED,),
                                 task=st.SHELVING_OFFLOADING), None),
    "unshelve": (ActionSpec(SHELVE + "unshelve", "unshelve",
                            (st.SHELVED, st.SHELVED_OFFLOADED)), steps.unshelve),
    "migrate": (ActionSpec(MIGRATE + "migrate", "migrate", (st.ACTIVE, st.STOPPED),
                           task=st.MIGRATING, wake=WAKE_SCHEDULER), steps.migrate),
    "os-migrateLive": (ActionSpec(MIGRATE + "migrate_live", "live-migration",
                                  (st.ACTIVE, st.PAUSED), task=st.MIGRATING,
                                  wake=WAKE_SCHEDULER), steps.live_migrate),
    "evacuate": (ActionSpec("os_compute_api:os-evacuate", "evacuate",
                            (st.ACTIVE, st.STOPPED, st.ERROR), wake=WAKE_SCHEDULER),
                 steps.evacuate),
    "os-resetState": (ActionSpec(ADMIN_ACTIONS + "reset_state", "resetState",
                                 need_idle=False, lock_exempt=True, wake=None),
                      steps.reset_state),
    "injectNetworkInfo": (ActionSpec(ADMIN_ACTIONS + "inject_network_info", None,
                                     need_idle=False, lock_exempt=True, wake=None,
                                     write=False), None),
    "os-resetNetwork": (ActionSpec(ADMIN_ACTIONS + "reset_network", None, need_idle=False,
                                   lock_exempt=True, wake=None, write=False), None),
    "restore": (ActionSpec("os_compute_api:os-deferred-delete:restore", None,
                           (st.SOFT_DELETED,), need_idle=False, lock_exempt=True, wake=None,
                           write=False, label="restore"), None),
    "addSecurityGroup": (ActionSpec("os_compute_api:os-security-groups:add", None,
                                    need_idle=False, lock_exempt=True, wake=None),
                         partial(steps.security_group, add=True)),
    "removeSecurityGroup": (ActionSpec("os_compute_api:os-security-groups:remove", None,
                                       need_idle=False, lock_exempt=True, wake=None),
                            partial(steps.security_group, add=False)),
    "os-getConsoleOutput": (ActionSpec("os_compute_api:os-console-output", None,
                                       CONSOLE_STATES, need_idle=False, lock_exempt=True,
                                       wake=None, write=False,
                                       label="get_console_output"), steps.console_output),
}

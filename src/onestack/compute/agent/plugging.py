"""The host agent's network step before a spawn (Nova's ``network-vif-plugged`` wait):
make the server's missing ports, bind them all to this host, and spawn only once this
host's network agent reports them wired. The step is idempotent (ports are found by the
server's NIC rows before any is made) and the wait is level-triggered: while a port is
not ACTIVE the step ends and the next pass (a wake-up or the periodic resync) looks
again. A wait longer than ``wire_timeout`` from the last bind fails the build as Nova
fails it."""
from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from onestack.compute import models as cm
from onestack.compute import records
from onestack.compute import states as st
from onestack.compute.service import networking
from onestack.core.db import utcnow
from onestack.core.errors import OpenStackError

if TYPE_CHECKING:
    from onestack.compute.agent.host import HostAgent

log = logging.getLogger(__name__)
WIRE_TIMEOUT = 300.0  # seconds, Nova's vif_plugging_timeout
QUICK_WAIT = 1.0  # seconds the step itself waits for a local network agent


def allocation_failed(instance_id: str) -> str:
    return (f"Build of instance {instance_id} aborted: Failed to allocate the network(s), "
            "not rescheduling.")


class NetworkSteps:
    """Mixed into the host agent. ``network``: the network service's seam (None: no
    network service; servers get no NICs)."""

    network: Any = None
    wire_timeout: float = WIRE_TIMEOUT
    quick_wait: float = QUICK_WAIT

    def _plugged(self: HostAgent, inst: cm.Instance) -> bool:
        """True when the spawn may go on; False when it must wait (or the build failed:
        the ERROR is written)."""
        seam = self.network
        if seam is None:
            return True
        if not self.db.read(lambda s: networking.rows_of(s, inst.id)):
            # no NICs asked for (``networks: none``, or no network to plug into): nothing
            # to make, bind or wait for, so no write transaction either
            return True
        deadline = time.monotonic() + self.quick_wait
        while True:
            try:
                state = self.db.write(lambda s: self._plug_step(s, inst.id))
            except OpenStackError as exc:
                log.warning("%s: ports of %s: %s", self.host, inst.id, exc)
                self._network_failed(inst.id, f"{allocation_failed(inst.id)} {exc}")
                return False
            if state is None:
                return False  # the task changed meanwhile; the next pass sees it
            if state.wired:
                return True
            if state.since is not None and \
                    (utcnow() - state.since).total_seconds() > self.wire_timeout:
                self._network_failed(inst.id, allocation_failed(inst.id))
                return False
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)

    def _plug_step(self: HostAgent, s: Session, instance_id: str
                   ) -> networking.Plugged | None:
        row = s.get(cm.Instance, instance_id)
        if row is None or row.deleted or row.task_state != st.SPAWNING or \
                row.host != self.host:
            return None
        return networking.plug(s, self.network, row, self.host)

    def _network_failed(self: HostAgent, instance_id: str, message: str) -> None:
        def work(s: Session) -> None:
            row = s.get(cm.Instance, instance_id)
            if row is None or row.task_state != st.SPAWNING:
                return
            row.vm_state, row.task_state = st.ERROR, None
            row.updated_at = utcnow()
            records.add_fault(s, row.id, 500, message)
            records.add_event(s, row.id, "compute_build_and_run_instance", "Error",
                              self.host, message)
        self.db.write(work)

    def _rebind(self: HostAgent, instance_id: str, host: str) -> None:
        if self.network is not None:
            self.db.write(lambda s: networking.rebind(s, self.network, instance_id, host))

"""The QEMU virt driver: one daemonized QEMU process per guest, controlled over QMP.

Guests outlive the agent: every guest's directory (``layout``) holds its record, pid file,
monitor sockets, disks and serial log, and a re-created driver re-adopts the processes it
finds there (``recover``) instead of starting second copies. A guest whose process is gone
(shut down, killed, crashed) stays listed as SHUTDOWN until ``destroy``, so the agent's
power sync sees it; a suspended guest has no process and a saved state file.

Each guest has two monitors: ``qmp.sock`` for actions (one at a time, under the guest's
lock) and ``status.sock`` for ``query-status``, so listing never waits for a long action."""
from __future__ import annotations

import copy
import logging
import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

from onestack.compute.drivers.base import (CRASHED, NOSTATE, PAUSED, RUNNING, SHUTDOWN,
                                           SUSPENDED, DriverError, HostResources,
                                           InstanceInfo, InstanceNotFound, InstanceSpec)
from onestack.compute.drivers.qemu import disks, peers
from onestack.compute.drivers.qemu.accel import Accelerator
from onestack.compute.drivers.qemu.command import qemu_argv
from onestack.compute.drivers.qemu.extras import Extras
from onestack.compute.drivers.qemu.layout import GuestDir, Record, guest_ids, lowest_free
from onestack.compute.drivers.qemu.peers import peer_guest
from onestack.compute.drivers.qemu.process import EXIT_WAIT, is_our_qemu, kill_hard, wait_gone
from onestack.compute.drivers.qemu.qmp import QMP, QMPError
from onestack.compute.drivers.qemu.taps import tap_queues
from onestack.core.dataplane import netns_command, tap_name

log = logging.getLogger(__name__)
BINARY = "qemu-system-x86_64"
LAUNCH_TIMEOUT = 60.0  # seconds QEMU takes to daemonize (it opens every disk first)
SHUTDOWN_TIMEOUT = 60.0  # seconds a guest gets to shut down on ACPI before it is stopped
CONSOLE_TAIL = 60000  # bytes of serial log returned (the database keeps it in a TEXT column)
# QMP run states → Nova power states
POWER_OF_STATUS = {
    "running": RUNNING, "paused": PAUSED, "inmigrate": PAUSED, "prelaunch": PAUSED,
    "finish-migrate": PAUSED, "postmigrate": PAUSED, "save-vm": PAUSED,
    "restore-vm": PAUSED, "debug": PAUSED, "io-error": PAUSED, "watchdog": PAUSED,
    "colo": RUNNING, "suspended": SUSPENDED, "shutdown": SHUTDOWN,
    "guest-panicked": CRASHED, "internal-error": CRASHED,
}
# run states QEMU leaves only through a reset: power on and reboot start such a guest afresh
DEAD_STATES = frozenset({"guest-panicked", "internal-error", "shutdown"})


class QemuDriver(Extras):
    """``state_dir``: where guests live (``state_dir/qemu-<host>/<instance id>``); drivers
    of two hosts on one machine share it, and live migration finds the destination's
    incoming socket there. ``accel``: "auto" (probe KVM), "kvm" or "tcg". ``netns``: the
    host network namespace QEMU runs in, where the network driver made the taps
    ("" is the agent's own). ``shutdown_timeout``: how long ACPI power-off may take."""

    def __init__(self, host: str, state_dir: Path, accel: str = "auto", netns: str = "",
                 shutdown_timeout: float = SHUTDOWN_TIMEOUT, binary: str = BINARY):
        self.host = host
        self.state_root = Path(state_dir).resolve()
        self.root = self.state_root / f"qemu-{host}"
        self.root.mkdir(parents=True, exist_ok=True)
        self.accel = Accelerator(accel, binary, cache=self.state_root / "qemu-accel.json")
        self.netns = netns
        self.shutdown_timeout = shutdown_timeout
        self.binary = binary
        self._locks: dict[str, threading.RLock] = {}
        self._locks_guard = threading.Lock()
        self._version: int | None = None

    # --- bookkeeping ---------------------------------------------------------------
    def _guest(self, instance_id: str) -> GuestDir:
        if not instance_id or "/" in instance_id or instance_id.startswith("."):
            raise InstanceNotFound(f"no guest {instance_id!r}")
        return GuestDir(self.root, instance_id)

    def _lock(self, instance_id: str) -> threading.RLock:
        with self._locks_guard:
            return self._locks.setdefault(instance_id, threading.RLock())

    def _record(self, guest: GuestDir) -> Record:
        try:
            return guest.load()
        except FileNotFoundError:
            raise InstanceNotFound(
                f"instance {guest.instance_id} not found on {self.host}") from None

    def _pid(self, guest: GuestDir) -> int | None:
        """The pid of the guest's QEMU when it runs (and is ours)."""
        pid = guest.read_pid()
        return pid if is_our_qemu(pid, guest.pidfile) else None

    def _qmp(self, guest: GuestDir, timeout: float = 10.0) -> QMP:
        return QMP.connect(guest.sock(GuestDir.QMP), timeout)

    def _status(self, guest: GuestDir) -> str | None:
        """QEMU's run state, or None when no QEMU runs the guest."""
        if self._pid(guest) is None:
            return None
        try:
            with QMP.connect(guest.sock(GuestDir.STATUS), 5.0) as qmp:
                return str(qmp.execute("query-status")["status"])
        except QMPError as exc:
            if self._pid(guest) is None:
                return None
            log.warning("%s: guest %s runs but its monitor does not answer: %s",
                        self.host, guest.instance_id, exc)
            return "running"

    def _power(self, guest: GuestDir, record: Record) -> int:
        status = self._status(guest)
        if status is None:
            return SUSPENDED if record.suspended and guest.saved_state.exists() else SHUTDOWN
        return POWER_OF_STATUS.get(status, NOSTATE)

    def _note(self, guest: GuestDir, line: str) -> None:
        """A line of the host's own in the serial log (where a boot starts, a power-off)."""
        with open(guest.console, "a", encoding="utf-8") as f:
            f.write(f"[onestack] {line}\n")

    # --- starting and stopping QEMU ---------------------------------------------------
    def _launch(self, guest: GuestDir, record: Record, incoming: str | None = None,
                paused: bool = False, pass_fds: tuple[int, ...] = ()) -> int:
        """Start the guest's QEMU daemonized; its pid once it listens on its monitors."""
        accel = self.accel.name
        record.held_ports = []  # a new QEMU holds no device a guest did not let go
        argv = netns_command(self.netns, qemu_argv(guest, record, accel, self.accel.cpu,
                                                   self.binary, incoming=incoming,
                                                   paused=paused))
        for stale in (guest.pidfile, guest.sock(GuestDir.QMP), guest.sock(GuestDir.STATUS)):
            stale.unlink(missing_ok=True)
        self._note(guest, f"starting guest {record.spec.name} ({record.spec.id}) with "
                          f"{record.spec.vcpus} vCPUs, {record.spec.memory_mb} MiB, {accel}")
        try:
            proc = subprocess.run(argv, cwd=guest.path, capture_output=True, text=True,
                                  timeout=LAUNCH_TIMEOUT, pass_fds=pass_fds)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise DriverError(f"QEMU did not start: {exc}") from exc
        pid = self._pid(guest)
        if proc.returncode != 0 or pid is None:
            detail = (proc.stderr or proc.stdout).strip()[-2000:]
            raise DriverError(f"QEMU did not start (exit {proc.returncode}): {detail}")
        if guest.exists():
            guest.save(record)  # the held ports went with the old process
        return pid

    def _stop(self, guest: GuestDir, graceful: bool) -> None:
        """Stop the guest's QEMU: ACPI power-off first when ``graceful`` (and the guest
        runs), then ``quit``, then SIGKILL."""
        pid = self._pid(guest)
        if pid is None:
            return
        if graceful and self._status(guest) == "running":
            try:
                with self._qmp(guest) as qmp:
                    qmp.execute("system_powerdown")
            except QMPError as exc:
                log.warning("%s: ACPI power-off of %s: %s", self.host, guest.instance_id, exc)
            if wait_gone(pid, guest.pidfile, self.shutdown_timeout):
                return
        try:
            with self._qmp(guest, EXIT_WAIT) as qmp:
                qmp.execute("quit")
        except QMPError:
            pass  # it may have quit before answering; the wait below says
        if not wait_gone(pid, guest.pidfile, EXIT_WAIT):
            kill_hard(pid, guest.pidfile)

    def _end_if_dead(self, guest: GuestDir) -> None:
        """Stop the QEMU of a guest that panicked (or met an internal error), so the
        caller's start is a fresh boot; QEMU kept it paused for a look until now."""
        status = self._status(guest)
        if status in DEAD_STATES:
            self._stop(guest, graceful=False)
            self._note(guest, f"guest was {status}: its QEMU stopped for a fresh start")

    def _discard(self, guest: GuestDir) -> None:
        """Remove what a spawn left behind, its QEMU included."""
        pid = guest.read_pid()
        if pid is not None:
            kill_hard(pid, guest.pidfile)
        guest.remove()

    def _assign_ids(self, record: Record) -> None:
        """QEMU device ids for the spec's volumes and NICs that have none yet."""
        for device in record.spec.block_devices:
            if device.volume_id not in record.volume_devices:
                record.serial += 1
                record.volume_devices[device.volume_id] = f"vol{record.serial}"
            if device.volume_id not in record.volume_luns:
                record.volume_luns[device.volume_id] = lowest_free(
                    list(record.volume_luns.values()))
        for nic in record.spec.nics:
            if nic.port_id not in record.nic_devices:
                record.serial += 1
                record.nic_devices[nic.port_id] = f"nic{record.serial}"
            if nic.port_id not in record.nic_ports:
                record.nic_ports[nic.port_id] = lowest_free(
                    [*record.nic_ports.values(), *record.held_ports])
            if nic.port_id not in record.nic_queues:
                record.nic_queues[nic.port_id] = tap_queues(self.netns,
                                                            tap_name(nic.port_id))

    # --- the core ---------------------------------------------------------------------
    def host_resources(self) -> HostResources:
        meminfo = Path("/proc/meminfo").read_text().split("\n")
        total_kb = next(int(line.split()[1]) for line in meminfo
                        if line.startswith("MemTotal:"))
        disk = shutil.disk_usage(self.root)
        return HostResources(vcpus=os.cpu_count() or 1, memory_mb=total_kb // 1024,
                             disk_gb=max(disk.total >> 30, 1), hypervisor_type="QEMU",
                             hypervisor_version=self.hypervisor_version())

    def hypervisor_version(self) -> int:
        """QEMU's version as Nova reports it: major * 1000000 + minor * 1000 + micro."""
        if self._version is None:
            self._version = 1000
            try:
                out = subprocess.run([self.binary, "--version"], capture_output=True,
                                     text=True, timeout=10).stdout
                numbers = out.split("version", 1)[1].split()[0].split("(")[0]
                parts = [int(p) for p in numbers.split(".")[:3]] + [0, 0]
                self._version = parts[0] * 1000000 + parts[1] * 1000 + parts[2]
            except (OSError, IndexError, ValueError, subprocess.TimeoutExpired):
                log.warning("cannot tell the version of %s", self.binary)
        return self._version

    def list_instances(self) -> dict[str, int]:
        found = {}
        for instance_id in guest_ids(self.root):
            guest = GuestDir(self.root, instance_id)
            try:
                found[instance_id] = self._power(guest, guest.load())
            except FileNotFoundError:
                continue  # a spawn under way (or one that did not finish)
        return found

    def get_info(self, instance_id: str) -> InstanceInfo:
        guest = self._guest(instance_id)
        return InstanceInfo(self._power(guest, self._record(guest)))

    def spawn(self, spec: InstanceSpec) -> None:
        """A guest another host of this machine still has (the source of a cold move)
        starts from a copy of that guest's disks; any other from the spec's image."""
        guest = self._guest(spec.id)
        with self._lock(spec.id):
            if guest.exists():
                return
            self._discard(guest)  # a spawn that crashed half-way
            guest.path.mkdir(parents=True)
            try:
                record = Record(spec=copy.deepcopy(spec))
                self._assign_ids(record)
                peer = peer_guest(self.state_root, self.root, spec.id)
                carried = peer is not None and peers.copy_disks(peer, guest)
                disks.make_all(guest, record.spec, carried)
                self._launch(guest, record)
                guest.save(record)
            except BaseException as exc:
                self._discard(guest)
                if isinstance(exc, (DriverError, KeyboardInterrupt, SystemExit)):
                    raise
                raise DriverError(f"spawn of {spec.id} failed: {exc}") from exc

    def destroy(self, instance_id: str) -> None:
        guest = self._guest(instance_id)
        with self._lock(instance_id):
            if not guest.path.exists():
                return
            self._stop(guest, graceful=False)
            self._discard(guest)

    def power_off(self, instance_id: str) -> None:
        guest = self._guest(instance_id)
        with self._lock(instance_id):
            record = self._record(guest)
            if record.suspended:  # stopping a suspended guest drops its saved state
                record.suspended = False
                guest.save(record)
                guest.saved_state.unlink(missing_ok=True)
            if self._pid(guest) is not None:
                self._stop(guest, graceful=True)
                self._note(guest, "guest powered off")

    def power_on(self, instance_id: str) -> None:
        guest = self._guest(instance_id)
        with self._lock(instance_id):
            record = self._record(guest)
            self._end_if_dead(guest)
            if self._pid(guest) is not None:
                if self._status(guest) in ("paused", "prelaunch"):
                    with self._qmp(guest) as qmp:
                        qmp.execute("cont")
                return
            if record.suspended and guest.saved_state.exists():
                self._restore(guest, record)
            else:
                self._launch(guest, record)

    def reboot(self, instance_id: str, hard: bool) -> None:
        """Hard: a reset (or a start when the guest is down or panicked). Soft: ACPI
        power-off, and a fresh start once the guest is down; a guest that ignores ACPI for
        ``shutdown_timeout`` seconds is reset instead."""
        guest = self._guest(instance_id)
        with self._lock(instance_id):
            record = self._record(guest)
            self._end_if_dead(guest)
            pid = self._pid(guest)
            if pid is None:
                if record.suspended:
                    record.suspended = False
                    guest.save(record)
                    guest.saved_state.unlink(missing_ok=True)
                self._launch(guest, record)
                return
            if not hard and self._status(guest) == "running":
                with self._qmp(guest) as qmp:
                    qmp.execute("system_powerdown")
                if wait_gone(pid, guest.pidfile, self.shutdown_timeout):
                    self._launch(guest, record)
                    return
            self._note(guest, "guest reset")
            with self._qmp(guest) as qmp:
                qmp.execute("system_reset")
                if qmp.execute("query-status")["status"] != "running":
                    qmp.execute("cont")

    def console_output(self, instance_id: str) -> str:
        try:
            guest = self._guest(instance_id)
            with open(guest.console, "rb") as f:
                f.seek(max(f.seek(0, os.SEEK_END) - CONSOLE_TAIL, 0))
                tail = f.read()
        except (OSError, InstanceNotFound):
            return ""
        text = tail.decode("utf-8", errors="replace")
        while len(text.encode()) > CONSOLE_TAIL:  # replacement characters take 3 bytes
            text = text[len(text) // 10:]
        return text

    def console_size(self, instance_id: str) -> int:
        try:
            return self._guest(instance_id).console.stat().st_size
        except (OSError, InstanceNotFound):
            return 0

    def recover(self) -> list[str]:
        """Re-adopt every guest with a record; clean what an unfinished spawn left and
        pid files that no longer name our QEMU (the host rebooted, the guest died)."""
        adopted = []
        for instance_id in guest_ids(self.root):
            guest = GuestDir(self.root, instance_id)
            with self._lock(instance_id):
                if not guest.exists():
                    self._discard(guest)
                    continue
                if guest.pidfile.exists() and self._pid(guest) is None:
                    for stale in (guest.pidfile, guest.sock(GuestDir.QMP),
                                  guest.sock(GuestDir.STATUS)):
                        stale.unlink(missing_ok=True)
                adopted.append(instance_id)
        return adopted

    def image_cache_dir(self) -> Path:
        """Base images are shared by the hosts of one state directory."""
        return self.state_root / "images"

    def attached_ports(self, instance_id: str) -> list[str]:
        try:
            return list(self._guest(instance_id).load().nic_devices)
        except (FileNotFoundError, InstanceNotFound):
            return []

    def pid_of(self, instance_id: str) -> int | None:
        """The pid of the guest's QEMU (for tests and diagnostics)."""
        return self._pid(self._guest(instance_id))

    def wait_for_status(self, guest: GuestDir, wanted: tuple[str, ...],
                        timeout: float) -> str | None:
        """Poll the run state until it is one of ``wanted``; the last state seen."""
        deadline = time.monotonic() + timeout
        status = self._status(guest)
        while status not in wanted and time.monotonic() < deadline:
            time.sleep(0.05)
            status = self._status(guest)
        return status

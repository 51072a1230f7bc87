"""The QEMU driver's optional capabilities: pause, suspend (the guest's state saved to a
file, QEMU gone), cold resize, rebuild, snapshot, and live migration between two drivers
on one machine. Hot-plug lives in ``hotplug``.

Live migration treats the machine's disk as shared storage: the destination's guest
directory gets hard links to the source's disk files (one inode, written by whichever
QEMU holds the write lock), and QEMU moves memory and device state over the destination's
``incoming.sock``; the source hands its QEMU the connected socket (``getfd``), so the
socket's path length never matters."""
from __future__ import annotations

import copy
import os
import secrets
import shutil
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from onestack.compute.drivers.base import DriverError, InstanceSpec
from onestack.compute.drivers.qemu import configdrive, disks
from onestack.compute.drivers.qemu.hotplug import Hotplug
from onestack.compute.drivers.qemu.layout import GuestDir, Record
from onestack.compute.drivers.qemu.peers import peer_guest
from onestack.compute.drivers.qemu.process import EXIT_WAIT, kill_hard, wait_gone
from onestack.compute.drivers.qemu.qmp import QMP, QMPError, connect_unix

if TYPE_CHECKING:
    from onestack.compute.drivers.qemu.driver import QemuDriver

MIGRATION_TIMEOUT = 600.0  # seconds a save, a restore or a live migration may take
CHUNK = 1 << 20


def wait_migration(qmp: QMP, timeout: float = MIGRATION_TIMEOUT) -> None:
    """Until the outgoing migration completed; ``DriverError`` when it failed."""
    deadline = time.monotonic() + timeout
    while True:
        info = qmp.execute("query-migrate")
        status = info.get("status")
        if status == "completed":
            return
        if status in ("failed", "cancelled"):
            raise DriverError(f"migration {status}: {info.get('error-desc', '')}")
        if time.monotonic() >= deadline:
            qmp.execute("migrate_cancel")
            raise DriverError(f"migration did not finish in {timeout:.0f} seconds")
        time.sleep(0.05)


def refuse_with_held_devices(record: Record) -> None:
    """A NIC the guest never released is still in its device tree but no longer in the
    record, so a QEMU started from the record could not load the guest's state."""
    if record.held_ports:
        raise DriverError("the guest has not released a detached NIC yet; its state can "
                          "only move once it does (or after a reboot)")


class Extras(Hotplug):
    """Mixed into ``QemuDriver``."""

    # --- pause ------------------------------------------------------------------------
    def pause(self: QemuDriver, instance_id: str) -> None:
        self._command(instance_id, "stop")

    def unpause(self: QemuDriver, instance_id: str) -> None:
        self._command(instance_id, "cont")

    def _command(self: QemuDriver, instance_id: str, command: str) -> None:
        guest = self._guest(instance_id)
        with self._lock(instance_id):
            self._record(guest)
            if self._pid(guest) is None:
                raise DriverError(f"guest {instance_id} is not running")
            with self._qmp(guest) as qmp:
                qmp.execute(command)

    # --- suspend: the state to a file, QEMU gone --------------------------------------------
    def suspend(self: QemuDriver, instance_id: str) -> None:
        guest = self._guest(instance_id)
        with self._lock(instance_id):
            record = self._record(guest)
            pid = self._pid(guest)
            if pid is None:
                if record.suspended and guest.saved_state.exists():
                    return
                raise DriverError(f"guest {instance_id} is not running")
            refuse_with_held_devices(record)
            partial = guest.saved_state.with_suffix(".partial")
            with self._qmp(guest, MIGRATION_TIMEOUT) as qmp:
                qmp.execute("stop")
                fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                try:
                    qmp.execute("getfd", {"fdname": "suspend"}, fds=[fd])
                finally:
                    os.close(fd)
                try:
                    qmp.execute("migrate", {"uri": "fd:suspend"})
                    wait_migration(qmp)
                except (DriverError, QMPError):
                    qmp.execute("cont")
                    partial.unlink(missing_ok=True)
                    raise
                os.replace(partial, guest.saved_state)
                record.suspended = True
                guest.save(record)
                try:
                    qmp.execute("quit")
                except QMPError:
                    pass
            if not wait_gone(pid, guest.pidfile, EXIT_WAIT):
                kill_hard(pid, guest.pidfile)
            self._note(guest, "guest suspended (state saved)")

    def resume(self: QemuDriver, instance_id: str) -> None:
        guest = self._guest(instance_id)
        with self._lock(instance_id):
            record = self._record(guest)
            if self._pid(guest) is not None:
                return
            if record.suspended and guest.saved_state.exists():
                self._restore(guest, record)
            else:
                self._launch(guest, record)

    def _restore(self: QemuDriver, guest: GuestDir, record: Record) -> None:
        """Start QEMU on the saved state; the guest continues where it was suspended."""
        fd = os.open(guest.saved_state, os.O_RDONLY)
        try:
            self._launch(guest, record, incoming=f"fd:{fd}", pass_fds=(fd,))
        finally:
            os.close(fd)
        status = self.wait_for_status(guest, ("running", "paused", "postmigrate",
                                              "internal-error", "shutdown"),
                                      MIGRATION_TIMEOUT)
        if status not in ("running", "paused"):
            raise DriverError(f"guest {guest.instance_id} did not resume: {status}")
        if status == "paused":  # it was stopped to be saved
            with self._qmp(guest) as qmp:
                qmp.execute("cont")
        record.suspended = False
        guest.save(record)
        guest.saved_state.unlink(missing_ok=True)
        self._note(guest, "guest resumed")

    # --- resize and rebuild -----------------------------------------------------------------
    def resize(self: QemuDriver, spec: InstanceSpec) -> None:
        """Cold: the guest stops (ACPI first), gets the new vCPUs and memory, its root
        disk grows to the new size, and it starts again."""
        guest = self._guest(spec.id)
        with self._lock(spec.id):
            record = self._record(guest)
            self._stop(guest, graceful=True)
            record.spec = replace(record.spec, vcpus=spec.vcpus, memory_mb=spec.memory_mb,
                                  disk_gb=spec.disk_gb)
            record.suspended = False
            guest.saved_state.unlink(missing_ok=True)
            disks.grow_root(guest, spec.disk_gb)
            guest.save(record)
            self._note(guest, f"resized to {spec.vcpus} vCPUs, {spec.memory_mb} MiB, "
                              f"{spec.disk_gb} GB")
            self._launch(guest, record)

    def rebuild(self: QemuDriver, spec: InstanceSpec) -> None:
        """A new root disk from the spec's image (volumes and NICs stay), then a boot."""
        guest = self._guest(spec.id)
        with self._lock(spec.id):
            if not guest.exists():
                self.spawn(spec)
                return
            record = self._record(guest)
            self._stop(guest, graceful=False)
            fresh = copy.deepcopy(spec)
            fresh.nics = fresh.nics or record.spec.nics
            fresh.block_devices = fresh.block_devices or record.spec.block_devices
            record.spec, record.suspended = fresh, False
            self._assign_ids(record)
            for old in (guest.disk, guest.config_drive, guest.saved_state):
                old.unlink(missing_ok=True)
            disks.make_root(guest, fresh)
            if fresh.config_drive:
                configdrive.build(guest.config_drive, fresh)
            guest.save(record)
            self._note(guest, f"rebuilt from image {fresh.image_ref or '(blank)'}")
            self._launch(guest, record)

    # --- rescue -------------------------------------------------------------------------------
    def rescue(self: QemuDriver, spec: InstanceSpec) -> None:
        guest = self._guest(spec.id)
        with self._lock(spec.id):
            record = self._record(guest)
            if record.rescue and self._pid(guest) is not None:
                return
            self._stop(guest, graceful=False)
            guest.rescue_disk.unlink(missing_ok=True)
            disks.make_root(guest, spec, guest.rescue_disk)
            record.rescue, record.suspended = True, False
            guest.saved_state.unlink(missing_ok=True)
            guest.save(record)
            self._note(guest, "rescue: booting the rescue disk, the root disk second")
            self._launch(guest, record)

    def unrescue(self: QemuDriver, instance_id: str) -> None:
        guest = self._guest(instance_id)
        with self._lock(instance_id):
            record = self._record(guest)
            if not record.rescue and self._pid(guest) is not None:
                return
            self._stop(guest, graceful=False)
            record.rescue = False
            guest.save(record)
            guest.rescue_disk.unlink(missing_ok=True)
            self._note(guest, "unrescue: booting the root disk")
            self._launch(guest, record)

    # --- snapshot -----------------------------------------------------------------------------
    def snapshot(self: QemuDriver, instance_id: str) -> Iterator[bytes] | None:
        """The root disk (overlay and base flattened) as a byte stream in the format of
        the image the guest came from — the format the image service gives the snapshot
        (qcow2 stays qcow2; raw, or no image at all, is raw). The guest is paused while
        it is copied, so the image is consistent. None for a guest that boots from a
        volume (no local root disk)."""
        guest = self._guest(instance_id)
        with self._lock(instance_id):
            image = self._record(guest).spec.image
            if not guest.disk.exists():
                return None
            fmt = "qcow2" if image is not None and image.disk_format == "qcow2" else "raw"
            target = guest.path / f"snapshot-{secrets.token_hex(4)}.{fmt}"
            paused = self._status(guest) == "running"
            if paused:
                with self._qmp(guest) as qmp:
                    qmp.execute("stop")
            try:
                disks.qemu_img("convert", "-U", "-O", fmt, str(guest.disk), str(target))
            finally:
                if paused:
                    with self._qmp(guest) as qmp:
                        qmp.execute("cont")
        return _stream_and_remove(target)

    # --- live migration -----------------------------------------------------------------------
    def prepare_live_migration(self: QemuDriver, spec: InstanceSpec) -> None:
        guest = self._guest(spec.id)
        with self._lock(spec.id):
            if guest.exists() and self._pid(guest) is not None:
                return
            source = peer_guest(self.state_root, self.root, spec.id)
            if source is None:
                raise DriverError(f"no host under {self.state_root} runs {spec.id}: live "
                                  "migration moves guests between hosts of one machine")
            self._discard(guest)
            guest.path.mkdir(parents=True)
            try:
                record = source.load()
                record.spec = replace(copy.deepcopy(spec), nics=spec.nics or record.spec.nics,
                                      block_devices=spec.block_devices or
                                      record.spec.block_devices)
                record.suspended = False
                self._assign_ids(record)
                for name in (source.disk, source.ephemeral, source.swap, source.config_drive):
                    if name.exists():
                        os.link(name, guest.path / name.name)
                if source.console.exists():  # the guest's log so far goes with it
                    shutil.copyfile(source.console, guest.console)
                self._launch(guest, record, incoming=f"unix:{GuestDir.INCOMING}", paused=True)
                guest.save(record)
            except BaseException as exc:
                self._discard(guest)
                if isinstance(exc, (DriverError, KeyboardInterrupt, SystemExit)):
                    raise
                raise DriverError(f"preparing {spec.id} for live migration: {exc}") from exc

    def live_migrate(self: QemuDriver, instance_id: str, dest_host: str) -> None:
        guest = self._guest(instance_id)
        with self._lock(instance_id):
            if not guest.exists():
                return  # already left
            pid = self._pid(guest)
            if pid is None:
                raise DriverError(f"guest {instance_id} is not running")
            refuse_with_held_devices(self._record(guest))
            incoming = self.state_root / f"qemu-{dest_host}" / instance_id / GuestDir.INCOMING
            try:
                channel = connect_unix(incoming, 10.0)
            except OSError as exc:
                raise DriverError(f"{dest_host} does not wait for {instance_id}: {exc}") from exc
            with channel, self._qmp(guest, MIGRATION_TIMEOUT) as qmp:
                qmp.execute("getfd", {"fdname": "migration"}, fds=[channel.fileno()])
                qmp.execute("migrate", {"uri": "fd:migration"})
                wait_migration(qmp)
                try:
                    qmp.execute("quit")
                except QMPError:
                    pass
            if not wait_gone(pid, guest.pidfile, EXIT_WAIT):
                kill_hard(pid, guest.pidfile)
            self._discard(guest)

    def finish_live_migration(self: QemuDriver, instance_id: str) -> None:
        guest = self._guest(instance_id)
        with self._lock(instance_id):
            self._record(guest)
            status = self.wait_for_status(guest, ("running", "paused", "postmigrate",
                                                  "internal-error", "shutdown"),
                                          MIGRATION_TIMEOUT)
            if status not in ("running", "paused"):
                raise DriverError(f"guest {instance_id} did not arrive: {status}")
            if status == "paused":
                with self._qmp(guest) as qmp:
                    qmp.execute("cont")
            guest.sock(GuestDir.INCOMING).unlink(missing_ok=True)
            self._note(guest, f"guest arrived on {self.host}")


def _stream_and_remove(path: Path) -> Iterator[bytes]:
    try:
        with open(path, "rb") as f:
            while chunk := f.read(CHUNK):
                yield chunk
    finally:
        path.unlink(missing_ok=True)

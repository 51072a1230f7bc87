"""A fake hypervisor that behaves like a real one: it keeps each instance's power state and
console log (persisted to a small JSON file, so an agent restarted after ``kill -9`` finds
its instances again), takes a configurable time per operation, and fails on demand. It
offers the core and every optional capability of ``drivers.base``.

Failure injection, for clients testing their error paths: server metadata
``fake:fail=<op>`` (``spawn``, ``reboot``, ``power_off``, …) makes that operation fail.
Test hook: ``crash(id)`` is a guest killed behind the agent's back (``kill -9`` of its
process): it vanishes, or with ``vanish=False`` stays defined but CRASHED.
"""
from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from typing import Iterator

from onestack.compute.drivers.base import (CRASHED, PAUSED, RUNNING, SHUTDOWN, SUSPENDED,
                                           BlockDevice, DriverError, HostResources,
                                           InstanceInfo, InstanceNotFound, InstanceSpec, Nic)


def boot_log(spec: InstanceSpec) -> list[str]:
    """What a small guest prints while it boots."""
    return [
        "[    0.000000] Linux version 6.1.0-onestack-fake (onestack@fake) #1 SMP",
        "[    0.000000] Command line: root=/dev/vda1 console=ttyS0",
        f"[    0.000000] Memory: {spec.memory_mb * 1024}K available",
        f"[    0.010000] smpboot: Allowing {spec.vcpus} CPUs",
        "[    0.400000] EXT4-fs (vda1): mounted filesystem with ordered data mode",
        "[    0.900000] systemd[1]: Reached target Multi-User System.",
        f"Welcome to onestack fake guest {spec.name}",
        f"{spec.name} login: ",
    ]


class FakeDriver:
    def __init__(self, host: str, state_dir: Path | None = None, op_seconds: float = 0.0,
                 vcpus: int = 32, memory_mb: int = 65536, disk_gb: int = 1024):
        self.host = host
        self.op_seconds = op_seconds
        self.resources = HostResources(vcpus, memory_mb, disk_gb, "fake")
        self._lock = threading.Lock()
        self._path = (state_dir / f"fake-{host}.json") if state_dir else None
        self._instances: dict[str, dict] = {}
        self._fail: dict[str, str] = {}
        self._load()

    # --- bookkeeping --------------------------------------------------------
    def _load(self) -> None:
        if self._path and self._path.exists():
            self._instances = json.loads(self._path.read_text())

    def _save(self) -> None:
        if self._path is None:
            return
        tmp = self._path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self._instances))
        os.replace(tmp, self._path)

    def _wait(self, name: str, instance_id: str) -> None:
        """The operation's configured duration, then an injected failure if asked for."""
        if self.op_seconds:
            time.sleep(self.op_seconds)
        if self._fail.get(instance_id) == name:
            raise DriverError(f"fake driver was told to fail {name}")

    def _get(self, instance_id: str) -> dict:
        inst = self._instances.get(instance_id)
        if inst is None:
            raise InstanceNotFound(f"instance {instance_id} not found on {self.host}")
        return inst

    def _log(self, inst: dict, line: str) -> None:
        if line:
            inst["console"] = (inst.get("console", "") + line + "\n")[-65536:]

    def _set(self, instance_id: str, op: str, power: int, line: str) -> None:
        self._wait(op, instance_id)
        with self._lock:
            inst = self._get(instance_id)
            inst["power"] = power
            self._log(inst, line)
            self._save()

    def _create(self, spec: InstanceSpec, power: int) -> None:
        """Define the guest unless it exists; boot it when ``power`` is RUNNING."""
        with self._lock:
            if spec.id in self._instances:
                return
            inst = {"power": power, "name": spec.name, "console": "",
                    "volumes": {d.volume_id: d.device_name for d in spec.block_devices},
                    "connections": {d.volume_id: dict(d.connection)
                                    for d in spec.block_devices},
                    "interfaces": {}}
            if power == RUNNING:
                for line in boot_log(spec):
                    self._log(inst, line)
            self._instances[spec.id] = inst
            self._save()

    # --- the core -------------------------------------------------------------
    def host_resources(self) -> HostResources:
        return self.resources

    def list_instances(self) -> dict[str, int]:
        with self._lock:
            return {i: v["power"] for i, v in self._instances.items()}

    def get_info(self, instance_id: str) -> InstanceInfo:
        with self._lock:
            return InstanceInfo(self._get(instance_id)["power"])

    def spawn(self, spec: InstanceSpec) -> None:
        if spec.metadata.get("fake:fail"):
            self._fail[spec.id] = spec.metadata["fake:fail"]
        self._wait("spawn", spec.id)
        self._create(spec, RUNNING)

    def destroy(self, instance_id: str) -> None:
        self._wait("destroy", instance_id)
        with self._lock:
            self._instances.pop(instance_id, None)
            self._fail.pop(instance_id, None)
            self._save()

    def power_off(self, instance_id: str) -> None:
        self._set(instance_id, "power_off", SHUTDOWN, "reboot: Power down")

    def power_on(self, instance_id: str) -> None:
        self._set(instance_id, "power_on", RUNNING, "[    0.000000] Linux version 6.1.0")

    def reboot(self, instance_id: str, hard: bool) -> None:
        self._set(instance_id, "reboot", RUNNING,
                  "[    0.000000] reboot: " + ("hard" if hard else "soft"))

    def console_output(self, instance_id: str) -> str:
        with self._lock:
            inst = self._instances.get(instance_id)
            return inst.get("console", "") if inst else ""

    def recover(self) -> list[str]:
        """Guests outlive the agent (as QEMU processes do): re-read the state file."""
        with self._lock:
            self._load()
            return sorted(self._instances)

    # --- optional capabilities ---------------------------------------------------
    def pause(self, instance_id: str) -> None:
        self._set(instance_id, "pause", PAUSED, "")

    def unpause(self, instance_id: str) -> None:
        self._set(instance_id, "unpause", RUNNING, "")

    def suspend(self, instance_id: str) -> None:
        self._set(instance_id, "suspend", SUSPENDED, "PM: suspend entry (deep)")

    def resume(self, instance_id: str) -> None:
        self._set(instance_id, "resume", RUNNING, "PM: suspend exit")

    def rebuild(self, spec: InstanceSpec) -> None:
        self._wait("rebuild", spec.id)
        with self._lock:
            self._instances.pop(spec.id, None)
        self.spawn(spec)

    def resize(self, spec: InstanceSpec) -> None:
        self._set(spec.id, "resize", RUNNING, f"resized to {spec.vcpus} vcpus")

    def snapshot(self, instance_id: str) -> Iterator[bytes] | None:
        """The fake keeps no disk: the agent stores the image the guest booted from."""
        self._wait("snapshot", instance_id)
        with self._lock:
            self._get(instance_id)
        return None

    def prepare_live_migration(self, spec: InstanceSpec) -> None:
        self._wait("prepare_live_migration", spec.id)
        self._create(spec, PAUSED)

    def live_migrate(self, instance_id: str, dest_host: str) -> None:
        self._wait("live_migrate", instance_id)
        with self._lock:
            inst = self._instances.pop(instance_id, None)
            if inst is not None:
                self._save()

    def finish_live_migration(self, instance_id: str) -> None:
        self._set(instance_id, "finish_live_migration", RUNNING, "")

    def attach_volume(self, instance_id: str, device: BlockDevice) -> None:
        self._wait("attach_volume", instance_id)
        with self._lock:
            inst = self._get(instance_id)
            inst.setdefault("volumes", {})[device.volume_id] = device.device_name
            inst.setdefault("connections", {})[device.volume_id] = dict(device.connection)
            self._save()

    def detach_volume(self, instance_id: str, volume_id: str) -> None:
        with self._lock:
            inst = self._get(instance_id)
            inst.setdefault("volumes", {}).pop(volume_id, None)
            inst.setdefault("connections", {}).pop(volume_id, None)
            self._save()

    def attach_interface(self, instance_id: str, nic: Nic) -> None:
        self._wait("attach_interface", instance_id)
        with self._lock:
            self._get(instance_id).setdefault("interfaces", {})[nic.port_id] = nic.mac
            self._save()

    def detach_interface(self, instance_id: str, port_id: str) -> None:
        with self._lock:
            self._get(instance_id).setdefault("interfaces", {}).pop(port_id, None)
            self._save()

    # --- for tests and diagnostics ----------------------------------------------
    def attached(self, instance_id: str) -> tuple[dict[str, str], dict[str, str]]:
        """(volume id → device, port id → mac) of a guest."""
        with self._lock:
            inst = self._get(instance_id)
            return dict(inst.get("volumes", {})), dict(inst.get("interfaces", {}))

    def connections(self, instance_id: str) -> dict[str, dict]:
        """volume id → the connection_info the guest's disk was given."""
        with self._lock:
            return dict(self._get(instance_id).get("connections", {}))

    def crash(self, instance_id: str, vanish: bool = True) -> None:
        """A guest killed behind the agent's back: gone, or left defined but CRASHED."""
        with self._lock:
            if vanish:
                self._instances.pop(instance_id, None)
            elif instance_id in self._instances:
                self._instances[instance_id]["power"] = CRASHED
            self._save()

    def diagnostics(self, instance_id: str) -> dict:
        with self._lock:
            inst = self._instances.get(instance_id)
            return {"state": {RUNNING: "running", PAUSED: "paused", SHUTDOWN: "shutdown",
                              SUSPENDED: "suspended"}.get(inst["power"], "pending")
                    if inst else "pending", "uptime": 0}

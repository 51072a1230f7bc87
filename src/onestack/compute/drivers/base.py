"""The virt-driver seam: what a hypervisor must do for the host agent.

Contract, for every driver:
- ``spawn`` leaves no partial instance on failure and succeeds when the instance already runs.
- ``destroy`` succeeds when the instance is already gone.
- every method is idempotent: the agent may repeat any step after a crash.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

# Nova's power states, as the API reports them.
NOSTATE, RUNNING, PAUSED, SHUTDOWN, CRASHED, SUSPENDED = 0, 1, 3, 4, 6, 7


@dataclass
class InstanceSpec:
    id: str
    name: str
    vcpus: int
    memory_mb: int
    disk_gb: int
    image_ref: str = ""
    user_data: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass
class HostResources:
    vcpus: int
    memory_mb: int
    disk_gb: int
    hypervisor_type: str
    hypervisor_version: int = 1000


class DriverError(Exception):
    """The hypervisor refused or failed an operation."""


class VirtDriver(Protocol):
    def host_resources(self) -> HostResources: ...

    def list_instances(self) -> dict[str, int]:
        """Instance id → power state, as the hypervisor sees it."""

    def spawn(self, spec: InstanceSpec) -> None: ...

    def destroy(self, instance_id: str) -> None: ...

    def reboot(self, instance_id: str, hard: bool) -> None: ...

    def power_off(self, instance_id: str) -> None: ...

    def power_on(self, instance_id: str) -> None: ...

    def pause(self, instance_id: str) -> None: ...

    def unpause(self, instance_id: str) -> None: ...

    def suspend(self, instance_id: str) -> None: ...

    def resume(self, instance_id: str) -> None: ...

    def rebuild(self, spec: InstanceSpec) -> None: ...

    def resize(self, spec: InstanceSpec) -> None: ...

    def console_output(self, instance_id: str) -> str: ...

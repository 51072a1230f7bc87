"""The virt-driver seam: what a hypervisor must do for the host agent.

A driver has a small core (``VirtDriver``) every hypervisor can offer, and optional
capabilities as separate small Protocols (``Pausable``, ``LiveMigratable``, …); the agent asks
``isinstance(driver, Pausable)`` before using one, so a new driver starts with the core and
grows capability by capability.

Contract, for every driver (checked by ``tests/contract/test_virt_driver.py``):
- ``spawn`` leaves no partial instance on failure and succeeds when the instance already runs.
- ``destroy`` succeeds when the instance is already gone.
- ``list_instances`` and ``get_info`` report what the hypervisor sees right now, whoever
  caused it (the agent, the guest shutting itself down, a crash).
- every method is idempotent: the agent may repeat any step after a crash.
- a driver re-created on the same state (an agent restarted after ``kill -9``) finds the
  guests that still run: ``recover`` re-adopts them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Protocol, TypeVar, runtime_checkable

# Nova's power states, as the API reports them.
NOSTATE, RUNNING, PAUSED, SHUTDOWN, CRASHED, SUSPENDED = 0, 1, 3, 4, 6, 7


@dataclass(frozen=True)
class Nic:
    """One network interface the guest gets (filled by the network service later)."""
    port_id: str
    mac: str
    network_id: str = ""
    fixed_ips: tuple[str, ...] = ()
    mtu: int = 1500


@dataclass(frozen=True)
class BlockDevice:
    """One volume attached to the guest; ``connection`` is what the volume service hands
    over (an iSCSI target, a file path, …)."""
    volume_id: str
    device_name: str
    boot_index: int | None = None
    connection: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ImageRef:
    """The image the root disk comes from; ``path`` is the host's cached copy once the
    agent has fetched it (None while the driver needs no local file, as the fake)."""
    id: str
    path: str | None = None
    disk_format: str = "raw"


@dataclass
class InstanceSpec:
    """Everything a hypervisor needs to build a guest; NICs, block devices, keys and the
    config drive are empty until the network and volume services fill them."""
    id: str
    name: str
    vcpus: int
    memory_mb: int
    disk_gb: int
    image_ref: str = ""
    user_data: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    image: ImageRef | None = None
    nics: list[Nic] = field(default_factory=list)
    block_devices: list[BlockDevice] = field(default_factory=list)
    key_name: str | None = None
    public_keys: list[str] = field(default_factory=list)
    config_drive: bool = False
    ephemeral_gb: int = 0  # the flavor's ephemeral and swap disks (drivers with disks)
    swap_mb: int = 0
    # the config drive's files (path → content) when ``config_drive``; the agent fills it
    # for drivers that ``UsesLocalFiles``
    config_drive_files: dict[str, bytes] = field(default_factory=dict)


@dataclass(frozen=True)
class InstanceInfo:
    """What the hypervisor reports about one guest."""
    power_state: int


@dataclass
class HostResources:
    vcpus: int
    memory_mb: int
    disk_gb: int
    hypervisor_type: str
    hypervisor_version: int = 1000


class DriverError(Exception):
    """The hypervisor refused or failed an operation."""


class InstanceNotFound(DriverError):
    """The hypervisor runs no guest with this id (never created, destroyed, or vanished)."""


class BuildAborted(DriverError):
    """The guest cannot be built from what the server asks for on any host (its image's
    data is not a usable disk, the flavor's disk is smaller than the image): the server
    goes to ERROR with this as its fault instead of being tried on another host."""


class ImageUnacceptable(BuildAborted):
    def __init__(self, image_id: str, reason: str):
        super().__init__(f"Image {image_id} is unacceptable: {reason}")
        self.image_id, self.reason = image_id, reason


class FlavorDiskTooSmall(BuildAborted):
    def __init__(self, flavor_bytes: int, image_bytes: int):
        super().__init__(f"Flavor's disk is too small for requested image. Flavor disk is "
                         f"{flavor_bytes} bytes, image is {image_bytes} bytes.")
        self.flavor_bytes, self.image_bytes = flavor_bytes, image_bytes


@runtime_checkable
class VirtDriver(Protocol):
    """The core every hypervisor offers."""

    def host_resources(self) -> HostResources: ...

    def list_instances(self) -> dict[str, int]:
        """Instance id → power state, for every guest this driver manages on the host."""

    def get_info(self, instance_id: str) -> InstanceInfo:
        """The guest's state now; raises ``InstanceNotFound`` when there is none."""

    def spawn(self, spec: InstanceSpec) -> None:
        """Create and start the guest; nothing is left behind when it fails, and it
        succeeds (changing nothing) when the guest already exists."""

    def destroy(self, instance_id: str) -> None:
        """Stop the guest and remove it and its local disks; succeeds when already gone."""

    def power_off(self, instance_id: str) -> None: ...

    def power_on(self, instance_id: str) -> None: ...

    def reboot(self, instance_id: str, hard: bool) -> None: ...

    def console_output(self, instance_id: str) -> str:
        """The guest's serial console so far ("" when there is no guest)."""

    def recover(self) -> list[str]:
        """After an agent restart: re-attach to the guests the host still runs (from the
        driver's persisted state) and return their ids; the agent's resync then compares
        them with the database."""


@runtime_checkable
class Pausable(Protocol):
    def pause(self, instance_id: str) -> None: ...

    def unpause(self, instance_id: str) -> None: ...


@runtime_checkable
class Suspendable(Protocol):
    def suspend(self, instance_id: str) -> None: ...

    def resume(self, instance_id: str) -> None: ...


@runtime_checkable
class Resizable(Protocol):
    def resize(self, spec: InstanceSpec) -> None:
        """Give the guest the spec's vCPUs, memory and disk in place (same host)."""


@runtime_checkable
class Rebuildable(Protocol):
    def rebuild(self, spec: InstanceSpec) -> None:
        """Re-create the root disk from the spec's image and boot it; without this the
        agent destroys and spawns."""


@runtime_checkable
class Rescuable(Protocol):
    """Without this the agent's rescue is a hard reboot."""

    def rescue(self, spec: InstanceSpec) -> None:
        """Boot the guest from a fresh disk of the spec's image (the rescue image) with
        its own root disk attached as the second disk; succeeds when already rescued."""

    def unrescue(self, instance_id: str) -> None:
        """Boot the guest from its own root disk again; the rescue disk goes."""


@runtime_checkable
class Snapshotting(Protocol):
    def snapshot(self, instance_id: str) -> Iterator[bytes] | None:
        """The guest's root disk as a byte stream, or None when the driver keeps no disk
        of its own (the fake: the agent stores the image the guest booted from)."""


@runtime_checkable
class LiveMigratable(Protocol):
    """A live migration in three steps on two hosts: the destination prepares an incoming
    guest, the source moves the running guest to it (and keeps no copy), the destination
    resumes it. Each step is idempotent."""

    def prepare_live_migration(self, spec: InstanceSpec) -> None:
        """On the destination: an incoming guest (paused) ready to receive the state."""

    def live_migrate(self, instance_id: str, dest_host: str) -> None:
        """On the source: send the guest to ``dest_host``; afterwards the source runs no
        copy. Succeeds when the guest has already left."""

    def finish_live_migration(self, instance_id: str) -> None:
        """On the destination: the guest runs here."""


@runtime_checkable
class VolumeAttaching(Protocol):
    def attach_volume(self, instance_id: str, device: BlockDevice) -> None: ...

    def detach_volume(self, instance_id: str, volume_id: str) -> None:
        """Succeeds when the volume is not attached."""


@runtime_checkable
class InterfaceAttaching(Protocol):
    def attach_interface(self, instance_id: str, nic: Nic) -> None: ...

    def detach_interface(self, instance_id: str, port_id: str) -> None:
        """Succeeds when the interface is not attached."""


@runtime_checkable
class UsesLocalFiles(Protocol):
    """A driver that builds guests from files on the host (QEMU): the agent fetches the
    base image once into ``image_cache_dir()`` and names the cached file in
    ``ImageRef.path``, fills the spec's NICs and config drive files, keeps a running
    guest's NICs equal to the server's ports, and records its serial log as it grows."""

    def image_cache_dir(self) -> Path: ...

    def attached_ports(self, instance_id: str) -> list[str]:
        """The ports the guest has a NIC for (the agent hot-plugs the difference with
        the server's ports); [] when there is no guest."""

    def console_size(self, instance_id: str) -> int:
        """How far the guest's serial log has grown (the agent records the log again
        when it changes; 0 when there is none)."""


Capability = TypeVar("Capability")


def require(driver: object, capability: type[Capability], what: str) -> Capability:
    """The driver as ``capability``, or a ``DriverError`` the agent records as the
    action's fault when the hypervisor does not offer it."""
    if not isinstance(driver, capability):
        raise DriverError(f"this hypervisor cannot {what}")
    return driver

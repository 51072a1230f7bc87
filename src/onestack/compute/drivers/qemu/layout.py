"""One directory per guest under the driver's state directory. It is the guest's only
persistent state, so an agent restarted after ``kill -9`` finds every guest again: the
record (``spec.json``: the spec and what the driver did to it) says the guest exists; the
pid file and the QMP socket lead to the QEMU process that runs it, if any.

A directory without a record is a spawn that did not finish: ``recover`` and the next
``spawn`` clean it up (stopping its QEMU, if one started)."""
from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from onestack.compute.drivers.base import BlockDevice, ImageRef, InstanceSpec, Nic

RECORD = "spec.json"


@dataclass
class Record:
    """What the driver persists about a guest: its spec (with the devices hot-plugged
    since) and the driver-side state no QEMU process can tell (a saved suspend state)."""
    spec: InstanceSpec
    suspended: bool = False
    # volume id / port id → the QEMU device id it got (unique per attach)
    volume_devices: dict[str, str] = field(default_factory=dict)
    nic_devices: dict[str, str] = field(default_factory=dict)
    # where each device sits, kept so that every start (a restore, a migration's
    # destination) builds the device tree the running guest had: volume → SCSI LUN,
    # port → PCIe root port number
    volume_luns: dict[str, int] = field(default_factory=dict)
    nic_ports: dict[str, int] = field(default_factory=dict)
    held_ports: list[int] = field(default_factory=list)  # NICs a guest did not let go
    # port → tap queues QEMU opens: 2 on a multi-queue tap (a migration's destination on
    # the same machine opens it beside the source), 1 on a tap made without that flag
    nic_queues: dict[str, int] = field(default_factory=dict)
    serial: int = 0  # a counter for device ids that must never repeat within one process
    rescue: bool = False  # booting from the rescue disk, its own root disk second


def spec_from_dict(data: dict[str, Any]) -> InstanceSpec:
    """The inverse of ``dataclasses.asdict`` for an ``InstanceSpec``."""
    values = dict(data)
    image = values.pop("image", None)
    nics = values.pop("nics", [])
    disks = values.pop("block_devices", [])
    return InstanceSpec(
        **values, image=ImageRef(**image) if image else None,
        nics=[Nic(**{**n, "fixed_ips": tuple(n.get("fixed_ips", ()))}) for n in nics],
        block_devices=[BlockDevice(**d) for d in disks])


class GuestDir:
    """The paths of one guest's directory. Sockets are used through short names relative
    to the directory (``sock_name``): a unix socket path holds at most 107 bytes and
    state directories can be longer than that."""

    def __init__(self, root: Path, instance_id: str):
        self.instance_id = instance_id
        self.path = root / instance_id

    @property
    def disk(self) -> Path:
        return self.path / "disk.qcow2"

    @property
    def rescue_disk(self) -> Path:
        return self.path / "rescue.qcow2"

    @property
    def ephemeral(self) -> Path:
        return self.path / "ephemeral.qcow2"

    @property
    def swap(self) -> Path:
        return self.path / "swap.img"

    @property
    def config_drive(self) -> Path:
        return self.path / "config-drive.img"

    @property
    def pidfile(self) -> Path:
        return self.path / "qemu.pid"

    @property
    def console(self) -> Path:
        return self.path / "console.log"

    @property
    def saved_state(self) -> Path:
        """The suspended guest's memory and device state (a migration stream)."""
        return self.path / "suspended.state"

    @property
    def record_path(self) -> Path:
        return self.path / RECORD

    QMP = "qmp.sock"  # actions, one client at a time
    STATUS = "status.sock"  # query-status only, never held long
    INCOMING = "incoming.sock"

    def sock(self, name: str) -> Path:
        return self.path / name

    # --- the record ---------------------------------------------------------------
    def exists(self) -> bool:
        return self.record_path.exists()

    def load(self) -> Record:
        data = json.loads(self.record_path.read_text())
        known = {f.name for f in fields(Record)} - {"spec"}
        return Record(spec=spec_from_dict(data["spec"]),
                      **{k: v for k, v in data.items() if k in known})

    def save(self, record: Record) -> None:
        """Atomically: a crash leaves the old record or the new one."""
        spec = asdict(record.spec)
        spec.pop("config_drive_files", None)  # written into the drive once, not kept
        data = {**{f.name: getattr(record, f.name) for f in fields(Record)}, "spec": spec}
        tmp = self.record_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=1))
        os.replace(tmp, self.record_path)

    def read_pid(self) -> int | None:
        try:
            return int(self.pidfile.read_text().strip())
        except (OSError, ValueError):
            return None

    def remove(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


def lowest_free(taken: list[int] | set[int]) -> int:
    """The smallest number not taken (LUNs, port numbers)."""
    taken = set(taken)
    return next(n for n in range(len(taken) + 1) if n not in taken)


def guest_ids(root: Path) -> list[str]:
    """Every guest directory under ``root`` (with or without a record)."""
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))

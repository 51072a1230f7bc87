"""The QEMU command line of a guest, from its record. Pure: it reads no files and starts
nothing, so it is tested on its own.

Devices: the pvpanic device (a guest kernel's panic is seen); the root disk (a qcow2
overlay), ephemeral and swap disks and the config drive on virtio-blk; volumes as SCSI
disks on a virtio-scsi controller (a SCSI disk is removed at once on detach, with no help
from the guest, unlike a PCI device); NICs as virtio-net on PCIe root ports (q35
hot-plugs only behind those), with spare ports for NICs attached later. Sockets are named
relative to the guest directory (QEMU's working directory at start), so a deep state
directory does not overflow the unix socket path limit."""
from __future__ import annotations

import json
import uuid
from typing import Any

from onestack.compute.drivers.base import BlockDevice, Nic
from onestack.compute.drivers.qemu.layout import GuestDir, Record
from onestack.core.dataplane import tap_name

SPARE_PORTS = 4  # PCIe root ports left free for hot-plugged NICs


def qemu_id(prefix: str, serial: int) -> str:
    """A QEMU device or node id: a letter first, then letters, digits and dashes."""
    return f"{prefix}{serial}"


def volume_path(device: BlockDevice) -> str:
    """The file the volume service hands over (``connection_info`` of the file backend:
    ``{"driver_volume_type": "file", "data": {"device_path": ...}}``, or a flat
    ``{"device_path": ...}``)."""
    conn: Any = device.connection or {}
    data = conn.get("data") if isinstance(conn.get("data"), dict) else conn
    path = data.get("device_path") or data.get("path")
    if not path:
        raise ValueError(f"volume {device.volume_id} has no local path in its connection "
                         f"({conn.get('driver_volume_type', 'unknown type')})")
    return str(path)


def volume_format(device: BlockDevice) -> str:
    conn: Any = device.connection or {}
    data = conn.get("data") if isinstance(conn.get("data"), dict) else conn
    return str(data.get("format") or "raw")


def volume_blockdev(device: BlockDevice, node: str) -> dict[str, Any]:
    """``blockdev-add`` arguments of a volume (raw or qcow2 file)."""
    return {"node-name": node, "driver": volume_format(device),
            "file": {"driver": "file", "filename": volume_path(device)}}


def volume_device(node: str, device_id: str, lun: int) -> dict[str, Any]:
    return {"driver": "scsi-hd", "id": device_id, "drive": node, "bus": "scsi0.0",
            "channel": 0, "scsi-id": 0, "lun": lun}


def nic_netdev(nic: Nic, netdev_id: str, queues: int = 1) -> dict[str, Any]:
    netdev: dict[str, Any] = {"type": "tap", "id": netdev_id,
                              "ifname": tap_name(nic.port_id), "script": "no",
                              "downscript": "no"}
    if queues > 1:
        netdev["queues"] = queues
    return netdev


def nic_device(nic: Nic, netdev_id: str, device_id: str, port: str) -> dict[str, Any]:
    device: dict[str, Any] = {"driver": "virtio-net-pci", "id": device_id,
                              "netdev": netdev_id, "mac": nic.mac, "bus": port}
    if nic.mtu and nic.mtu != 1500:
        device["host_mtu"] = nic.mtu
    return device


def _opts(values: dict[str, Any]) -> str:
    """``key=value,…`` for ``-device``/``-netdev`` (commas in values doubled)."""
    return ",".join(str(v) if k in ("driver", "type") else f"{k}={str(v).replace(',', ',,')}"
                    for k, v in values.items())


def _disk(path: str, node: str, fmt: str = "qcow2") -> list[str]:
    return ["-blockdev", json.dumps({"node-name": node, "driver": fmt,
                                     "file": {"driver": "file", "filename": path}})]


def port_count(record: Record) -> int:
    """The NICs' ports (their numbers as recorded) and spares for hot-plug."""
    used = [*record.nic_ports.values(), *record.held_ports]
    return (max(used) + 1 if used else 0) + SPARE_PORTS


def qemu_argv(guest: GuestDir, record: Record, accel: str, cpu: str,
              binary: str = "qemu-system-x86_64", incoming: str | None = None,
              paused: bool = False) -> list[str]:
    """The command that starts the guest daemonized: it returns once QEMU listens on its
    monitor. ``incoming``: a migration stream to load (``unix:…``, ``fd:N``);
    ``paused``: the CPUs wait for ``cont``."""
    spec = record.spec
    # graphics=off: the firmware writes to the serial console too, so the console log
    # shows why a guest did not boot ("No bootable device.")
    argv = [binary, "-name", f"onestack-{spec.id}", "-machine",
            f"q35,accel={accel},graphics=off",
            "-cpu", cpu,
            "-smp", str(spec.vcpus), "-m", f"{spec.memory_mb}M",
            "-nodefaults", "-display", "none", "-no-user-config",
            "-daemonize", "-pidfile", str(guest.pidfile),
            "-chardev", f"socket,id=qmp,path={GuestDir.QMP},server=on,wait=off",
            "-mon", "chardev=qmp,mode=control",
            "-chardev", f"socket,id=status,path={GuestDir.STATUS},server=on,wait=off",
            "-mon", "chardev=status,mode=control",
            "-chardev", f"file,id=console,path={guest.console},append=on",
            "-serial", "chardev:console",
            # a guest kernel that panics tells the pvpanic device, and QEMU then keeps the
            # guest paused as "guest-panicked" (reported CRASHED) instead of exiting
            "-device", "pvpanic", "-action", "panic=pause"]
    try:
        argv += ["-uuid", str(uuid.UUID(spec.id))]
    except ValueError:
        pass
    boot_volume = next((d for d in spec.block_devices if d.boot_index == 0), None)
    if record.rescue:
        argv += _disk(str(guest.rescue_disk), "rescue")
        argv += ["-device", "virtio-blk-pci,drive=rescue,id=rescue-disk,bootindex=0"]
    if spec.image is not None or boot_volume is None:
        argv += _disk(str(guest.disk), "root")
        argv += ["-device", "virtio-blk-pci,drive=root,id=root-disk" +
                 ("" if record.rescue else ",bootindex=0")]
    for extra, node, size, fmt in ((guest.ephemeral, "ephemeral", spec.ephemeral_gb, "qcow2"),
                                   (guest.swap, "swap", spec.swap_mb, "raw")):
        if size:
            argv += _disk(str(extra), node, fmt)
            argv += ["-device", f"virtio-blk-pci,drive={node},id={node}-disk"]
    if spec.config_drive:
        argv += _disk(str(guest.config_drive), "config", "raw")
        argv += ["-device", "virtio-blk-pci,drive=config,id=config-disk,serial=config-2"]
    argv += ["-device", "virtio-scsi-pci,id=scsi0"]
    for device in spec.block_devices:
        device_id = record.volume_devices[device.volume_id]
        node = "node-" + device_id
        if device is boot_volume and spec.image is None:
            argv += ["-blockdev", json.dumps(volume_blockdev(device, node)),
                     "-device", f"virtio-blk-pci,drive={node},id={device_id},bootindex=0"]
        else:
            argv += ["-blockdev", json.dumps(volume_blockdev(device, node)),
                     "-device", _opts(volume_device(
                         node, device_id, record.volume_luns[device.volume_id]))]
    for index in range(port_count(record)):
        argv += ["-device", f"pcie-root-port,id=port{index},chassis=1,slot={index + 1}"]
    for nic in spec.nics:
        device_id = record.nic_devices[nic.port_id]
        netdev = "net-" + device_id
        port = f"port{record.nic_ports[nic.port_id]}"
        queues = record.nic_queues.get(nic.port_id, 1)
        argv += ["-netdev", _opts(nic_netdev(nic, netdev, queues)),
                 "-device", _opts(nic_device(nic, netdev, device_id, port))]
    if incoming:
        argv += ["-incoming", incoming]
    if paused:
        argv.append("-S")
    return argv

"""Hot-plug of volumes and NICs into a running guest over QMP (a stopped guest only has
its record changed: the next start brings the device).

Volumes are SCSI disks on the guest's virtio-scsi controller: ``blockdev-add`` of the file
the volume service hands over, ``device_add scsi-hd``; on detach ``device_del`` removes the
disk at once (SCSI needs no answer from the guest), then ``blockdev-del``. NICs are
virtio-net devices on a free PCIe root port over the port's tap (made by the network
driver): ``netdev_add`` + ``device_add``. A PCI device leaves only when the guest agrees;
detach waits ``detach_timeout`` seconds for that, and unplugs the tap either way, so the
port is off the network even when a guest ignores the request (it then keeps a NIC with no
link until its next start)."""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from onestack.compute.drivers.base import BlockDevice, DriverError, Nic
from onestack.compute.drivers.qemu.command import (nic_device, nic_netdev, volume_blockdev,
                                                   volume_device)
from onestack.compute.drivers.qemu.qmp import QMP, QMPError

if TYPE_CHECKING:
    from onestack.compute.drivers.qemu.driver import QemuDriver

log = logging.getLogger(__name__)
DETACH_TIMEOUT = 10.0


def port_is_free(qmp: QMP, index: int) -> bool:
    """Whether PCIe root port ``index`` exists and has no device behind it (asked of QOM:
    a port's bus lists its devices as ``child[N]`` links; ``query-pci`` shows them only
    once the firmware has numbered the bus)."""
    port = f"port{index}"
    try:
        props = qmp.execute("qom-list", {"path": f"/machine/peripheral/{port}/{port}"})
    except QMPError as exc:
        if exc.error_class == "DeviceNotFound":
            raise DriverError("the guest has no free PCIe port for another NIC") from exc
        raise
    return not any(p["name"].startswith("child[") for p in props)


def _quietly(qmp: QMP, command: str, arguments: dict[str, Any]) -> None:
    """A removal that may find nothing to remove."""
    try:
        qmp.execute(command, arguments)
    except QMPError as exc:
        log.debug("%s %s: %s", command, arguments, exc)


class Hotplug:
    """Mixed into ``QemuDriver``."""

    detach_timeout: float = DETACH_TIMEOUT

    def attach_volume(self: QemuDriver, instance_id: str, device: BlockDevice) -> None:
        guest = self._guest(instance_id)
        with self._lock(instance_id):
            record = self._record(guest)
            if device.volume_id in record.volume_devices:
                return
            record.spec.block_devices.append(device)
            self._assign_ids(record)
            device_id = record.volume_devices[device.volume_id]
            try:
                blockdev = volume_blockdev(device, "node-" + device_id)
            except ValueError as exc:
                raise DriverError(str(exc)) from exc
            if self._pid(guest) is not None:
                with self._qmp(guest) as qmp:
                    qmp.execute("blockdev-add", blockdev)
                    try:
                        qmp.execute("device_add", volume_device(
                            blockdev["node-name"], device_id,
                            record.volume_luns[device.volume_id]))
                    except QMPError:
                        _quietly(qmp, "blockdev-del", {"node-name": blockdev["node-name"]})
                        raise
            guest.save(record)

    def detach_volume(self: QemuDriver, instance_id: str, volume_id: str) -> None:
        guest = self._guest(instance_id)
        with self._lock(instance_id):
            record = self._record(guest)
            device_id = record.volume_devices.get(volume_id)
            if device_id is None:
                return
            if self._pid(guest) is not None:
                with self._qmp(guest) as qmp:
                    self._unplug(qmp, device_id)
                    _quietly(qmp, "blockdev-del", {"node-name": "node-" + device_id})
            del record.volume_devices[volume_id]
            record.volume_luns.pop(volume_id, None)
            record.spec.block_devices = [d for d in record.spec.block_devices
                                         if d.volume_id != volume_id]
            guest.save(record)

    def attach_interface(self: QemuDriver, instance_id: str, nic: Nic) -> None:
        guest = self._guest(instance_id)
        with self._lock(instance_id):
            record = self._record(guest)
            if nic.port_id in record.nic_devices:
                return
            record.spec.nics.append(nic)
            self._assign_ids(record)
            device_id = record.nic_devices[nic.port_id]
            if self._pid(guest) is not None:
                with self._qmp(guest) as qmp:
                    while not port_is_free(qmp, record.nic_ports[nic.port_id]):
                        record.held_ports.append(record.nic_ports.pop(nic.port_id))
                        self._assign_ids(record)
                    port = f"port{record.nic_ports[nic.port_id]}"
                    qmp.execute("netdev_add", nic_netdev(
                        nic, "net-" + device_id, record.nic_queues.get(nic.port_id, 1)))
                    try:
                        qmp.execute("device_add", nic_device(nic, "net-" + device_id,
                                                             device_id, port))
                    except QMPError:
                        _quietly(qmp, "netdev_del", {"id": "net-" + device_id})
                        raise
            guest.save(record)

    def detach_interface(self: QemuDriver, instance_id: str, port_id: str) -> None:
        guest = self._guest(instance_id)
        with self._lock(instance_id):
            record = self._record(guest)
            device_id = record.nic_devices.get(port_id)
            if device_id is None:
                return
            if self._pid(guest) is not None:
                with self._qmp(guest) as qmp:
                    if not self._unplug(qmp, device_id):
                        record.held_ports.append(record.nic_ports[port_id])
                        log.warning("%s: guest %s did not release NIC %s in %.0f s; its tap "
                                    "is unplugged", self.host, instance_id, port_id,
                                    self.detach_timeout)
                    _quietly(qmp, "netdev_del", {"id": "net-" + device_id})
            del record.nic_devices[port_id]
            record.nic_ports.pop(port_id, None)
            record.nic_queues.pop(port_id, None)
            record.spec.nics = [n for n in record.spec.nics if n.port_id != port_id]
            guest.save(record)

    def _unplug(self: QemuDriver, qmp: QMP, device_id: str) -> bool:
        """``device_del`` and the wait for DEVICE_DELETED; True once the device is gone."""
        try:
            qmp.execute("device_del", {"id": device_id})
        except QMPError as exc:
            if exc.error_class == "DeviceNotFound":
                return True
            raise
        return qmp.wait_event("DEVICE_DELETED", self.detach_timeout,
                              lambda data: data.get("device") == device_id) is not None

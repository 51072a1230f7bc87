"""The QEMU driver's pure parts: the command line built from a guest's record, and the
record's round trip through its JSON file."""
from __future__ import annotations

import json
from pathlib import Path

from onestack.compute.drivers.base import BlockDevice, ImageRef, InstanceSpec, Nic
from onestack.compute.drivers.qemu.command import qemu_argv, volume_path
from onestack.compute.drivers.qemu.layout import GuestDir, Record

ID = "7d444840-9dc0-11d1-b245-5ffdce74fad2"


def record(**values: object) -> Record:
    spec = InstanceSpec(ID, "vm", 2, 768, 5, image=ImageRef("img", "/base", "qcow2"),
                        nics=[Nic("port-a", "fa:16:3e:00:00:01", mtu=1450)],
                        block_devices=[BlockDevice("vol-a", "/dev/sdb", connection={
                            "driver_volume_type": "file",
                            "data": {"device_path": "/v/a,b", "format": "raw"}})])
    for k, v in values.items():
        setattr(spec, k, v)
    return Record(spec=spec, volume_devices={"vol-a": "vol1"}, nic_devices={"port-a": "nic2"},
                  volume_luns={"vol-a": 3}, nic_ports={"port-a": 2})


def option(argv: list[str], flag: str) -> list[str]:
    return [argv[i + 1] for i, a in enumerate(argv) if a == flag]


def test_the_command_line_follows_the_spec(tmp_path: Path) -> None:
    guest = GuestDir(tmp_path, ID)
    argv = qemu_argv(guest, record(), "kvm", "host")
    assert option(argv, "-machine") == ["q35,accel=kvm,graphics=off"] and option(argv, "-cpu") == ["host"]
    assert option(argv, "-smp") == ["2"] and option(argv, "-m") == ["768M"]
    assert option(argv, "-uuid") == [ID] and "-daemonize" in argv
    assert option(argv, "-pidfile") == [str(guest.pidfile)]
    # sockets relative to the guest directory, whatever its length
    assert "socket,id=qmp,path=qmp.sock,server=on,wait=off" in option(argv, "-chardev")
    blockdevs = [json.loads(b) for b in option(argv, "-blockdev")]
    assert blockdevs[0]["file"]["filename"] == str(guest.disk)
    assert blockdevs[1] == {"node-name": "node-vol1", "driver": "raw",
                            "file": {"driver": "file", "filename": "/v/a,b"}}
    devices = option(argv, "-device")
    assert "virtio-blk-pci,drive=root,id=root-disk,bootindex=0" in devices
    # each device where the record says it sits, so a restore builds the same tree
    assert "scsi-hd,id=vol1,drive=node-vol1,bus=scsi0.0,channel=0,scsi-id=0,lun=3" in devices
    assert "virtio-net-pci,id=nic2,netdev=net-nic2,mac=fa:16:3e:00:00:01,bus=port2," \
           "host_mtu=1450" in devices
    assert sum(d.startswith("pcie-root-port") for d in devices) == 3 + 4  # spare ports
    assert option(argv, "-netdev") == [
        "tap,id=net-nic2,ifname=tapport-a,script=no,downscript=no"]
    assert "-incoming" not in argv and "-S" not in argv
    # a guest kernel's panic leaves the guest paused as guest-panicked, not QEMU gone
    assert "pvpanic" in devices and option(argv, "-action") == ["panic=pause"]


def test_extra_disks_incoming_and_rescue(tmp_path: Path) -> None:
    guest = GuestDir(tmp_path, ID)
    r = record(ephemeral_gb=1, swap_mb=512, config_drive=True)
    r.rescue = True
    argv = qemu_argv(guest, r, "tcg", "max", incoming="unix:incoming.sock", paused=True)
    devices = option(argv, "-device")
    assert devices.index("virtio-blk-pci,drive=rescue,id=rescue-disk,bootindex=0") < \
        devices.index("virtio-blk-pci,drive=root,id=root-disk")
    assert {"ephemeral", "swap", "config"} <= {json.loads(b)["node-name"]
                                               for b in option(argv, "-blockdev")}
    assert option(argv, "-incoming") == ["unix:incoming.sock"] and argv[-1] == "-S"


def test_a_volume_booted_guest_has_no_root_overlay(tmp_path: Path) -> None:
    r = record(image=None)
    r.spec.block_devices = [BlockDevice("vol-a", "/dev/vda", 0, {"device_path": "/v/root"})]
    argv = qemu_argv(GuestDir(tmp_path, ID), r, "tcg", "max")
    assert "virtio-blk-pci,drive=node-vol1,id=vol1,bootindex=0" in option(argv, "-device")
    assert str(GuestDir(tmp_path, ID).disk) not in " ".join(argv)
    assert volume_path(r.spec.block_devices[0]) == "/v/root"


def test_the_record_round_trips_without_the_config_drive_files(tmp_path: Path) -> None:
    guest = GuestDir(tmp_path, ID)
    guest.path.mkdir()
    r = record(config_drive_files={"openstack/latest/meta_data.json": b"{}"})
    r.suspended, r.serial = True, 7
    guest.save(r)
    back = guest.load()
    assert back.spec.nics == r.spec.nics and back.spec.block_devices == r.spec.block_devices
    assert back.spec.image == r.spec.image and back.spec.config_drive_files == {}
    assert (back.suspended, back.serial, back.volume_devices) == (True, 7, {"vol-a": "vol1"})

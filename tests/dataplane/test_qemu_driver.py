"""The QEMU driver's own behaviour, beyond the virt contract: what it leaves on the host
(processes, disks, taps, QMP devices) and how it finds its guests again. Guests run
firmware only (no OS), in a throwaway network namespace; every QEMU is killed at the end."""
from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import time
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Callable, Iterator

import pytest

from onestack.compute.drivers.base import (PAUSED, RUNNING, SHUTDOWN, SUSPENDED, BlockDevice,
                                           ImageRef, InstanceSpec, Nic)
from onestack.compute.drivers.qemu import accel
from onestack.compute.drivers.qemu.driver import QemuDriver
from onestack.compute.drivers.qemu.layout import GuestDir
from onestack.core.dataplane import tap_name
from tests.contract.qemu_harness import accelerator, missing_qemu, qemu_drivers

REASON = missing_qemu()
pytestmark = pytest.mark.skipif(REASON is not None, reason=REASON or "")
Make = Callable[[str, Path], QemuDriver]


@pytest.fixture()
def env(tmp_path: Path) -> Iterator[tuple[str, Make]]:
    with qemu_drivers(tmp_path) as made:
        yield made


def spec(**values: object) -> InstanceSpec:
    return replace(InstanceSpec(str(uuid.uuid4()), "dp-vm", 1, 256, 1), **values)


def qemu_pids_of(guest: GuestDir) -> list[int]:
    """Every live process whose command line names this guest's pid file."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                argv = (entry / "cmdline").read_bytes().split(b"\0")
                state = (entry / "stat").read_text().rpartition(")")[2].split()[0]
            except OSError:
                continue
            if os.fsencode(str(guest.pidfile)) in argv and state != "Z":
                found.append(int(entry.name))
    return found


def cmdline(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")


def qmp_return(driver: QemuDriver, instance_id: str, command: str) -> object:
    with driver._qmp(GuestDir(driver.root, instance_id)) as qmp:
        return qmp.execute(command)


def image_info(path: Path) -> dict:
    return json.loads(subprocess.run(["qemu-img", "info", "-U", "--output=json", str(path)],
                                     check=True, capture_output=True, text=True).stdout)


def test_a_recreated_driver_adopts_the_same_process(env: tuple[str, Make],
                                                    tmp_path: Path) -> None:
    _, make = env
    first = make("h1", tmp_path)
    s = spec()
    first.spawn(s)
    pid = first.pid_of(s.id)
    again = make("h1", tmp_path)
    assert again.recover() == [s.id]
    assert again.pid_of(s.id) == pid
    again.spawn(s)  # the guest exists: no second QEMU
    assert qemu_pids_of(GuestDir(again.root, s.id)) == [pid]
    assert again.get_info(s.id).power_state == RUNNING
    assert "dp-vm" in again.console_output(s.id)


def test_kill_9_leaves_the_guest_listed_as_shut_down_until_destroyed(
        env: tuple[str, Make], tmp_path: Path) -> None:
    _, make = env
    driver = make("h1", tmp_path)
    s = spec()
    driver.spawn(s)
    pid = driver.pid_of(s.id)
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while driver.pid_of(s.id) is not None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert driver.list_instances() == {s.id: SHUTDOWN}
    again = make("h1", tmp_path)
    assert again.recover() == [s.id]
    assert not GuestDir(again.root, s.id).pidfile.exists()  # the stale pid file went
    again.power_on(s.id)
    assert again.get_info(s.id).power_state == RUNNING
    assert again.pid_of(s.id) not in (None, pid)
    again.destroy(s.id)
    assert not (again.root / s.id).exists()
    assert again.list_instances() == {}


def test_a_pid_file_naming_another_process_is_not_adopted(env: tuple[str, Make],
                                                          tmp_path: Path) -> None:
    _, make = env
    driver = make("h1", tmp_path)
    s = spec()
    driver.spawn(s)
    driver.power_off(s.id)
    guest = GuestDir(driver.root, s.id)
    guest.pidfile.write_text(str(os.getpid()))  # a reused pid: this test's own process
    assert driver.list_instances() == {s.id: SHUTDOWN}
    assert make("h1", tmp_path).recover() == [s.id]
    assert not guest.pidfile.exists()
    driver.destroy(s.id)  # and it kills nothing of ours


def test_spawn_overlays_the_cached_base_image(env: tuple[str, Make], tmp_path: Path) -> None:
    _, make = env
    base = tmp_path / "base.raw"
    base.write_bytes(b"\xeb" * (4 << 20))
    driver = make("h1", tmp_path)
    s = spec(image=ImageRef("img-1", str(base), "raw"), disk_gb=2)
    driver.spawn(s)
    info = image_info(GuestDir(driver.root, s.id).disk)
    assert info["format"] == "qcow2"
    assert info["backing-filename"] == str(base.resolve())
    assert info["virtual-size"] == 2 << 30


def test_volume_hot_plug_shows_in_query_block(env: tuple[str, Make], tmp_path: Path) -> None:
    _, make = env
    volume = tmp_path / "vol.raw"
    volume.write_bytes(b"\0" * (8 << 20))
    driver = make("h1", tmp_path)
    s = spec()
    driver.spawn(s)
    disk = BlockDevice("vol-a", "/dev/sdb", connection={
        "driver_volume_type": "file", "data": {"device_path": str(volume), "format": "raw"}})

    def files() -> list[str]:
        return [b["inserted"]["file"] for b in qmp_return(driver, s.id, "query-block")
                if "inserted" in b]
    driver.attach_volume(s.id, disk)
    assert str(volume) in files()
    driver.power_off(s.id)
    driver.power_on(s.id)  # the record brings it back on the next start
    assert str(volume) in files()
    driver.detach_volume(s.id, "vol-a")
    assert str(volume) not in files()


def test_nic_hot_plug_opens_the_ports_tap_in_the_host_namespace(
        env: tuple[str, Make], tmp_path: Path) -> None:
    netns, make = env
    driver = make("h1", tmp_path)
    s = spec(nics=[Nic("port-boot-0001", "fa:16:3e:00:00:0a")])
    driver.spawn(s)

    def taps() -> str:
        return subprocess.run(["ip", "netns", "exec", netns, "ip", "-o", "link"],
                              check=True, capture_output=True, text=True).stdout
    assert tap_name("port-boot-0001") in taps()
    driver.attach_interface(s.id, Nic("port-late-0002", "fa:16:3e:00:00:0b"))
    assert tap_name("port-late-0002") in taps()
    with driver._qmp(GuestDir(driver.root, s.id)) as qmp:
        devices = {p["name"]: p["type"] for p in
                   qmp.execute("qom-list", {"path": "/machine/peripheral"})}
    nics = [name for name, kind in devices.items() if kind == "child<virtio-net-pci>"]
    assert len(nics) == 2
    driver.detach_interface(s.id, "port-late-0002")  # a guest without an OS ignores it
    assert tap_name("port-late-0002") not in taps()  # but the tap is unplugged


def test_resize_restarts_with_the_new_flavor(env: tuple[str, Make], tmp_path: Path) -> None:
    _, make = env
    driver = make("h1", tmp_path)
    s = spec()
    driver.spawn(s)
    before = driver.pid_of(s.id)
    driver.resize(replace(s, vcpus=2, memory_mb=384, disk_gb=3))
    pid = driver.pid_of(s.id)
    assert pid not in (None, before)
    argv = cmdline(pid)
    assert argv[argv.index("-smp") + 1] == "2" and argv[argv.index("-m") + 1] == "384M"
    assert image_info(GuestDir(driver.root, s.id).disk)["virtual-size"] == 3 << 30


def test_suspend_saves_the_state_and_resume_loads_it(env: tuple[str, Make],
                                                     tmp_path: Path) -> None:
    _, make = env
    driver = make("h1", tmp_path)
    s = spec()
    driver.spawn(s)
    driver.pause(s.id)
    assert driver.get_info(s.id).power_state == PAUSED
    driver.unpause(s.id)
    guest = GuestDir(driver.root, s.id)
    driver.suspend(s.id)
    assert driver.pid_of(s.id) is None
    assert guest.saved_state.stat().st_size > 0
    assert make("h1", tmp_path).list_instances() == {s.id: SUSPENDED}
    driver.resume(s.id)
    pid = driver.pid_of(s.id)
    assert pid is not None and "-incoming" in cmdline(pid)
    assert driver.get_info(s.id).power_state == RUNNING
    assert not guest.saved_state.exists()


def test_hot_plugged_devices_keep_their_places_across_suspend_and_migration(
        env: tuple[str, Make], tmp_path: Path) -> None:
    """A restored or migrated guest must get the device tree it had: a volume attached
    after another was detached keeps its LUN, a NIC plugged later keeps its port."""
    _, make = env
    source, dest = make("src", tmp_path), make("dst", tmp_path)
    s = spec(nics=[Nic("port-first-01", "fa:16:3e:00:00:0c")])
    source.spawn(s)
    volumes = {}
    for name in ("x", "y"):
        volumes[name] = tmp_path / f"{name}.raw"
        volumes[name].write_bytes(b"\0" * (1 << 20))
        source.attach_volume(s.id, BlockDevice(name, "/dev/sdb", connection={
            "device_path": str(volumes[name])}))
    source.detach_volume(s.id, "x")
    source.attach_interface(s.id, Nic("port-later-02", "fa:16:3e:00:00:0d"))
    source.suspend(s.id)
    source.resume(s.id)  # loads the saved state: the same devices at the same places
    assert source.get_info(s.id).power_state == RUNNING
    record = GuestDir(source.root, s.id).load()
    dest.prepare_live_migration(replace(s, nics=record.spec.nics,
                                        block_devices=record.spec.block_devices))
    source.live_migrate(s.id, "dst")
    dest.finish_live_migration(s.id)
    assert dest.get_info(s.id).power_state == RUNNING
    files = [b["inserted"]["file"] for b in qmp_return(dest, s.id, "query-block")
             if "inserted" in b]
    assert str(volumes["y"]) in files and str(volumes["x"]) not in files


@pytest.mark.parametrize("fmt", ["qcow2", "raw"])
def test_snapshot_is_a_standalone_image_in_the_source_format(
        env: tuple[str, Make], tmp_path: Path, fmt: str) -> None:
    _, make = env
    base = tmp_path / f"base.{fmt}"
    subprocess.run(["qemu-img", "create", "-q", "-f", fmt, str(base), "64M"], check=True)
    driver = make("h1", tmp_path)
    s = spec(image=ImageRef("img-1", str(base), fmt))
    driver.spawn(s)
    out = tmp_path / "snap.img"
    stream = driver.snapshot(s.id)
    assert stream is not None
    out.write_bytes(b"".join(stream))
    info = image_info(out)
    assert info["format"] == fmt and "backing-filename" not in info
    assert info["virtual-size"] == 1 << 30  # the flavor's disk, not the image's
    assert driver.get_info(s.id).power_state == RUNNING
    assert not list(GuestDir(driver.root, s.id).path.glob("snapshot-*"))


def test_live_migration_moves_the_process_to_the_other_host(env: tuple[str, Make],
                                                            tmp_path: Path) -> None:
    _, make = env
    source, dest = make("src", tmp_path), make("dst", tmp_path)
    s = spec()
    source.spawn(s)
    old = source.pid_of(s.id)
    dest.prepare_live_migration(s)
    new = dest.pid_of(s.id)
    assert new not in (None, old)
    source.live_migrate(s.id, "dst")
    assert source.pid_of(s.id) is None and not (source.root / s.id).exists()
    dest.finish_live_migration(s.id)
    assert dest.get_info(s.id).power_state == RUNNING
    # the log so far came along: the source's start, then the destination's
    assert dest.console_output(s.id).count("starting guest dp-vm") == 2
    assert dest.pid_of(s.id) == new
    assert GuestDir(dest.root, s.id).disk.stat().st_nlink == 1  # the source's link went


def test_a_cold_move_to_another_host_carries_the_disk(env: tuple[str, Make],
                                                    tmp_path: Path) -> None:
    _, make = env
    base = tmp_path / "base.raw"
    base.write_bytes(b"\x00" * (1 << 20))
    source, dest = make("src", tmp_path), make("dst", tmp_path)
    s = spec(image=ImageRef("img-1", str(base), "raw"))
    source.spawn(s)
    source.power_off(s.id)
    written = GuestDir(source.root, s.id).disk
    subprocess.run(["qemu-io", "-c", "write -P 0x5a 4M 64k", str(written)], check=True,
                   capture_output=True)
    dest.spawn(replace(s, disk_gb=2))  # the resize's new flavor, on the other host
    moved = GuestDir(dest.root, s.id).disk
    check = subprocess.run(["qemu-io", "-r", "-U", "-c", "read -P 0x5a 4M 64k", str(moved)],
                           capture_output=True, text=True)
    assert check.returncode == 0 and "Pattern verification failed" not in check.stdout
    assert image_info(moved)["virtual-size"] == 2 << 30
    assert image_info(moved)["backing-filename"] == str(base.resolve())
    assert source.list_instances() == {s.id: SHUTDOWN}  # until the source host drops it


def test_config_drive_carries_metadata_and_user_data(env: tuple[str, Make],
                                                     tmp_path: Path) -> None:
    _, make = env
    driver = make("h1", tmp_path)
    s = spec(config_drive=True, user_data=base64.b64encode(b"#!/bin/sh\necho hi\n").decode())
    driver.spawn(s)
    image = str(GuestDir(driver.root, s.id).config_drive)
    data = subprocess.run(["mtype", "-i", image, "::openstack/latest/user_data"],
                          check=True, capture_output=True).stdout
    meta = json.loads(subprocess.run(["mtype", "-i", image,
                                      "::openstack/latest/meta_data.json"],
                                     check=True, capture_output=True).stdout)
    assert data == b"#!/bin/sh\necho hi\n" and meta["uuid"] == s.id


def test_the_kvm_probe_gives_up_on_a_hanging_qemu(tmp_path: Path) -> None:
    hanging = tmp_path / "qemu-hangs"
    hanging.write_text("#!/bin/sh\nexec sleep 30\n")
    hanging.chmod(0o755)
    started = time.monotonic()
    assert not accel.kvm_runs("host", str(hanging), timeout=1.0)
    assert time.monotonic() - started < 5


def test_the_probe_boot_sector_reaches_its_mark_under_tcg() -> None:
    """So a KVM that fails it fails on KVM's account, not the sector's."""
    assert accel.boots("qemu-system-x86_64", "tcg", accel.TCG_CPU)


def test_the_accelerator_setting(tmp_path: Path) -> None:
    assert accel.Accelerator("tcg").name == "tcg"
    assert accel.kvm_cpu(device=tmp_path / "no-kvm") is None
    with pytest.raises(ValueError):
        accel.Accelerator("xen")
    assert accelerator() in ("kvm", "tcg")  # the probe the other tests' guests run with


def test_the_probe_answer_is_kept_for_this_boot(tmp_path: Path) -> None:
    cache = tmp_path / "accel.json"
    refusing = accel.Accelerator("auto", binary="/bin/false", cache=cache)
    assert (refusing.name, refusing.cpu) == ("tcg", accel.TCG_CPU)
    kept = json.loads(cache.read_text())
    assert kept == {"key": {"boot": accel.boot_id(), "binary": "/bin/false"}, "cpu": ""}
    kept["cpu"] = "qemu64"  # what /bin/false never says: a second probe is not made
    cache.write_text(json.dumps(kept))
    again = accel.Accelerator("auto", binary="/bin/false", cache=cache)
    assert (again.name, again.cpu) == ("kvm", "qemu64")


@pytest.mark.parametrize("flags,queues", [([], 1), (["multi_queue"], 2)])
def test_a_tap_the_network_driver_made_is_opened_as_it_was_made(
        env: tuple[str, Make], tmp_path: Path, flags: list[str], queues: int) -> None:
    netns, make = env
    port = "port-made-" + ("mq" if flags else "sq")
    subprocess.run(["ip", "netns", "exec", netns, "ip", "tuntap", "add", "dev",
                    tap_name(port), "mode", "tap", *flags], check=True)
    driver = make("h1", tmp_path)
    s = spec(nics=[Nic(port, "fa:16:3e:00:00:0e")])
    driver.spawn(s)
    assert GuestDir(driver.root, s.id).load().nic_queues == {port: queues}
    assert driver.get_info(s.id).power_state == RUNNING

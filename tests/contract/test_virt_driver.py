"""The virt-driver contract (``onestack.compute.drivers.base``), run against every driver
factory in ``HARNESSES``: the fake, and QEMU (``qemu_harness``; skipped without root or
QEMU). Optional capabilities are tested where a driver offers them."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Iterator

import pytest

from onestack.compute.drivers.base import (NOSTATE, PAUSED, RUNNING, SHUTDOWN, SUSPENDED,
                                           BlockDevice, DriverError, InstanceNotFound,
                                           InstanceSpec, InterfaceAttaching, LiveMigratable,
                                           Nic, Pausable, Rebuildable, Resizable,
                                           Snapshotting, Suspendable, VirtDriver,
                                           VolumeAttaching)
from onestack.compute.drivers.fake import FakeDriver
from tests.contract import qemu_harness


@dataclass(frozen=True)
class Harness:
    """How the suite makes a driver, a spec whose spawn fails, and a guest that dies."""
    name: str
    make: Callable[[str, Path], VirtDriver]
    failing: Callable[[InstanceSpec], InstanceSpec]
    kill: Callable[[VirtDriver, str], None]


FAKE = Harness("fake", lambda host, state: FakeDriver(host, state),
               lambda spec: replace(spec, metadata={**spec.metadata, "fake:fail": "spawn"}),
               lambda driver, ident: driver.crash(ident))
HARNESSES = ["fake", "qemu"]


@pytest.fixture(params=HARNESSES)
def harness(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Harness]:
    if request.param == "fake":
        yield FAKE
        return
    reason = qemu_harness.missing_qemu()
    if reason:
        pytest.skip(reason)
    with qemu_harness.qemu_drivers(tmp_path) as (_, make):
        yield Harness("qemu", make, qemu_harness.failing, qemu_harness.kill)


@pytest.fixture()
def driver(harness: Harness, tmp_path: Path) -> VirtDriver:
    return harness.make("contract-host", tmp_path)


def spec(**values: object) -> InstanceSpec:
    base = InstanceSpec(str(uuid.uuid4()), "contract-vm", 1, 512, 1, image_ref="img-1")
    return replace(base, **values)


def power(driver: VirtDriver, ident: str) -> int:
    """get_info and list_instances must agree."""
    info = driver.get_info(ident).power_state
    assert driver.list_instances()[ident] == info
    return info


def test_the_driver_offers_the_core(driver: VirtDriver) -> None:
    assert isinstance(driver, VirtDriver)
    res = driver.host_resources()
    assert res.vcpus > 0 and res.memory_mb > 0 and res.disk_gb > 0 and res.hypervisor_type


def test_spawn_runs_the_guest_and_is_idempotent(driver: VirtDriver) -> None:
    s = spec()
    driver.spawn(s)
    driver.spawn(s)
    assert driver.list_instances() == {s.id: RUNNING}
    assert power(driver, s.id) == RUNNING
    assert s.name in driver.console_output(s.id)


def test_a_failed_spawn_leaves_nothing(driver: VirtDriver, harness: Harness) -> None:
    s = harness.failing(spec())
    with pytest.raises(DriverError):
        driver.spawn(s)
    assert s.id not in driver.list_instances()
    with pytest.raises(InstanceNotFound):
        driver.get_info(s.id)


def test_destroy_of_a_missing_guest_succeeds(driver: VirtDriver) -> None:
    s = spec()
    driver.destroy(s.id)
    driver.spawn(s)
    driver.destroy(s.id)
    driver.destroy(s.id)
    assert s.id not in driver.list_instances()
    assert driver.console_output(s.id) == ""


def test_power_transitions_are_reported(driver: VirtDriver) -> None:
    s = spec()
    driver.spawn(s)
    driver.power_off(s.id)
    assert power(driver, s.id) == SHUTDOWN
    driver.power_off(s.id)  # idempotent
    assert power(driver, s.id) == SHUTDOWN
    driver.power_on(s.id)
    assert power(driver, s.id) == RUNNING
    driver.reboot(s.id, hard=False)
    driver.reboot(s.id, hard=True)
    assert power(driver, s.id) == RUNNING


def test_actions_on_a_missing_guest_say_so(driver: VirtDriver) -> None:
    missing = str(uuid.uuid4())
    for action in (driver.power_off, driver.power_on, lambda i: driver.reboot(i, True)):
        with pytest.raises(InstanceNotFound):
            action(missing)


def test_a_guest_that_dies_is_reported(driver: VirtDriver, harness: Harness) -> None:
    s = spec()
    driver.spawn(s)
    harness.kill(driver, s.id)
    try:
        observed = driver.get_info(s.id).power_state
    except InstanceNotFound:
        observed = NOSTATE
    assert observed != RUNNING
    assert driver.list_instances().get(s.id, NOSTATE) == observed


def test_a_driver_recreated_on_the_same_state_readopts_its_guests(
        harness: Harness, tmp_path: Path) -> None:
    first = harness.make("readopt-host", tmp_path)
    running, stopped = spec(), spec()
    first.spawn(running)
    first.spawn(stopped)
    first.power_off(stopped.id)
    again = harness.make("readopt-host", tmp_path)
    assert sorted(again.recover()) == sorted([running.id, stopped.id])
    assert again.list_instances() == {running.id: RUNNING, stopped.id: SHUTDOWN}
    again.destroy(stopped.id)
    assert harness.make("readopt-host", tmp_path).recover() == [running.id]


def test_pause_and_suspend(driver: VirtDriver) -> None:
    s = spec()
    driver.spawn(s)
    if isinstance(driver, Pausable):
        driver.pause(s.id)
        assert power(driver, s.id) == PAUSED
        driver.unpause(s.id)
        assert power(driver, s.id) == RUNNING
    if isinstance(driver, Suspendable):
        driver.suspend(s.id)
        assert power(driver, s.id) == SUSPENDED
        driver.resume(s.id)
        assert power(driver, s.id) == RUNNING
    if not isinstance(driver, (Pausable, Suspendable)):
        pytest.skip("neither pause nor suspend offered")


def test_resize_and_rebuild_keep_the_guest_running(driver: VirtDriver) -> None:
    if not isinstance(driver, (Resizable, Rebuildable)):
        pytest.skip("neither resize nor rebuild offered")
    s = spec()
    driver.spawn(s)
    if isinstance(driver, Resizable):
        driver.resize(replace(s, vcpus=2, memory_mb=1024))
        assert power(driver, s.id) == RUNNING
    if isinstance(driver, Rebuildable):
        driver.rebuild(replace(s, image_ref="img-2"))
        assert driver.list_instances() == {s.id: RUNNING}


def test_snapshot_streams_the_disk_or_says_it_keeps_none(driver: VirtDriver) -> None:
    if not isinstance(driver, Snapshotting):
        pytest.skip("snapshot not offered")
    s = spec()
    driver.spawn(s)
    stream = driver.snapshot(s.id)
    assert stream is None or b"".join(stream)
    with pytest.raises(InstanceNotFound):
        driver.snapshot(str(uuid.uuid4()))


def test_live_migration_moves_the_guest(harness: Harness, tmp_path: Path) -> None:
    source = harness.make("lm-source", tmp_path)
    dest = harness.make("lm-dest", tmp_path)
    if not isinstance(source, LiveMigratable):
        pytest.skip("live migration not offered")
    s = spec()
    source.spawn(s)
    dest.prepare_live_migration(s)
    dest.prepare_live_migration(s)  # idempotent
    assert dest.list_instances() == {s.id: PAUSED}
    source.live_migrate(s.id, "lm-dest")
    source.live_migrate(s.id, "lm-dest")  # the guest has already left
    assert s.id not in source.list_instances()
    dest.finish_live_migration(s.id)
    assert power(dest, s.id) == RUNNING


def test_volumes_and_interfaces_attach_and_detach(driver: VirtDriver, tmp_path: Path) -> None:
    if not isinstance(driver, (VolumeAttaching, InterfaceAttaching)):
        pytest.skip("no attach offered")
    s = spec()
    driver.spawn(s)
    if isinstance(driver, VolumeAttaching):
        volume = tmp_path / "vol-1.raw"  # as the file volume backend hands one over
        volume.write_bytes(b"\0" * (1 << 20))
        driver.attach_volume(s.id, BlockDevice("vol-1", "/dev/vdb", connection={
            "driver_volume_type": "file", "data": {"device_path": str(volume)}}))
        driver.detach_volume(s.id, "vol-1")
        driver.detach_volume(s.id, "vol-1")  # not attached: succeeds
        with pytest.raises(InstanceNotFound):
            driver.attach_volume(str(uuid.uuid4()), BlockDevice("vol-2", "/dev/vdc"))
    if isinstance(driver, InterfaceAttaching):
        driver.attach_interface(s.id, Nic("port-1", "fa:16:3e:00:00:01"))
        driver.detach_interface(s.id, "port-1")
        driver.detach_interface(s.id, "port-1")
    assert power(driver, s.id) == RUNNING

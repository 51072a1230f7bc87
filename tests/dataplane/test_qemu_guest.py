"""The QEMU driver with a real guest OS (onestack's own guest image, built by
``scripts/build_guest_image.py``): the guest boots, a soft reboot goes through the guest's
ACPI power button, a suspended guest resumes where it was (no second boot), and a guest
kernel's panic shows as CRASHED until a start or hard reboot boots it afresh. Skipped
when no image was built (``ONESTACK_GUEST_IMAGE`` or the builder's cache)."""
from __future__ import annotations

import base64
import os
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from onestack.compute.drivers.base import (CRASHED, RUNNING, SHUTDOWN, BlockDevice, ImageRef,
                                           InstanceSpec)
from onestack.compute.drivers.qemu.driver import QemuDriver
from tests.contract.qemu_harness import missing_qemu, qemu_drivers

IMAGE = Path(os.environ.get("ONESTACK_GUEST_IMAGE") or
             Path.home() / ".cache" / "onestack-guest" / "onestack-guest.qcow2")
REASON = missing_qemu() or (None if IMAGE.is_file() else
                            f"no guest image at {IMAGE} (scripts/build_guest_image.py)")
pytestmark = pytest.mark.skipif(REASON is not None, reason=REASON or "")
READY = "onestack-guest: ready after"
BOOT = "onestack-guest: starting"
GRACE = 60.0  # seconds the guest gets for an ACPI shutdown (TCG is slow on a busy host)


def wait_for(driver: QemuDriver, ident: str, text: str, count: int,
             timeout: float = 180.0) -> None:
    deadline = time.monotonic() + timeout
    while driver.console_output(ident).count(text) < count:
        assert time.monotonic() < deadline, driver.console_output(ident)[-2000:]
        time.sleep(0.2)


def test_a_real_guest_boots_reboots_softly_and_resumes_where_it_was(tmp_path: Path) -> None:
    with qemu_drivers(tmp_path, shutdown_timeout=GRACE) as (_, make):
        driver = make("h1", tmp_path)
        s = InstanceSpec(str(uuid.uuid4()), "guest-vm", 1, 256, 1,
                         image=ImageRef("guest", str(IMAGE), "qcow2"))
        driver.spawn(s)
        wait_for(driver, s.id, READY, 1)
        first = driver.pid_of(s.id)

        started = time.monotonic()
        driver.reboot(s.id, hard=False)
        assert time.monotonic() - started < GRACE  # the guest shut down, not a reset
        assert "power button" in driver.console_output(s.id)
        assert driver.pid_of(s.id) not in (None, first)
        wait_for(driver, s.id, READY, 2)

        driver.suspend(s.id)
        driver.resume(s.id)
        assert driver.get_info(s.id).power_state == RUNNING
        started = time.monotonic()
        driver.power_off(s.id)  # the resumed guest answers the power button itself
        assert time.monotonic() - started < GRACE
        log = driver.console_output(s.id)
        assert log.count(BOOT) == 2  # resumed, not booted again
        assert log.count("reboot: Power down") == 2
        assert driver.get_info(s.id).power_state == SHUTDOWN


def test_a_real_guest_boots_from_a_volume(tmp_path: Path) -> None:
    """No image: the volume with boot index 0 (a raw file, as the file backend hands it
    over) is the boot disk."""
    volume = tmp_path / "volume-root"
    subprocess.run(["qemu-img", "convert", "-O", "raw", str(IMAGE), str(volume)], check=True)
    with qemu_drivers(tmp_path, shutdown_timeout=GRACE) as (_, make):
        driver = make("h1", tmp_path)
        s = InstanceSpec(str(uuid.uuid4()), "volume-vm", 1, 256, 1, block_devices=[
            BlockDevice("vol-root", "/dev/vda", 0, {
                "driver_volume_type": "file",
                "data": {"device_path": str(volume), "format": "raw"}})])
        driver.spawn(s)
        wait_for(driver, s.id, READY, 1)
        assert not (driver.root / s.id / "disk.qcow2").exists()


# the first boot panics on purpose (a marker on the disk's state partition, which
# survives reboots, spares the next); the guest kernel tells QEMU through pvpanic
PANIC_ONCE = """#!/bin/sh
if [ ! -e /root/panicked ]; then
    touch /root/panicked; sync
    echo c > /proc/sysrq-trigger
fi
"""


def test_a_guest_kernel_panic_shows_crashed_and_a_start_boots_it_afresh(
        tmp_path: Path) -> None:
    with qemu_drivers(tmp_path, shutdown_timeout=GRACE) as (_, make):
        driver = make("h1", tmp_path)
        s = InstanceSpec(str(uuid.uuid4()), "panic-vm", 1, 256, 1,
                         image=ImageRef("guest", str(IMAGE), "qcow2"), config_drive=True,
                         user_data=base64.b64encode(PANIC_ONCE.encode()).decode())
        driver.spawn(s)
        first = driver.pid_of(s.id)
        wait_for(driver, s.id, "Kernel panic", 1)
        deadline = time.monotonic() + 60
        while driver.get_info(s.id).power_state != CRASHED:
            assert time.monotonic() < deadline, driver.console_output(s.id)[-2000:]
            time.sleep(0.2)
        assert driver.pid_of(s.id) == first  # kept paused for a look, not gone
        assert driver.list_instances() == {s.id: CRASHED}

        driver.power_on(s.id)  # a fresh QEMU: a reset alone leaves it guest-panicked
        assert driver.pid_of(s.id) not in (None, first)
        assert "guest was guest-panicked" in driver.console_output(s.id)
        wait_for(driver, s.id, READY, 1)  # the first boot panicked before it was ready
        assert driver.console_output(s.id).count(BOOT) == 2
        assert driver.get_info(s.id).power_state == RUNNING

"""The QEMU driver as the virt-driver contract suite makes it: guests run in a throwaway
network namespace (a NIC's tap is made there, never on the machine itself), ACPI gets a
fraction of a second (the test guests run firmware only and ignore it), and every QEMU the
test started is killed afterwards, by pid, even when the test failed."""
from __future__ import annotations

import functools
import os
import secrets
import shutil
import signal
import subprocess
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Callable, Iterator

from onestack.compute.drivers.base import InstanceSpec, VirtDriver
from onestack.compute.drivers.qemu.accel import Accelerator
from onestack.compute.drivers.qemu.driver import QemuDriver
from onestack.compute.drivers.qemu.layout import GuestDir, guest_ids
from onestack.compute.drivers.qemu.process import kill_hard, wait_gone


def missing_qemu() -> str | None:
    """Why this machine cannot run QEMU guests for a test, or None."""
    if os.geteuid() != 0:
        return "needs root (QEMU opens taps in a network namespace)"
    for tool, package in (("qemu-system-x86_64", "qemu-system-x86"),
                          ("qemu-img", "qemu-utils"), ("ip", "iproute2")):
        if shutil.which(tool) is None:
            return f"needs {tool} (Debian package {package}, installed by .ci/run)"
    if not Path("/dev/net/tun").exists():
        return "needs /dev/net/tun"
    return None


@functools.lru_cache(maxsize=1)
def accelerator() -> str:
    """Probed once per test run (each driver would probe again)."""
    return Accelerator("auto").name


def failing(spec: InstanceSpec) -> InstanceSpec:
    """A guest QEMU refuses to start: more vCPUs than the machine type allows."""
    return replace(spec, vcpus=100000)


def kill(driver: VirtDriver, instance_id: str) -> None:
    """``kill -9`` of the guest's QEMU behind the driver's back."""
    assert isinstance(driver, QemuDriver)
    pid = driver.pid_of(instance_id)
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    guest = GuestDir(driver.root, instance_id)
    assert wait_gone(pid, guest.pidfile, 5.0)


def kill_everything_under(state: Path) -> None:
    for root in state.glob("qemu-*"):
        for instance_id in guest_ids(root):
            guest = GuestDir(root, instance_id)
            pid = guest.read_pid()
            if pid is not None:
                kill_hard(pid, guest.pidfile)


@contextmanager
def qemu_drivers(state: Path, shutdown_timeout: float = 0.3
                 ) -> Iterator[tuple[str, Callable[[str, Path], QemuDriver]]]:
    """(the namespace, a driver factory); on exit every QEMU under ``state`` is killed and
    the namespace deleted."""
    netns = "os-vd-" + secrets.token_hex(3)
    subprocess.run(["ip", "netns", "add", netns], check=True)

    def make(host: str, where: Path) -> QemuDriver:
        driver = QemuDriver(host, where, accel=accelerator(), netns=netns,
                            shutdown_timeout=shutdown_timeout)
        driver.detach_timeout = shutdown_timeout
        return driver
    try:
        yield netns, make
    finally:
        kill_everything_under(state)
        subprocess.run(["ip", "netns", "delete", netns], check=False)

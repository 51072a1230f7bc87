"""Bad input on real guests (``tests/dataplane/cloud.py``: ``onestack up``, one host's QEMU
compute, Linux network and volume agents, onestack's guest image): what a user sees, and
that the host and a healthy guest booted first are unaffected.

- random bytes uploaded as qcow2: the image API refuses the upload (its format
  inspector), so the image stays queued and a boot from it is a 400 at once;
- a qcow2 header over garbage (what a header check lets through): the compute agent's
  ``qemu-img info`` of the fetched base refuses it before QEMU starts: ERROR, fault
  "Build of instance … aborted: Image … is unacceptable: …", nothing left on the host;
- random bytes uploaded as raw: a raw disk is any bytes, so QEMU starts it and the
  firmware finds nothing to boot: the server is ACTIVE and its console log says "No
  bootable device." (what a cloud on QEMU shows for it);
- a flavor too small for the image: a 400 at the API when the image record tells
  (``min_ram``, ``min_disk``); a compressed image larger inside than the flavor's disk is
  found on the host: ERROR with the fault "Flavor's disk is too small …";
- a guest kernel panic (``echo c > /proc/sysrq-trigger`` over SSH): pvpanic tells QEMU,
  which keeps the guest paused; the server shows SHUTOFF with power state 6 (CRASHED) and
  the panic in its console; a hard reboot brings it back to SSH.

About 5 minutes on this 2-core machine under TCG (two real guests; 4m49s at load 13-17,
6m18s at load 15-19). Needs root and what ``missing_cloud`` names; skips with the reason
otherwise."""
from __future__ import annotations

import html
import os
import struct
import subprocess
import time
from pathlib import Path
from typing import Any, Iterator

import pytest

from tests.dataplane.cloud import Cloud, Guest, missing_cloud
from tests.dataplane import steps
from tests.dataplane.steps import Steps
from tests.dataplane.cloud_api import Api, wait_until

REASON = missing_cloud()
pytestmark = pytest.mark.skipif(REASON is not None, reason=REASON or "")
MIB, GIB = 1 << 20, 1 << 30
CRASHED = 6  # OS-EXT-STS:power_state of a guest whose kernel panicked
STEPS = Steps("e2e bad input")
timed = STEPS.timed



def random_disk(size: int = MIB) -> bytes:
    """Random bytes without a boot signature (0x55AA at 510 would make them a boot sector
    once in 65,536 draws)."""
    data = bytearray(os.urandom(size))
    data[510:512] = b"\0\0"
    return bytes(data)


def corrupt_qcow2() -> bytes:
    """A qcow2 version 3 header with no backing or data file (what the image API's
    inspector checks) and a cluster size no qcow2 can have, random bytes after it."""
    header = b"QFI\xfb" + struct.pack(">IQII", 3, 0, 0, 40) + struct.pack(">Q", 128 * MIB)
    return header + b"\0" * (104 - len(header)) + os.urandom(MIB)


def sparse_qcow2(tmp: Path, virtual: str) -> bytes:
    """A qcow2 of ``virtual`` size holding almost nothing: a few hundred KiB stored."""
    path = tmp / f"sparse-{virtual}.qcow2"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(path), virtual], check=True)
    return path.read_bytes()


class World:
    def __init__(self, cloud: Cloud, tmp: Path):
        self.cloud, self.tmp = cloud, tmp
        assert cloud.api is not None
        self.api: Api = cloud.api
        self.image = cloud.upload_image()
        self.flavor = cloud.flavor("e2e.small", 256, 1)
        self.key = cloud.keypair()
        self.group = cloud.open_security_group()
        self.network = cloud.network_id("private")
        with timed("boot the healthy guest to SSH"):
            self.healthy = self.boot_guest("healthy")
        self.boot_id = self.healthy.boot_id()
        self.uptime = self.healthy.uptime()
        self.clock = time.monotonic()

    def image_of(self, name: str, disk_format: str, data: bytes,
                 expect: tuple[int, ...] = (204,), **attrs: Any) -> tuple[str, Any]:
        """An image made and uploaded through the image API; (its id, the upload's answer)."""
        image = self.api.post("image", "/images", {
            "name": name, "disk_format": disk_format, "container_format": "bare",
            **attrs}).json()
        answer = self.api.call("PUT", "image", f"/images/{image['id']}/file", expect=expect,
                               content=data,
                               headers={"Content-Type": "application/octet-stream"})
        return str(image["id"]), answer

    def boot(self, name: str, image: str, flavor: str | None = None) -> str:
        return self.cloud.boot(name, image, flavor or self.flavor, self.network, self.key,
                               self.group)

    def boot_guest(self, name: str) -> Guest:
        server_id = self.boot(name, self.image)
        self.api.wait_server(server_id, "ACTIVE")
        guest = self.cloud.guest(server_id)
        guest.wait_ssh()
        return guest

    def refused_boot(self, image: str, flavor: str | None = None) -> str:
        """The message of the 400 a boot gets at the API."""
        answer = self.api.call("POST", "compute", "/servers", expect=(400,), json={"server": {
            "name": "refused", "imageRef": image, "flavorRef": flavor or self.flavor,
            "networks": [{"uuid": self.network}]}})
        return str(answer.json()["badRequest"]["message"])

    def errored(self, server_id: str) -> dict[str, Any]:
        """The server once ERROR, after its host let go of it."""
        server = self.api.wait_server(server_id, "ERROR", timeout=240)
        assert server["OS-EXT-STS:vm_state"] == "error"
        assert server.get("OS-EXT-SRV-ATTR:host") is None  # placed nowhere: no retry
        assert self.cloud.qemu_pid(server_id) is None
        assert not (self.cloud.compute_dir / "qemu-h1" / server_id).exists()
        return server

    def check_healthy(self) -> None:
        """The healthy guest answers SSH from the boot it had, its clock run on."""
        assert self.healthy.boot_id() == self.boot_id
        uptime, elapsed = self.healthy.uptime(), time.monotonic() - self.clock
        assert uptime >= self.uptime + elapsed * 0.5, (uptime, self.uptime, elapsed)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory,
          request: pytest.FixtureRequest) -> Iterator[World]:
    root = tmp_path_factory.mktemp("e2e-bad")
    request.addfinalizer(lambda: STEPS.report(request.config))
    with STEPS.cloud(root, ("h1",), "cloud up (API and one host's agents)",
                     "tear down (every server deleted)") as cloud:
        yield World(cloud, root)


@pytest.fixture(autouse=True)
def logs_on_failure(world: World, request: pytest.FixtureRequest) -> Iterator[None]:
    yield from steps.logs_on_failure(world.cloud, request)


def console(world: World, server_id: str) -> str:
    return str(world.api.action(server_id, {"os-getConsoleOutput": {}}).json()["output"])


def test_random_bytes_declared_qcow2_are_refused_at_upload(world: World) -> None:
    image, answer = world.image_of("random-qcow2", "qcow2", random_disk(), expect=(400,))
    # the image API's fault bodies are HTML, as Glance's are
    assert "does not match the declared disk_format 'qcow2'" in html.unescape(answer.text)
    assert world.api.get("image", f"/images/{image}")["status"] == "queued"
    assert world.refused_boot(image) == f"Image {image} is not active."
    world.check_healthy()


def test_a_qcow2_that_is_not_one_errors_with_a_fault_before_qemu_starts(world: World) -> None:
    image, _ = world.image_of("corrupt-qcow2", "qcow2", corrupt_qcow2())
    assert world.api.get("image", f"/images/{image}")["status"] == "active"
    with timed("boot from a corrupt qcow2 to ERROR"):
        server_id = world.boot("corrupt", image)
        server = world.errored(server_id)
    fault = server["fault"]
    assert fault["code"] == 500
    assert fault["message"].startswith(
        f"Build of instance {server_id} aborted: Image {image} is unacceptable: its data "
        f"is not a usable qcow2 disk (qemu-img info failed: "), fault
    assert "cluster size" in fault["message"] and str(world.tmp) not in fault["message"]
    world.check_healthy()


def test_random_bytes_as_raw_start_and_the_console_says_no_bootable_device(
        world: World) -> None:
    image, _ = world.image_of("random-raw", "raw", random_disk())
    with timed("boot random raw bytes to 'No bootable device' in the console"):
        server_id = world.boot("random-raw", image)
        server = world.api.wait_server(server_id, "ACTIVE")
        wait_until("the firmware's verdict in the console",
                   lambda: "No bootable device." in console(world, server_id), 180, 2.0)
    assert server["OS-EXT-STS:power_state"] == 1 and "fault" not in server
    assert "onestack-guest" not in console(world, server_id)  # no system came up
    world.check_healthy()


def test_a_flavor_too_small_for_the_image(world: World) -> None:
    """At the API when the image record tells; on the host when only the data tells."""
    small = world.cloud.flavor("e2e.tiny-ram", 128, 1)
    image, _ = world.image_of("needs-more", "qcow2", sparse_qcow2(world.tmp, "64M"),
                              min_ram=256, min_disk=2)
    assert world.refused_boot(image, small) == \
        "Flavor's memory is too small for requested image."
    assert world.refused_boot(image) == (
        f"Flavor's disk is smaller than the minimum size specified in image metadata. "
        f"Flavor disk is {GIB} bytes, minimum size is {2 * GIB} bytes.")

    big, _ = world.image_of("two-gib-inside", "qcow2", sparse_qcow2(world.tmp, "2G"))
    assert world.api.get("image", f"/images/{big}")["size"] < MIB  # the API cannot tell
    with timed("boot a 2 GiB image on a 1 GiB flavor to ERROR"):
        server_id = world.boot("too-big", big)
        server = world.errored(server_id)
    assert server["fault"]["message"] == (
        f"Build of instance {server_id} aborted: Flavor's disk is too small for requested "
        f"image. Flavor disk is {GIB} bytes, image is {2 * GIB} bytes.")
    world.check_healthy()


def test_a_guest_kernel_panic_shows_crashed_and_a_hard_reboot_brings_it_back(
        world: World) -> None:
    with timed("boot the guest that will panic to SSH"):
        guest = world.boot_guest("panics")
    before = guest.boot_id()
    with timed("panic to SHUTOFF with power state CRASHED"):
        try:
            guest.ssh("echo c > /proc/sysrq-trigger", timeout=15)
        except subprocess.TimeoutExpired:
            pass  # the guest died under the SSH session
        server = world.api.wait_server(guest.id, "SHUTOFF", timeout=120)
    assert server["OS-EXT-STS:power_state"] == CRASHED, server
    assert world.cloud.qemu_pid(guest.id) is not None  # kept paused for a look
    wait_until("the panic in the console", lambda: "Kernel panic" in console(world, guest.id),
               60, 2.0)
    world.check_healthy()

    with timed("hard reboot of the crashed guest to SSH"):
        world.api.action(guest.id, {"reboot": {"type": "HARD"}})
        server = world.api.wait_server(guest.id, "ACTIVE")
        guest.wait_ssh()
    assert server["OS-EXT-STS:power_state"] == 1
    assert guest.boot_id() != before
    world.check_healthy()


def test_the_healthy_guest_never_noticed(world: World) -> None:
    """Last: across everything above, the first guest kept its boot and its clock."""
    world.check_healthy()
    assert world.api.server(world.healthy.id)["status"] == "ACTIVE"

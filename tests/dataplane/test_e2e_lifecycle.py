"""Server lifecycles end to end on real guests: the API of ``onestack up``, QEMU compute
agents and Linux network agents in host namespaces the test made (``tests/dataplane/
cloud.py``), onestack's guest image under TCG (or KVM where it works), SSH into the guest
from its network's DHCP namespace. Two hosts joined by a VXLAN underlay; the checks reuse
one guest on the first host. Each agent (compute, network, volume) is killed with -9 while
a ping and a loop in the guest run; the last test deletes the servers and networks and
finds nothing of the dataplane left. The time of each step, and what the workloads saw
across the kills, are printed after the module.

About 14 minutes at a load of 15 on 2 cores under TCG (before the kill tests under a
workload and the leak test: 2.5 minutes on a quiet machine).
Needs root, /dev/net/tun, QEMU, nft, dnsmasq, busybox, ssh and ssh-keygen (openssh-client)
and the guest image; skips with the reason otherwise."""
from __future__ import annotations

import hashlib
import os
import secrets
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import pytest

from onestack.core.dataplane import tap_name
from onestack.network.drivers.linux import links
from tests.dataplane.cloud import Cloud, Guest, Process, missing_cloud
from tests.dataplane import steps
from tests.dataplane.steps import Steps
from tests.dataplane.cloud_api import Api, wait_until
from tests.dataplane.leaks import dataplane_remnants, delete_networks, kind, processes
from tests.dataplane.workload import GuestLoop, Pinger, largest_gap

REASON = missing_cloud()
pytestmark = pytest.mark.skipif(REASON is not None, reason=REASON or "")
READY = "onestack-guest: ready after"


STEPS = Steps("e2e")
timed = STEPS.timed



class World:
    """The cloud and what every test shares: the image, flavors, key, security group."""

    def __init__(self, cloud: Cloud):
        self.cloud = cloud
        assert cloud.api is not None
        self.api: Api = cloud.api
        self.image = cloud.upload_image()
        self.small = cloud.flavor("e2e.small", 256, 1)
        self.bigger = cloud.flavor("e2e.bigger", 384, 2)
        self.key = cloud.keypair()
        self.group = cloud.open_security_group()
        self.network = cloud.network_id("private")
        self._guest: Guest | None = None

    def boot(self, name: str, host: str = "h1", image: str | None = None) -> Guest:
        """A server on ``host``, ACTIVE and answering SSH."""
        with timed(f"boot {name} on {host} to SSH"):
            server_id = self.cloud.boot(name, image or self.image, self.small, self.network,
                                        self.key, self.group, host=host)
            self.api.wait_server(server_id, "ACTIVE")
            guest = self.cloud.guest(server_id)
            guest.wait_ssh()
        return guest

    @property
    def guest(self) -> Guest:
        """The guest the checks share, ACTIVE and answering SSH: booted at first use, and
        again when a failed check left it otherwise (so one failure does not fail the
        rest)."""
        if self._guest is not None and (
                self.api.server(self._guest.id)["status"] != "ACTIVE"
                or self._guest.ssh("true", timeout=20).returncode != 0):
            self._guest = None
        if self._guest is None:
            self._guest = self.boot(f"vm-{secrets.token_hex(2)}")
        return self._guest


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory,
          request: pytest.FixtureRequest) -> Iterator[World]:
    root = tmp_path_factory.mktemp("e2e")
    request.addfinalizer(lambda: STEPS.report(request.config))
    with STEPS.cloud(root, ("h1", "h2"), "cloud up (API and two hosts' agents)") as cloud:
        yield World(cloud)


@pytest.fixture(autouse=True)
def logs_on_failure(world: World, request: pytest.FixtureRequest) -> Iterator[None]:
    yield from steps.logs_on_failure(world.cloud, request)



def console(world: World, server_id: str) -> str:
    return str(world.api.action(server_id, {"os-getConsoleOutput": {}}).json()["output"])


def new_boot(guest: Guest, before: str, timeout: float = 180.0) -> str:
    """The guest's boot id once SSH answers from a boot other than ``before``."""
    def booted() -> str | None:
        done = guest.ssh("cat /proc/sys/kernel/random/boot_id", timeout=20)
        now = done.stdout.strip() if done.returncode == 0 else ""
        return now if now and now != before else None
    return str(wait_until(f"{guest.address} booted again", booted, timeout, 1.0))


def disks(guest: Guest) -> set[str]:
    return set(guest.run("ls /sys/block").split())


def read_back(guest: Guest, disk: str, length: int) -> str:
    return guest.run(f"dd if=/dev/{disk} bs={length} count=1 2>/dev/null")


# --- a. volumes ----------------------------------------------------------------------------

def test_a_volume_shows_up_in_the_guest_and_keeps_its_data_across_attachments(
        world: World) -> None:
    guest, api = world.guest, world.api
    volume = api.post("block-storage", "/volumes", {"volume": {
        "size": 1, "name": "e2e-vol"}}).json()["volume"]["id"]
    api.wait_volume(volume, "available")
    marker = "e2e-marker-" + secrets.token_hex(6)
    before = disks(guest)

    def attach() -> str:
        api.post("compute", f"/servers/{guest.id}/os-volume_attachments",
                 {"volumeAttachment": {"volumeId": volume}})
        api.wait_volume(volume, "in-use")
        added = wait_until("the disk in the guest", lambda: disks(guest) - before, 60)
        assert len(added) == 1, added
        name = next(iter(added))
        assert name.startswith("sd"), name  # a SCSI disk, hot-plugged
        size = int(guest.run(f"cat /sys/block/{name}/size"))
        assert size * 512 == 1 << 30  # the 1 GiB volume
        return name

    def detach() -> None:
        api.call("DELETE", "compute", f"/servers/{guest.id}/os-volume_attachments/{volume}",
                 expect=(202,))
        api.wait_volume(volume, "available")
        wait_until("the disk gone from the guest", lambda: disks(guest) == before, 60)

    with timed("volume attach, write, detach, attach, read"):
        name = attach()
        guest.run(f"printf '%s' {marker} > /dev/{name} && sync")
        detach()
        stored = world.cloud.hosts["h1"].state_dir / "volume" / "volumes" / f"volume-{volume}"
        assert stored.read_bytes()[:len(marker)] == marker.encode()  # in the backend's file
        name = attach()
        assert read_back(guest, name, len(marker)) == marker
    boot = guest.boot_id()
    with timed("hard reboot with the volume attached"):
        api.action(guest.id, {"reboot": {"type": "HARD"}})
        api.wait_server(guest.id, "ACTIVE")
        new_boot(guest, boot)
    assert read_back(guest, name, len(marker)) == marker  # QEMU restarted with the disk
    detach()
    api.call("DELETE", "block-storage", f"/volumes/{volume}", expect=(202,))


# --- b. lifecycle --------------------------------------------------------------------------

def test_stop_and_start(world: World) -> None:
    guest, api = world.guest, world.api
    boot = guest.boot_id()
    with timed("stop"):
        api.action(guest.id, {"os-stop": None})
        server = api.wait_server(guest.id, "SHUTOFF")
    assert server["OS-EXT-STS:power_state"] == 4  # SHUTDOWN
    assert world.cloud.qemu_pid(guest.id) is None
    assert guest.ssh("true", timeout=20).returncode != 0
    with timed("start to SSH"):
        api.action(guest.id, {"os-start": None})
        api.wait_server(guest.id, "ACTIVE")
        new_boot(guest, boot)


@pytest.mark.parametrize("kind", ["SOFT", "HARD"])
def test_reboot(world: World, kind: str) -> None:
    guest, api = world.guest, world.api
    boot = guest.boot_id()
    presses = console(world, guest.id).count("power button")
    with timed(f"{kind.lower()} reboot to SSH"):
        api.action(guest.id, {"reboot": {"type": kind}})
        api.wait_server(guest.id, "ACTIVE")
        new_boot(guest, boot)
    # a soft reboot asks the guest through its ACPI power button, a hard one resets it
    pressed = wait_until("the console log", lambda: console(world, guest.id), 30)
    assert (pressed.count("power button") > presses) == (kind == "SOFT")


def test_a_snapshot_boots_a_second_server_with_the_first_ones_files(world: World) -> None:
    guest, api = world.guest, world.api
    note = "e2e-snapshot-" + secrets.token_hex(6)
    guest.run(f"echo {note} > /root/note && sync")
    with timed("snapshot"):
        answer = api.action(guest.id, {"createImage": {"name": "e2e-snapshot"}}).json()
        image = answer["image_id"]
        wait_until("the snapshot image", lambda: api.get(
            "image", f"/images/{image}")["status"] == "active", 120)
        api.wait_server(guest.id, "ACTIVE")
    second = world.boot("vm-from-snapshot", image=image)
    try:
        assert second.run("cat /root/note").strip() == note
        assert second.boot_id() != guest.boot_id()
        assert guest.run("cat /root/note").strip() == note  # the original runs on
    finally:
        api.call("DELETE", "compute", f"/servers/{second.id}", expect=(204,))
        wait_until("the second server gone", lambda: api.call(
            "GET", "compute", f"/servers/{second.id}", expect=(200, 404)).status_code == 404,
            60)
        api.call("DELETE", "image", f"/images/{image}", expect=(204,))


def test_rescue_and_unrescue(world: World) -> None:
    guest, api = world.guest, world.api
    boot = guest.boot_id()
    readies = console(world, guest.id).count(READY)
    with timed("rescue to a booted rescue guest"):
        api.action(guest.id, {"rescue": {}})
        api.wait_server(guest.id, "RESCUE")
        wait_until("the rescue guest's boot on the console", lambda: console(
            world, guest.id).count(READY) > readies, 180, 1.0)
    with timed("unrescue to SSH"):
        api.action(guest.id, {"unrescue": None})
        api.wait_server(guest.id, "ACTIVE")
        new_boot(guest, boot)


def test_resize_and_confirm(world: World) -> None:
    guest, api = world.guest, world.api
    memory = int(guest.run("awk '/MemTotal/ {print $2}' /proc/meminfo"))
    boot = guest.boot_id()
    with timed("resize to VERIFY_RESIZE"):
        api.action(guest.id, {"resize": {"flavorRef": world.bigger}})
        api.wait_server(guest.id, "VERIFY_RESIZE")
    with timed("confirm"):
        api.action(guest.id, {"confirmResize": None})
        server = api.wait_server(guest.id, "ACTIVE")
    assert server["flavor"]["original_name"] == "e2e.bigger"
    new_boot(guest, boot)
    grown = int(guest.run("awk '/MemTotal/ {print $2}' /proc/meminfo"))
    assert grown > memory + 100 * 1024  # 384 MiB instead of 256 MiB
    disk = int(guest.run("cat /sys/block/vda/size")) * 512
    assert disk == 2 << 30


# --- c. crashes ----------------------------------------------------------------------------

@dataclass
class Watch:
    """The workload running across a kill: its loop's pass count at named moments."""
    loop: GuestLoop
    marks: dict[str, int] = field(default_factory=dict)
    last: int = 0  # the loop's last pass, once it stopped

    def mark(self, moment: str) -> None:
        self.marks[moment] = self.loop.passes()

    def grew(self, start: str, end: str) -> int:
        return self.marks[end] - self.marks[start]


@contextmanager
def workload(guest: Guest, what: str, body: str = "true") -> Iterator[Watch]:
    """A ping every 0.2 s from the guest's DHCP namespace and a loop in the guest (each
    pass: ``body``, then the guest's uptime noted) while the block runs; afterwards no
    request may have gone unanswered or been answered twice, no pass of the loop may
    have failed, and the loop must not have stalled."""
    pinger = Pinger(guest.via_netns, guest.address)
    watch = Watch(GuestLoop(guest, "load", body))
    try:
        yield watch
    finally:
        ping = pinger.stop()
        last, log, failed = watch.loop.stop()
    watch.last = last
    gap = largest_gap(log)
    STEPS.notes.append(f"{what}: ping every 0.2 s: {ping}; guest loop: {last} passes, the longest "
                 f"between two {gap:.2f}s, passes at {watch.marks}")
    assert ping.lost == [] and ping.duplicates == 0, f"{what}: {ping}, lost {ping.lost}"
    assert failed == "", f"passes whose body failed: {failed}"
    assert gap < 5.0, f"the guest's loop stalled for {gap:.1f}s"


def restart(agent: Process) -> float:
    """Starts a killed agent again; the monotonic time it was started at. How long its
    process took to say it runs is noted."""
    before = agent.log_path.read_bytes().count(b" agent running")
    agent.start()
    started = time.monotonic()
    wait_until(f"{agent.name} running", lambda: agent.log_path.read_bytes().count(
        b" agent running") > before, 60, 0.05)
    STEPS.notes.append(f"{agent.name} restarted: running {time.monotonic() - started:.2f}s "
                 "after its start")
    return started


def dnsmasqs(world: World, host: str) -> list[int]:
    tag = world.cloud.hosts[host].names.tag
    return [pid for pid, cmdline in processes()
            if cmdline.startswith("dnsmasq") and f"/{tag}/" in cmdline]


def test_a_killed_compute_agent_leaves_the_guest_running_and_its_successor_adopts_it(
        world: World) -> None:
    guest, api, cloud = world.guest, world.api, world.cloud
    agent = cloud.hosts[api.server(guest.id)["OS-EXT-SRV-ATTR:host"]].agents["compute"]
    pid = cloud.qemu_pid(guest.id)
    assert pid is not None
    boot, uptime = guest.boot_id(), guest.uptime()
    with workload(guest, "kill -9 of the compute agent") as watch:
        with timed("kill -9 of the compute agent, 5 s dead, a restart"):
            agent.kill9()
            watch.mark("killed")
            time.sleep(5)  # the guest on its own for a few resync periods
            assert guest.boot_id() == boot  # the guest runs on without its agent
            watch.mark("restarting")
            restarted = restart(agent)
            wait_until("the new agent's adoption",
                       lambda: "re-adopted 1 guests" in agent.tail(), 60, 0.1)
            STEPS.notes.append(f"compute agent restarted: the guest re-adopted "
                         f"{time.monotonic() - restarted:.2f}s after the restart")
            time.sleep(3)  # a resync pass or two of the new agent
            assert agent.alive(), agent.tail()
        watch.mark("adopted")
    assert watch.grew("killed", "restarting") > 0
    assert cloud.qemu_pids() == [pid]  # adopted, no second QEMU
    assert guest.boot_id() == boot and guest.uptime() > uptime
    assert api.server(guest.id)["status"] == "ACTIVE"

    with timed("kill -9 of QEMU to SHUTOFF"):
        os.kill(pid, 9)
        server = api.wait_server(guest.id, "SHUTOFF", timeout=60)
    assert server["OS-EXT-STS:power_state"] == 4
    with timed("start after the crash to SSH"):
        api.action(guest.id, {"os-start": None})
        api.wait_server(guest.id, "ACTIVE")
        new_boot(guest, boot)
    assert cloud.qemu_pids() == [cloud.qemu_pid(guest.id)]


def test_a_killed_network_agent_leaves_the_guests_network_alone(world: World) -> None:
    """The restarted agent finds the port wired: the tap QEMU holds open is not made
    again (a new tap would cut the guest off), the DHCP server is not doubled, and a ping
    running across the kill and the restart loses nothing (the data path is the
    kernel's)."""
    guest, api, cloud = world.guest, world.api, world.cloud
    name = api.server(guest.id)["OS-EXT-SRV-ATTR:host"]
    host = cloud.hosts[name]
    port = api.get("network", f"/ports?device_id={guest.id}")["ports"][0]["id"]
    tap = links.Links(host.netns).get(tap_name(port))
    assert tap is not None
    servers = dnsmasqs(world, name)
    assert len(servers) == 1, servers
    agent = host.agents["network"]
    boot = guest.boot_id()
    with workload(guest, "kill -9 of the network agent") as watch:
        with timed("kill -9 of the network agent, 5 s dead, a restart"):
            agent.kill9()
            watch.mark("killed")
            time.sleep(5)
            watch.mark("restarting")
            restart(agent)
            time.sleep(8)  # the new agent's first full passes (resync every 2 s)
            assert agent.alive(), agent.tail()
        watch.mark("after")
    assert watch.grew("killed", "restarting") > 0
    again = links.Links(host.netns).get(tap_name(port))
    assert again is not None and again.index == tap.index
    assert dnsmasqs(world, name) == servers  # the same DHCP server, not a second one
    assert guest.boot_id() == boot
    assert api.get("network", f"/ports/{port}")["port"]["status"] == "ACTIVE"


def new_volume(api: Api, name: str, **extra: Any) -> str:
    return str(api.post("block-storage", "/volumes", {"volume": {
        "size": 1, "name": name, **extra}}).json()["volume"]["id"])


def attach(world: World, guest: Guest, volume: str) -> str:
    """Attaches ``volume`` to ``guest``; the name of the disk it became there."""
    before = disks(guest)
    world.api.post("compute", f"/servers/{guest.id}/os-volume_attachments",
                   {"volumeAttachment": {"volumeId": volume}})
    world.api.wait_volume(volume, "in-use")
    added = wait_until("the disk in the guest", lambda: disks(guest) - before, 60)
    assert len(added) == 1, added
    return str(next(iter(added)))


def detach(world: World, guest: Guest, volume: str, disk: str) -> None:
    world.api.call("DELETE", "compute",
                   f"/servers/{guest.id}/os-volume_attachments/{volume}", expect=(202,))
    world.api.wait_volume(volume, "available")
    wait_until("the disk gone from the guest", lambda: disk not in disks(guest), 60)


def delete_volumes(world: World, *volumes: str) -> None:
    stored = world.cloud.hosts["h1"].state_dir / "volume" / "volumes"
    for volume in volumes:
        world.api.call("DELETE", "block-storage", f"/volumes/{volume}", expect=(202,))
    for volume in volumes:
        wait_until(f"volume {volume} gone", lambda: world.api.call(
            "GET", "block-storage", f"/volumes/{volume}", expect=(200, 404)
        ).status_code == 404 and not (stored / f"volume-{volume}").exists(), 60)


def test_a_killed_volume_agent_leaves_the_guest_writing_and_its_successor_does_what_was_asked(
        world: World) -> None:
    """The guest writes a numbered sector every 0.2 s (O_DIRECT, fsync) to an attached
    volume while the volume agent is killed, stays dead for three resync periods and is
    restarted: no write fails or goes missing, and a volume asked for while no agent ran
    is made once the new one runs, and only once."""
    guest, api, cloud = world.guest, world.api, world.cloud
    host = cloud.hosts["h1"]
    agent, stored = host.agents["volume"], host.state_dir / "volume" / "volumes"
    files = set(stored.glob("volume-*"))  # of earlier tests, if any failed to delete theirs
    volume = new_volume(api, "e2e-written")
    api.wait_volume(volume, "available")
    disk = attach(world, guest, volume)
    boot = guest.boot_id()
    write = (f"printf '%-511s\\n' $i | dd of=/dev/{disk} bs=512 seek=$i count=1 "
             "iflag=fullblock oflag=direct conv=fsync,notrunc status=none")
    with workload(guest, "kill -9 of the volume agent", write) as watch:
        wait_until("a few writes", lambda: watch.loop.passes() >= 5, 30)
        with timed("kill -9 of the volume agent, a volume asked for, 6 s dead, a restart"):
            agent.kill9()
            watch.mark("killed")
            asked = new_volume(api, "e2e-asked-while-dead")
            time.sleep(6)  # three resync periods with nobody to make it
            assert api.volume(asked)["status"] == "creating"
            assert not (stored / f"volume-{asked}").exists()
            watch.mark("restarting")
            restarted = restart(agent)
            api.wait_volume(asked, "available", timeout=60)
            STEPS.notes.append(f"volume asked for while the volume agent was dead: available "
                         f"{time.monotonic() - restarted:.2f}s after the restart")
        written = watch.loop.passes()
        wait_until("writes after the restart", lambda: watch.loop.passes() >= written + 5, 30)
        watch.mark("after")
    assert watch.grew("killed", "restarting") > 0  # writes went on while it was dead
    assert guest.boot_id() == boot
    last = watch.last
    detach(world, guest, volume, disk)
    with open(stored / f"volume-{volume}", "rb") as f:
        sectors = f.read((last + 2) * 512)
    assert sectors[:512] == bytes(512)  # sector 0 was never written
    wrong = [i for i in range(1, last + 1)
             if sectors[i * 512:(i + 1) * 512] != f"{i:<511}\n".encode()]
    assert wrong == [], f"sectors not holding their write: {wrong[:20]}"
    # made once: one file each, nothing half-made, one volume of that name, both settled
    assert set(stored.glob("volume-*")) - files == {stored / f"volume-{v}"
                                                     for v in (volume, asked)}
    assert list((stored / ".scratch").iterdir()) == []
    named = api.get("block-storage", "/volumes/detail?name=e2e-asked-while-dead")["volumes"]
    assert [v["id"] for v in named] == [asked]
    time.sleep(3)  # a resync of the new agent changes nothing
    assert {api.volume(v)["status"] for v in (volume, asked)} == {"available"}
    delete_volumes(world, volume, asked)


def test_a_volume_agent_killed_in_the_middle_of_a_copy_is_finished_by_its_successor(
        world: World, tmp_path: Path) -> None:
    """A volume made from a 256 MiB raw image: the agent is killed while the bytes copy
    (status ``downloading``); the new one copies again and publishes one whole file."""
    api, cloud = world.api, world.cloud
    host = cloud.hosts["h1"]
    agent, stored = host.agents["volume"], host.state_dir / "volume" / "volumes"
    source, digest = tmp_path / "random.raw", hashlib.sha256()
    with open(source, "wb") as f:
        for _ in range(256):
            chunk = os.urandom(1 << 20)
            digest.update(chunk)
            f.write(chunk)
    files = set(stored.glob("volume-*"))
    image = api.post("image", "/images", {"name": "e2e-random", "disk_format": "raw",
                                          "container_format": "bare"}).json()["id"]
    with open(source, "rb") as f:
        api.call("PUT", "image", f"/images/{image}/file", content=f,
                 headers={"Content-Type": "application/octet-stream"})
    wait_until("the image active", lambda: api.get(
        "image", f"/images/{image}")["status"] == "active", 120)
    volume = new_volume(api, "e2e-from-image", imageRef=image)
    status = wait_until("the copy under way", lambda: api.volume(volume)["status"] in (
        "downloading", "available", "error") and api.volume(volume)["status"], 120, 0.05)
    assert status == "downloading", "the copy ended before it could be caught under way"
    with timed("kill -9 of the volume agent during a copy to the volume available"):
        agent.kill9()
        half = sum(p.stat().st_size for p in (stored / ".scratch").iterdir())
        time.sleep(4)
        assert api.volume(volume)["status"] == "downloading"  # nobody finished it
        restarted = restart(agent)
        api.wait_volume(volume, "available", timeout=120)
    STEPS.notes.append(f"copy of a 256 MiB image: killed with {half >> 20} MiB copied; available "
                 f"{time.monotonic() - restarted:.2f}s after the restart")
    made = stored / f"volume-{volume}"
    assert made.stat().st_size == 1 << 30
    copied = hashlib.sha256()
    with open(made, "rb") as f:
        for _ in range(256):
            copied.update(f.read(1 << 20))
    assert copied.hexdigest() == digest.hexdigest()
    assert list((stored / ".scratch").iterdir()) == []
    assert set(stored.glob("volume-*")) - files == {made}
    assert api.volume(volume)["bootable"] == "true"
    delete_volumes(world, volume)
    api.call("DELETE", "image", f"/images/{image}", expect=(204,))


# --- d. two hosts --------------------------------------------------------------------------

def test_guests_on_two_hosts_reach_each_other_over_vxlan(world: World) -> None:
    guest, api = world.guest, world.api
    other = world.boot("vm-h2", host="h2")
    try:
        assert api.server(other.id)["OS-EXT-SRV-ATTR:host"] == "h2"
        assert api.server(guest.id)["OS-EXT-SRV-ATTR:host"] == "h1"
        with timed("ping across hosts"):
            guest.run(f"ping -c 3 -W 2 {other.address}")
            other.run(f"ping -c 3 -W 2 {guest.address}")
    finally:
        api.call("DELETE", "compute", f"/servers/{other.id}", expect=(204,))


# --- e. leaks -------------------------------------------------------------------------------

def test_nothing_is_left_once_the_servers_and_networks_are_gone(world: World) -> None:
    """After the other tests killed and restarted every agent, the servers, routers and
    networks are deleted — with the compute agent killed while the servers go and the
    network agent while the networks go — and nothing of the dataplane may remain. The
    check runs with the agents up, before any forced clean-up, and first has to see each
    kind of thing while it exists (so it can fail)."""
    api, cloud = world.api, world.cloud
    world.guest  # a guest exists (after a failed check, a fresh one)
    present = {kind(r) for r in dataplane_remnants(cloud)}
    assert {"qemu", "tap", "bridge", "vxlan", "dhcp leg", "router leg", "external leg",
            "nft table", "qdhcp", "qrouter", "qext", "dnsmasq", "metadata_proxy",
            "spec"} <= present, present
    h1 = cloud.hosts["h1"]
    with timed("delete the servers (compute agent killed) and networks (network agent "
               "killed) to nothing left"):
        for server in cloud.servers:
            api.call("DELETE", "compute", f"/servers/{server}", expect=(204, 404))
        h1.agents["compute"].kill9()
        time.sleep(3)
        h1.agents["compute"].start()
        for server in cloud.servers:
            wait_until(f"server {server} gone", lambda: api.call(
                "GET", "compute", f"/servers/{server}", expect=(200, 404)
            ).status_code == 404, 120)
        delete_networks(api)
        h1.agents["network"].kill9()
        time.sleep(3)
        h1.agents["network"].start()
        try:
            wait_until("nothing of the dataplane left",
                       lambda: not dataplane_remnants(cloud), 90, 1.0)
        except AssertionError:
            pass
    assert dataplane_remnants(cloud) == []
    assert all(a.alive() for h in cloud.hosts.values() for a in h.agents.values())

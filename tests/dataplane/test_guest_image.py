"""onestack's own guest image (scripts/build_guest_image.py) built and booted for real.

The image is built once per run into ~/.cache/onestack-guest (reused while its inputs
are unchanged) and each boot writes to a throwaway qcow2 overlay. Guests use QEMU's
user networking with `restrict=on`: the guest reaches nothing outside QEMU, and the
test reaches the guest's SSH only through a forward on 127.0.0.1. KVM is used when it
really runs a Linux guest here, else TCG.
"""
from __future__ import annotations

import importlib.util
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[2]
BUILD_SCRIPT = REPO / "scripts" / "build_guest_image.py"
GUEST_FILES = REPO / "scripts" / "guest"
CACHE = Path.home() / ".cache" / "onestack-guest"  # the build script's own cache
BUILD_TOOLS = ("apt-get", "apt-cache", "dpkg-deb", "ldd", "mkfs.vfat", "mcopy", "qemu-img")
BOOT_TOOLS = ("qemu-system-x86_64", "ssh", "ssh-keygen")
READY = "onestack-guest: ready"
BOOT_TIMEOUT = {"kvm": 60.0, "tcg": 180.0}


def _load_configdrive() -> ModuleType:
    spec = importlib.util.spec_from_file_location("guest_configdrive",
                                                  GUEST_FILES / "configdrive.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


configdrive = _load_configdrive()


def _missing(*tools: str) -> str | None:
    for tool in tools:
        if shutil.which(tool) is None:
            return f"needs {tool} (installed by .ci/run)"
    return None


# --- the JSON extraction the init uses (busybox awk, no VM) --------------------------

def _json_get(want: str, text: str, tmp_path: Path) -> list[str]:
    reason = _missing("busybox")
    if reason:
        pytest.skip(reason)
    document = tmp_path / "meta_data.json"
    document.write_text(text)
    result = subprocess.run(["busybox", "awk", "-v", f"want={want}", "-f",
                             str(GUEST_FILES / "json.awk"), str(document)],
                            check=True, capture_output=True, text=True)
    return result.stdout.splitlines()


KEY_A = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG9uZXN0YWNr alice@example"
KEY_B = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ/+x bob"


def test_json_awk_reads_compact_meta_data(tmp_path: Path) -> None:
    text = json.dumps({"uuid": "u1", "name": "vm one", "hostname": "vm-1.novalocal",
                       "public_keys": {"a": KEY_A, "b": KEY_B + "\n"},
                       "keys": [{"name": "a", "type": "ssh", "data": KEY_A}],
                       "meta": {"hostname": "not-this"}})
    assert _json_get("hostname", text, tmp_path) == ["vm-1.novalocal"]
    assert [k for k in _json_get("public_keys", text, tmp_path) if k] == [KEY_A, KEY_B]
    assert _json_get("name", text, tmp_path) == ["vm one"]


def test_json_awk_reads_pretty_printed_and_escaped_json(tmp_path: Path) -> None:
    text = json.dumps({"public_keys": {"k": KEY_B.replace("/", "\\/")},
                       "name": 'say "hi"', "hostname": "h"}, indent=2)
    assert _json_get("public_keys", text, tmp_path) == [KEY_B.replace("/", "\\/")]
    escaped = '{"hostname": "h", "public_keys": {"k": "ssh-rsa AA\\/B c"}}'
    assert _json_get("public_keys", escaped, tmp_path) == ["ssh-rsa AA/B c"]
    assert _json_get("name", text, tmp_path) == ['say "hi"']


def test_json_awk_prints_nothing_for_absent_keys(tmp_path: Path) -> None:
    assert _json_get("public_keys", '{"uuid": "u", "hostname": "h"}', tmp_path) == []
    assert _json_get("hostname", '{"uuid": "u", "keys": [{"hostname": "x"}]}', tmp_path) == []


# --- the DHCP lease script, run by busybox on a veth NIC in a throwaway namespace -------

def _lease(netns: str, tmp_path: Path, event: str, **lease: str) -> None:
    applets = tmp_path / "busybox-bin"
    if not applets.exists():
        applets.mkdir()
        subprocess.run(["busybox", "--install", "-s", str(applets)], check=True)
    env = {"PATH": str(applets), "ONESTACK_CONSOLE": str(tmp_path / "console"),
           "ONESTACK_RUN": str(tmp_path / "run"),
           "ONESTACK_RESOLV_CONF": str(tmp_path / "resolv.conf"), **lease}
    # the host's ip enters the namespace; inside, PATH finds only busybox applets
    host_ip, busybox = shutil.which("ip"), shutil.which("busybox")
    assert host_ip and busybox
    subprocess.run([host_ip, "netns", "exec", netns, busybox, "sh",
                    str(GUEST_FILES / "udhcpc.script"), event],
                   check=True, env=env, timeout=30)


def _in_netns(netns: str, *command: str) -> str:
    return subprocess.run(["ip", "netns", "exec", netns, *command], check=True,
                          capture_output=True, text=True).stdout


def test_dhcp_lease_sets_address_mtu_routes_dns_and_hostname(
        host_netns: str, tmp_path: Path) -> None:
    reason = _missing("busybox")
    if reason:
        pytest.skip(reason)
    _in_netns(host_netns, "ip", "link", "add", "eth0", "type", "veth", "peer", "name", "peer0")
    _in_netns(host_netns, "ip", "link", "set", "peer0", "up")
    lease = {"interface": "eth0", "ip": "10.20.0.5", "mask": "24", "router": "10.20.0.1",
             "mtu": "1400", "dns": "10.20.0.3 10.20.0.4", "domain": "example.org",
             "hostname": "from-dhcp",
             # classless static routes (RFC 3442): they win over the router option
             "staticroutes": "0.0.0.0/0 10.20.0.1 169.254.169.254/32 10.20.0.2"}
    _lease(host_netns, tmp_path, "deconfig", interface="eth0")
    _lease(host_netns, tmp_path, "bound", **lease)

    link = _in_netns(host_netns, "ip", "-4", "addr", "show", "dev", "eth0")
    assert "inet 10.20.0.5/24" in link and "mtu 1400" in link
    routes = _in_netns(host_netns, "ip", "-4", "route", "show", "dev", "eth0")
    assert "default via 10.20.0.1" in routes
    assert "169.254.169.254 via 10.20.0.2" in routes
    assert (tmp_path / "resolv.conf").read_text() == (
        "search example.org\nnameserver 10.20.0.3\nnameserver 10.20.0.4\n")
    assert (tmp_path / "run/dhcp/eth0.hostname").read_text() == "from-dhcp\n"
    assert (tmp_path / "console").read_text() == (
        "onestack-guest: eth0: address 10.20.0.5/24 gateway 10.20.0.1 mtu 1400\n")

    # a renewal with the same address keeps it; without static routes the router is used
    renewal = {k: v for k, v in lease.items() if k != "staticroutes"}
    _lease(host_netns, tmp_path, "renew", **renewal)
    routes = _in_netns(host_netns, "ip", "-4", "route", "show", "dev", "eth0")
    assert "default via 10.20.0.1" in routes
    assert "inet 10.20.0.5/24" in _in_netns(host_netns, "ip", "-4", "addr", "show", "eth0")


def test_the_default_route_stays_on_the_first_nic_whatever_order_the_leases_come_in(
        host_netns: str, tmp_path: Path) -> None:
    reason = _missing("busybox")
    if reason:
        pytest.skip(reason)
    for nic, peer in (("eth0", "peer0"), ("eth1", "peer1")):
        _in_netns(host_netns, "ip", "link", "add", nic, "type", "veth", "peer", "name", peer)
        _in_netns(host_netns, "ip", "link", "set", peer, "up")
    second = {"interface": "eth1", "ip": "10.2.2.100", "mask": "24", "router": "10.2.2.1"}
    first = {"interface": "eth0", "ip": "10.20.0.5", "mask": "24",
             "staticroutes": "0.0.0.0/0 10.20.0.1"}

    def default() -> str:
        return _in_netns(host_netns, "ip", "-4", "route", "show", "default").strip()
    for lease in (second, first):
        _lease(host_netns, tmp_path, "deconfig", interface=lease["interface"])
    _lease(host_netns, tmp_path, "bound", **second)  # the later NIC answers first
    assert default().startswith("default via 10.2.2.1 dev eth1")
    _lease(host_netns, tmp_path, "bound", **first)  # the first NIC takes it over
    assert default().startswith("default via 10.20.0.1 dev eth0")
    _lease(host_netns, tmp_path, "renew", **second)  # and keeps it
    assert default().startswith("default via 10.20.0.1 dev eth0")
    assert "inet 10.2.2.100/24" in _in_netns(host_netns, "ip", "-4", "addr", "show", "eth1")


# --- the image -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def guest_image() -> Path:
    reason = _missing(*BUILD_TOOLS)
    if reason:
        pytest.skip(reason)
    started = time.monotonic()
    result = subprocess.run([sys.executable, str(BUILD_SCRIPT), "--out", str(CACHE)],
                            capture_output=True, text=True, timeout=900)
    if result.returncode != 0 and "apt-get update" in result.stderr and os.geteuid() != 0:
        pytest.skip("the package lists are missing and only root can fetch them")
    assert result.returncode == 0, result.stderr
    print(f"\nguest image ready in {time.monotonic() - started:.1f}s: {result.stderr.strip()}")
    image = Path(result.stdout.strip())
    assert image == CACHE / "onestack-guest.qcow2"
    return image


def test_image_is_a_small_qcow2(guest_image: Path) -> None:
    info = json.loads(subprocess.run(["qemu-img", "info", "--output=json", str(guest_image)],
                                     check=True, capture_output=True, text=True).stdout)
    assert info["format"] == "qcow2"
    assert "backing-filename" not in info
    size_mib = guest_image.stat().st_size / 2**20
    print(f"\nimage: {size_mib:.1f} MiB on disk, {info['virtual-size'] // 2**20} MiB virtual")
    assert 5 < size_mib < 64
    assert info["virtual-size"] <= 128 * 2**20


def test_rebuild_with_unchanged_inputs_is_skipped(guest_image: Path) -> None:
    before = guest_image.stat().st_mtime_ns
    result = subprocess.run([sys.executable, str(BUILD_SCRIPT), "--out", str(CACHE)],
                            check=True, capture_output=True, text=True, timeout=120)
    assert "up to date" in result.stderr
    assert guest_image.stat().st_mtime_ns == before


# --- booting it -------------------------------------------------------------------------

def _kvm_runs_firmware(timeout: float = 5.0) -> bool:
    """SeaBIOS under KVM says "Running on KVM" on its debug port when KVM executes code."""
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        return False
    try:
        result = subprocess.run(
            ["qemu-system-x86_64", "-accel", "kvm", "-machine", "pc", "-m", "32",
             "-nodefaults", "-display", "none", "-no-reboot", "-debugcon", "stdio",
             "-global", "isa-debugcon.iobase=0x402"],
            stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
        output = result.stdout
    except subprocess.TimeoutExpired as expired:
        output = expired.stdout or b""
    return b"Running on KVM" in output


@dataclass
class Guest:
    process: subprocess.Popen
    console: Path
    ssh_port: int
    started: float
    ssh_host: str = "127.0.0.1"
    netns: str | None = None  # where the guest's SSH is reached from

    def monitor(self, command: str) -> None:
        """One human-monitor command on QEMU's stdin (its answers are not read)."""
        assert self.process.stdin is not None
        self.process.stdin.write(command.encode() + b"\n")
        self.process.stdin.flush()

    def console_text(self) -> str:
        return self.console.read_text(errors="replace") if self.console.exists() else ""

    def wait_for_console(self, text: str, timeout: float, count: int = 1) -> float:
        """Seconds from QEMU's start until `text` is on the console (`count` times)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.console_text().count(text) >= count:
                return time.monotonic() - self.started
            if self.process.poll() is not None:
                raise AssertionError(f"QEMU exited {self.process.returncode}:\n"
                                     + self.console_text())
            time.sleep(0.2)
        raise AssertionError(f"no {text!r} on the console within {timeout:.0f}s:\n"
                             + self.console_text())


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start_guest(image: Path, tmp_path: Path, accel: str, config_drive: Path | None = None,
                 network: str = "", nics: list[str] | None = None,
                 netns: str | None = None, extra: tuple[str, ...] = (),
                 machine: str = "q35") -> Guest:
    """QEMU on a throwaway overlay of `image`. By default one user-network NIC whose SSH
    is forwarded from 127.0.0.1 (`network`: more `-netdev user` options); `nics`:
    other NIC arguments instead; `netns`: run QEMU inside that namespace; `extra`:
    more QEMU arguments; `machine`: q35 (what the compute driver uses) or pc."""
    disk = tmp_path / f"disk-{accel}.qcow2"
    disk.unlink(missing_ok=True)
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-b", str(image), "-F",
                    "qcow2", str(disk)], check=True)
    console = tmp_path / f"console-{accel}.log"
    console.unlink(missing_ok=True)
    port = _free_port()
    if nics is None:
        nics = ["-netdev",
                f"user,id=net0,restrict=on,hostfwd=tcp:127.0.0.1:{port}-:22{network}",
                "-device", "virtio-net-pci,netdev=net0"]
    argv = ["ip", "netns", "exec", netns] if netns else []
    argv += ["qemu-system-x86_64", "-machine", f"{machine},accel={accel}",
             "-cpu", "host" if accel == "kvm" else "max", "-m", "256",
             "-nodefaults", "-no-user-config", "-nographic",
             "-serial", f"file:{console}", "-monitor", "stdio",
             "-drive", f"file={disk},if=none,id=root,format=qcow2",
             "-device", "virtio-blk-pci,drive=root,bootindex=0", *nics, *extra]
    if machine == "q35":  # a free PCIe slot, as the compute driver leaves, for hot-plug
        argv += ["-device", "pcie-root-port,id=hotplug0,chassis=1,slot=1"]
    if config_drive is not None:
        argv += ["-drive", f"file={config_drive},if=virtio,format=raw,readonly=on"]
    started = time.monotonic()
    process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    return Guest(process, console, port, started)


def _stop(guest: Guest) -> None:
    if guest.process.poll() is None:
        guest.process.kill()
    guest.process.wait(timeout=30)
    if guest.process.stdin is not None:
        guest.process.stdin.close()


@pytest.fixture(scope="module")
def accelerator(guest_image: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    """KVM when it boots this image's kernel, else TCG. The firmware probe alone is not
    enough: on nested hosts KVM can run SeaBIOS yet fail on the boot loader or kernel."""
    reason = _missing(*BOOT_TOOLS)
    if reason:
        pytest.skip(reason)
    if not _kvm_runs_firmware():
        print("\naccelerator: tcg (KVM did not run the firmware)")
        return "tcg"
    guest = _start_guest(guest_image, tmp_path_factory.mktemp("kvm-probe"), "kvm")
    try:
        guest.wait_for_console("onestack-guest: starting", timeout=10)
        print("\naccelerator: kvm (it runs the firmware and the guest kernel)")
        return "kvm"
    except AssertionError:
        print("\naccelerator: tcg (KVM runs the firmware but not the guest kernel)")
        return "tcg"
    finally:
        _stop(guest)


@pytest.fixture()
def ssh_key(tmp_path: Path) -> Path:
    key = tmp_path / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "guest-test",
                    "-f", str(key)], check=True)
    return key


def _ssh(guest: Guest, key: Path, command: str, *options: str,
         timeout: float = 30) -> subprocess.CompletedProcess:
    prefix = ["ip", "netns", "exec", guest.netns] if guest.netns else []
    return subprocess.run(
        [*prefix, "ssh", "-o", "StrictHostKeyChecking=no",
         "-o", "UserKnownHostsFile=/dev/null",
         "-o", "BatchMode=yes", "-o", "ConnectTimeout=10", "-o", "LogLevel=ERROR",
         *options, "-i", str(key), "-p", str(guest.ssh_port), f"onestack@{guest.ssh_host}",
         command], stdin=subprocess.DEVNULL, capture_output=True, text=True,
        timeout=timeout)


def _wait_for_ssh(guest: Guest, key: Path, timeout: float) -> float:
    """Seconds from QEMU's start until a command runs over SSH."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if _ssh(guest, key, "true").returncode == 0:
                return time.monotonic() - guest.started
        except subprocess.TimeoutExpired:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"no SSH within {timeout:.0f}s:\n" + guest.console_text())
        time.sleep(0.5)


USER_DATA = b"#!/bin/sh\necho \"user-data ran as $(id -u)\" > /root/user-data-marker\n"


def test_guest_boots_with_config_drive_and_answers_ssh(
        guest_image: Path, accelerator: str, ssh_key: Path, tmp_path: Path) -> None:
    metadata = configdrive.meta_data(
        "guest test", hostname="guest-test.example.org",
        public_keys={"test": ssh_key.with_suffix(".pub").read_text().strip()})
    drive = configdrive.write_config_drive(tmp_path / "config-2.img", metadata, USER_DATA)
    blank = tmp_path / "blank.img"  # a volume-like empty disk
    subprocess.run(["qemu-img", "create", "-q", "-f", "raw", str(blank), "16M"], check=True)
    extra = ("-drive", f"file={blank},if=none,id=blank,format=raw",
             "-device", "virtio-blk-pci,drive=blank,serial=blank")
    guest = _start_guest(guest_image, tmp_path, accelerator, drive, extra=extra)
    try:
        ready = guest.wait_for_console(READY, BOOT_TIMEOUT[accelerator])
        to_ssh = _wait_for_ssh(guest, ssh_key, timeout=60)
        print(f"\n{accelerator}: console says ready {ready:.1f}s, SSH answers "
              f"{to_ssh:.1f}s after QEMU started")
        console = guest.console_text()
        assert "metadata from config drive" in console
        assert "address eth0=10.0.2.15/24" in console

        assert _ssh(guest, ssh_key, "hostname").stdout.strip() == "guest-test"
        marker = _ssh(guest, ssh_key, "cat /root/user-data-marker")
        assert marker.stdout.strip() == "user-data ran as 0", marker.stderr
        addresses = _ssh(guest, ssh_key, "ip -4 addr show dev eth0").stdout
        assert "inet 10.0.2.15/24" in addresses
        routes = _ssh(guest, ssh_key, "ip -4 route").stdout
        assert "10.0.2.0/24 dev eth0" in routes
        # key only: the same user without the key is refused
        refused = _ssh(guest, ssh_key, "true", "-o", "PreferredAuthentications=password",
                       "-o", "PubkeyAuthentication=no")
        assert refused.returncode == 255
        _check_tempest_commands(guest, ssh_key)
        # a NIC plugged in after boot gets its DHCP address too
        guest.monitor("netdev_add user,id=net1,restrict=on,net=10.0.3.0/24")
        guest.monitor("device_add virtio-net-pci,netdev=net1,id=nic1,bus=hotplug0")
        guest.wait_for_console("onestack-guest: eth1: address 10.0.3.15/24", timeout=60)
        assert "inet 10.0.3.15/24" in _ssh(guest, ssh_key, "ip -4 addr show dev eth1").stdout
        # /tmp is on the disk: a file written there survives a hard reset
        _ssh(guest, ssh_key, "echo kept > /tmp/kept && sync")
        guest.monitor("system_reset")
        guest.wait_for_console(READY, BOOT_TIMEOUT[accelerator], count=2)
        _wait_for_ssh(guest, ssh_key, timeout=60)
        assert _ssh(guest, ssh_key, "cat /tmp/kept").stdout.strip() == "kept"
        assert guest.console_text().count("state file system made on /dev/vda2") == 1
    finally:
        _stop(guest)


# what Tempest's remote client puts before every command it runs in a guest
TEMPEST_PROLOGUE = "set -eu -o pipefail; PATH=$PATH:/sbin:/usr/sbin;"


def _check_tempest_commands(guest: Guest, key: Path) -> None:
    """The commands Tempest's remote client runs, as it runs them: disks from
    `lsblk -lb --nodeps` (TYPE column), the config drive by label, the DHCP client's
    pid file, a file system made, mounted and written on an empty disk."""
    def run(command: str) -> str:
        done = _ssh(guest, key, f"{TEMPEST_PROLOGUE} {command}")
        assert done.returncode == 0, f"{command}: {done.stderr}"
        return done.stdout

    lines = run("lsblk -lb --nodeps").splitlines()
    column = lines[0].find("TYPE")
    disks = [line.split()[0] for line in lines[1:] if line[column:column + 4] == "disk"]
    assert sorted(disks) == ["vda", "vdb", "vdc"]
    assert run("blkid -L config-2 -o device").strip() in ("/dev/vdb", "/dev/vdc")
    assert run("cat /var/run/udhcpc.eth0.pid").strip().isdigit()
    assert run("grep -c ^processor /proc/cpuinfo").strip() == "1"
    blank = run("for d in /sys/block/vd*; do "
                "[ \"$(cat $d/serial)\" = blank ] && echo ${d##*/}; done; true").strip()
    run(f"sudo mkfs -t ext4 /dev/{blank} && sudo mount /dev/{blank} /mnt && "
        "sudo sh -c 'echo written > /mnt/marker' && sync")
    assert run("cat /mnt/marker && sudo umount /mnt").strip() == "written"


def test_guest_without_metadata_still_boots_to_ready(
        guest_image: Path, accelerator: str, tmp_path: Path) -> None:
    # two NICs at boot, each with its DHCP; the second's network holds 169.254.169.254,
    # where nothing answers (QEMU refuses the guest's connections)
    nics = ["-netdev", "user,id=net0,restrict=on", "-device", "virtio-net-pci,netdev=net0",
            "-netdev", "user,id=net1,restrict=on,net=169.254.169.0/24",
            "-device", "virtio-net-pci,netdev=net1"]
    guest = _start_guest(guest_image, tmp_path, accelerator, nics=nics)
    try:
        ready = guest.wait_for_console(READY, BOOT_TIMEOUT[accelerator])
        print(f"\n{accelerator}: ready without metadata {ready:.1f}s after QEMU started")
        console = guest.console_text()
        assert "onestack-guest: address eth0=10.0.2.15/24" in console
        assert "onestack-guest: address eth1=169.254.169.15/24" in console
        assert "metadata: no config drive, the metadata service did not answer" in console
        assert "onestack-guest: hostname onestack-guest" in console
        assert "onestack-guest: dropbear listening on port 22" in console
        # the ACPI power button (a graceful stop) powers the guest off
        guest.monitor("system_powerdown")
        assert guest.process.wait(timeout=60) == 0
        assert "onestack-guest: power button, powering off" in guest.console_text()
    finally:
        _stop(guest)


# A metadata service for one guest connection: QEMU runs it with the connection on
# stdin/stdout (a `guestfwd` to a command), so no socket is opened anywhere.
METADATA = "http://169.254.169.254/openstack/latest"
METADATA_RESPONDER = """
import sys
from pathlib import Path
root, log = Path(sys.argv[1]), Path(sys.argv[2])
request = sys.stdin.buffer.readline().decode().split()
length = 0
while (line := sys.stdin.buffer.readline()) not in (b"\\r\\n", b"\\n", b""):
    name, _, value = line.decode().partition(":")
    if name.strip().lower() == "content-length":
        length = int(value)
posted = sys.stdin.buffer.read(length).decode() if length else ""
method = request[0] if request else ""
path = request[1] if len(request) > 1 else "/"
with log.open("a") as seen:
    seen.write(" ".join(filter(None, (method, path, posted))) + "\\n")
target = root / path.lstrip("/")
if target.resolve().is_relative_to(root.resolve()) and target.is_file():
    body, status = target.read_bytes(), "200 OK"
else:
    body, status = b"not found", "404 Not Found"
sys.stdout.buffer.write(f"HTTP/1.0 {status}\\r\\nContent-Length: {len(body)}\\r\\n"
                        "Connection: close\\r\\n\\r\\n".encode() + body)
sys.stdout.buffer.flush()
"""


def test_guest_reads_the_metadata_service_when_there_is_no_config_drive(
        guest_image: Path, accelerator: str, ssh_key: Path, tmp_path: Path) -> None:
    served = tmp_path / "metadata"
    latest = served / "openstack" / "latest"
    latest.mkdir(parents=True)
    (latest / "meta_data.json").write_text(json.dumps(configdrive.meta_data(
        "from-service", public_keys={"k": ssh_key.with_suffix(".pub").read_text().strip()})))
    (latest / "user_data").write_bytes(USER_DATA)
    responder = tmp_path / "responder.py"
    responder.write_text(METADATA_RESPONDER)
    requests = tmp_path / "requests.log"
    # the user network is 169.254.169.0/24 so that 169.254.169.254 is on-link
    network = (f",net=169.254.169.0/24,guestfwd=tcp:169.254.169.254:80-cmd:"
               f"{sys.executable} {responder} {served} {requests}")
    guest = _start_guest(guest_image, tmp_path, accelerator, network=network)
    try:
        guest.wait_for_console(READY, BOOT_TIMEOUT[accelerator])
        _wait_for_ssh(guest, ssh_key, timeout=60)
        assert "metadata from http://169.254.169.254/openstack/latest" in guest.console_text()
        assert requests.read_text().splitlines() == ["GET /openstack/latest/meta_data.json",
                                                     "GET /openstack/latest/user_data"]
        assert _ssh(guest, ssh_key, "hostname").stdout.strip() == "from-service"
        marker = _ssh(guest, ssh_key, "cat /root/user-data-marker").stdout.strip()
        assert marker == "user-data ran as 0"
        # what Tempest's server basic ops ask of curl: a GET and the password POST
        fetched = _ssh(guest, ssh_key, f"{TEMPEST_PROLOGUE} curl {METADATA}/meta_data.json")
        assert json.loads(fetched.stdout)["name"] == "from-service"
        posted = _ssh(guest, ssh_key, f"{TEMPEST_PROLOGUE} curl -X POST -d s3cret "
                      "http://169.254.169.254/openstack/2013-10-17/password")
        assert posted.returncode == 1  # the responder has no password document: 404
        assert requests.read_text().splitlines()[-1] == (
            "POST /openstack/2013-10-17/password s3cret")
    finally:
        _stop(guest)


def test_guest_on_a_tap_takes_the_dhcp_mtu_and_routes_and_answers_ping(
        guest_image: Path, accelerator: str, ssh_key: Path, host_netns: str,
        tmp_path: Path) -> None:
    """The real dataplane's shape: a tap in a namespace playing the host, a DHCP server
    (busybox udhcpd) on it; the host pings the guest and reaches its SSH."""
    reason = _missing("busybox")
    if reason:
        pytest.skip(reason)
    tap = "os-tap-" + secrets.token_hex(3)
    for command in (["ip", "tuntap", "add", "dev", tap, "mode", "tap"],
                    ["ip", "addr", "add", "192.0.2.1/24", "dev", tap],
                    ["ip", "link", "set", tap, "up"]):
        _in_netns(host_netns, *command)
    config = tmp_path / "udhcpd.conf"
    config.write_text(f"""interface {tap}
start 192.0.2.10
end 192.0.2.10
lease_file {tmp_path / "leases"}
option subnet 255.255.255.0
option router 192.0.2.1
option mtu 1400
option staticroutes 0.0.0.0/0 192.0.2.1 169.254.169.254/32 192.0.2.2
""")
    dhcp_server = subprocess.Popen(["ip", "netns", "exec", host_netns, "busybox", "udhcpd",
                                    "-f", str(config)], stdin=subprocess.DEVNULL,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        metadata = configdrive.meta_data(
            "on-a-tap", public_keys={"k": ssh_key.with_suffix(".pub").read_text().strip()})
        drive = configdrive.write_config_drive(tmp_path / "config-2.img", metadata)
        nic = ["-netdev", f"tap,id=net0,ifname={tap},script=no,downscript=no",
               "-device", "virtio-net-pci,netdev=net0"]
        guest = _start_guest(guest_image, tmp_path, accelerator, drive, nics=nic,
                             netns=host_netns)
        guest.ssh_host, guest.ssh_port, guest.netns = "192.0.2.10", 22, host_netns
        try:
            guest.wait_for_console(READY, BOOT_TIMEOUT[accelerator])
            assert ("onestack-guest: eth0: address 192.0.2.10/24 gateway 192.0.2.1 mtu 1400"
                    in guest.console_text())
            ping = subprocess.run(["ip", "netns", "exec", host_netns, "busybox", "ping",
                                   "-c", "3", "-W", "2", "192.0.2.10"],
                                  capture_output=True, text=True)
            assert ping.returncode == 0, ping.stdout + ping.stderr
            _wait_for_ssh(guest, ssh_key, timeout=60)
            assert "mtu 1400" in _ssh(guest, ssh_key, "ip link show dev eth0").stdout
            routes = _ssh(guest, ssh_key, "ip -4 route").stdout
            assert "default via 192.0.2.1 dev eth0" in routes
            assert "169.254.169.254 via 192.0.2.2 dev eth0" in routes
        finally:
            _stop(guest)
    finally:
        dhcp_server.kill()
        dhcp_server.wait()


def test_guest_reads_an_iso9660_config_drive_on_an_ide_cdrom(
        guest_image: Path, accelerator: str, ssh_key: Path, tmp_path: Path) -> None:
    """Nova's default config drive: ISO 9660 on a CD-ROM (IDE on the pc machine; the cloud
    kernel has no AHCI driver for q35's SATA)."""
    metadata = configdrive.meta_data(
        "iso guest", hostname="iso-guest",
        public_keys={"k": ssh_key.with_suffix(".pub").read_text().strip()})
    drive = configdrive.write_iso_config_drive(tmp_path / "config-2.iso", metadata, USER_DATA)
    cdrom = ("-drive", f"file={drive},if=ide,media=cdrom,format=raw")
    guest = _start_guest(guest_image, tmp_path, accelerator, extra=cdrom, machine="pc")
    try:
        guest.wait_for_console(READY, BOOT_TIMEOUT[accelerator])
        assert "metadata from config drive /dev/sr0" in guest.console_text()
        _wait_for_ssh(guest, ssh_key, timeout=60)
        assert _ssh(guest, ssh_key, "hostname").stdout.strip() == "iso-guest"
        assert _ssh(guest, ssh_key, "cat /root/user-data-marker").stdout.strip() == (
            "user-data ran as 0")
        assert _ssh(guest, ssh_key, "blkid -L config-2 -o device").stdout.strip() == "/dev/sr0"
    finally:
        _stop(guest)

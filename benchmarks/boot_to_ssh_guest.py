"""What both sides of ``boot_to_ssh.py`` share: an SSH key, the SSH probe that says a
guest is up, and the plain-QEMU guest (the physical limit) started by hand.

The plain guest gets what the QEMU driver gives a guest (``compute/drivers/qemu/command.py``):
q35 with the same accelerator and CPU model, the flavor's vCPUs and memory, the image as
a qcow2 overlay on virtio-blk, a vfat ``config-2`` drive holding the SSH key, and one
virtio-net NIC. Its NIC is QEMU's user network with a loopback port forward, so SSH
reaches it at ``127.0.0.1:<port>`` without touching the machine's networking."""
from __future__ import annotations

import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parent.parent
LOGIN = "onestack"
SSH_POLL = 0.2  # seconds between SSH attempts after a banner (both sides alike)
PROBE = Path(__file__).with_name("boot_to_ssh_probe.py")


def configdrive_module() -> ModuleType:
    """``scripts/guest/configdrive.py``, the guest image's own drive writer."""
    path = REPO / "scripts" / "guest" / "configdrive.py"
    spec = importlib.util.spec_from_file_location("guest_configdrive", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass(frozen=True)
class Key:
    path: Path
    public: str


def make_key(work: Path) -> Key:
    path = work / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "boot-bench",
                    "-f", str(path)], check=True)
    return Key(path, (work / "id_ed25519.pub").read_text().strip())


def ssh_argv(key: Key, address: str, port: int = 22, netns: str | None = None) -> list[str]:
    """``ssh … true`` as a one-shot probe: no prompts, no host key kept."""
    prefix = ["ip", "netns", "exec", netns] if netns else []
    return prefix + ["ssh", "-i", str(key.path), "-p", str(port),
                     "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
                     "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
                     "-o", "ConnectTimeout=2", "-o", "PasswordAuthentication=no",
                     f"{LOGIN}@{address}", "true"]


def wait_for_ssh(key: Key, address: str, deadline: float, port: int = 22,
                 netns: str | None = None, stop: threading.Event | None = None
                 ) -> float | None:
    """The monotonic time the first ``ssh … true`` succeeded, or None by ``deadline``.
    ``boot_to_ssh_probe.py`` first waits for the SSH banner (new attempts every 0.2 s,
    whether older ones hang or not), then ``ssh`` runs; both sides are polled alike."""
    prefix = ["ip", "netns", "exec", netns] if netns else []
    while time.monotonic() < deadline and not (stop and stop.is_set()):
        left = deadline - time.monotonic()
        try:
            probe = subprocess.run([*prefix, sys.executable, str(PROBE), address, str(port),
                                    f"{left:.1f}"], stdin=subprocess.DEVNULL,
                                   capture_output=True, timeout=left + 10)
            if probe.returncode == 0:
                done = subprocess.run(ssh_argv(key, address, port, netns),
                                      stdin=subprocess.DEVNULL, capture_output=True,
                                      timeout=10)
                if done.returncode == 0:
                    return time.monotonic()
        except subprocess.TimeoutExpired:
            pass
        time.sleep(SSH_POLL)
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PlainGuest:
    """One QEMU started by hand; ``t0`` is taken before its overlay and drive are made."""
    work: Path
    port: int
    t0: float
    t0_boot: float = 0.0
    launched: float = 0.0  # QEMU's process made, seconds since boot
    proc: subprocess.Popen[bytes] | None = None
    ready: float | None = None
    extra: dict[str, float] = field(default_factory=dict)

    @property
    def console(self) -> Path:
        return self.work / "console.log"

    def stop(self) -> None:
        """SIGTERM to our QEMU by its PID, SIGKILL after 5 s."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


DRIVER_EXTRAS = ["-device", "virtio-scsi-pci,id=scsi0",
                 *[arg for i in range(5) for arg in (
                     "-device", f"pcie-root-port,id=port{i},chassis=1,slot={i + 1}")]]
# what the QEMU driver adds to every guest (command.py): the volumes' SCSI controller and
# PCIe root ports for the NIC and for NICs hot-plugged later; the NIC sits on port0


def plain_argv(guest: PlainGuest, accel: str, cpu: str, vcpus: int,
               memory_mb: int, driver_devices: bool = False) -> list[str]:
    """``driver_devices``: also the controller and ports the QEMU driver adds."""
    def disk(path: Path, node: str, fmt: str) -> list[str]:
        return ["-blockdev", json.dumps({"node-name": node, "driver": fmt,
                                         "file": {"driver": "file", "filename": str(path)}})]
    return ["qemu-system-x86_64", "-name", f"boot-bench-plain-{guest.port}",
            "-machine", f"q35,accel={accel}", "-cpu", cpu, "-smp", str(vcpus),
            "-m", f"{memory_mb}M", "-nodefaults", "-display", "none", "-no-user-config",
            "-serial", f"file:{guest.console}",
            *disk(guest.work / "disk.qcow2", "root", "qcow2"),
            "-device", "virtio-blk-pci,drive=root,id=root-disk,bootindex=0",
            *disk(guest.work / "config.vfat", "config", "raw"),
            "-device", "virtio-blk-pci,drive=config,id=config-disk,serial=config-2",
            *(DRIVER_EXTRAS if driver_devices else []),
            "-netdev", f"user,id=net0,hostfwd=tcp:127.0.0.1:{guest.port}-:22",
            "-device", "virtio-net-pci,netdev=net0,mac=52:54:00:12:34:56"
            + (",bus=port0" if driver_devices else "")]


def start_plain(work: Path, image: Path, key: Key, accel: str, cpu: str, vcpus: int,
                memory_mb: int, driver_devices: bool = False) -> PlainGuest:
    """Overlay, config drive, then QEMU: the steps one does by hand, all timed."""
    work.mkdir(parents=True, exist_ok=True)
    guest = PlainGuest(work, free_port(), time.monotonic(), since_boot())
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b",
                    str(image), str(work / "disk.qcow2")], check=True)
    drive = configdrive_module()
    drive.write_config_drive(work / "config.vfat", drive.meta_data(
        f"plain-{guest.port}", public_keys={"bench": key.public}))
    log = open(work / "qemu.log", "wb")
    guest.proc = subprocess.Popen(plain_argv(guest, accel, cpu, vcpus, memory_mb,
                                             driver_devices),
                                  stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    log.close()
    guest.launched = process_start(guest.proc.pid) or since_boot()
    return guest


def guest_uptime_at_ready(console: Path) -> float | None:
    """The guest's own ``ready after N s`` (its uptime when dropbear ran)."""
    try:
        text = console.read_text(errors="replace")
    except OSError:
        return None
    marker = "onestack-guest: ready after "
    at = text.rfind(marker)
    if at < 0:
        return None
    value = text[at + len(marker):].split("s", 1)[0]
    try:
        return float(value)
    except ValueError:
        return None


def console_tail(console: Path, lines: int = 30) -> list[str]:
    """The last lines the guest printed: kept in the results of a guest SSH never reached."""
    try:
        return console.read_text(errors="replace").splitlines()[-lines:]
    except OSError:
        return []


def since_boot() -> float:
    """Now, in seconds since the machine booted (the clock /proc start times use)."""
    return time.clock_gettime(time.CLOCK_BOOTTIME)


def process_start(pid: int) -> float | None:
    """When a process was made, in seconds since boot, to the clock tick (psutil's
    create_time adds the boot time in whole seconds, so it can be off by up to 1 s)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rfind(")") + 2:].split()
    return int(fields[19]) / os.sysconf("SC_CLK_TCK")  # field 22: starttime


def loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]

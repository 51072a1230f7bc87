"""Which accelerator (and CPU model) the guests get: KVM where it really works, TCG
otherwise.

``/dev/kvm`` existing is not enough: on some hosts (nested virtualisation) it opens and the
first guest instruction hangs, QEMU dies setting up a CPU model the outer hypervisor only
half offers (``-cpu host`` asserting on MSR 0x10a, ARCH_CAPABILITIES), or the firmware runs
but a boot loader's first protected-mode software interrupt ends in "KVM internal error:
emulation failure". The probe therefore boots a guest for real, per CPU model, best first:
SeaBIOS loads a boot sector (``BOOT_SECTOR``) that switches to protected mode, takes two
software interrupts through its own IDT and then writes ``##KVM-OK`` to the debug port.
The first model that gets there within the timeout is the one guests get."""
from __future__ import annotations

import json
import logging
import os
import subprocess
import tempfile
import threading
import time
from pathlib import Path

log = logging.getLogger(__name__)
ACCELS = ("auto", "kvm", "tcg")
PROBE_TIMEOUT = 15.0  # seconds to the boot sector's mark (SeaBIOS is slow on a busy host)
SIGN_OF_LIFE = b"##KVM-OK"
FAILURES = (b"KVM internal error", b"No bootable device")
# The boot sector, assembled (GNU as, .code16 then .code32, linked at 0x7c00) from:
#   cli; ds = ss = 0; sp = 0x7c00; lgdt gdtr; cr0 |= 1; ljmp 0x08:pm
#   pm: ds = es = ss = 0x10; esp = 0x7c00
#       IDT at 0x1000, gate 0x30 -> handler (selector 0x08, type 0x8e00); lidt idtr
#       int 0x30; int 0x30; write "KVM-OK" to port 0x402; hlt loop
#   handler: write '#' to port 0x402; iret
#   gdt: null, flat code 0x00cf9a000000ffff, flat data 0x00cf92000000ffff
BOOT_SECTOR = bytes.fromhex(
    "fa31c08ed88ed0bc007c660f0116987c0f20c06683c8010f22c066ea227c0000080066b810008ed8"
    "8ec08ed0bc007c0000b8707c0000bf8011000066890766c74702080066c74704008ec1e810668947"
    "060f011d9e7c0000cd30cd3066ba0204be787c0000ac84c07403eeebf8f4ebfd66ba0204b023eecf"
    "4b564d2d4f4b00900000000000000000ffff0000009acf00ffff00000092cf001700807c00008701"
    "0010").ljust(510, b"\0") + b"\x55\xaa"
# best first: the host's CPU; the same without the MSR some nested hosts refuse; a
# baseline model every x86-64 KVM offers
KVM_CPUS = ("host", "host,arch-capabilities=off", "qemu64")
TCG_CPU = "max"


def kvm_runs(cpu: str, binary: str = "qemu-system-x86_64",
             timeout: float = PROBE_TIMEOUT) -> bool:
    """Whether the probe's boot sector, started under KVM with ``cpu``, reaches its mark
    within ``timeout`` seconds (False at once when QEMU exits or KVM fails)."""
    return boot_sector(binary, "kvm", cpu, timeout) == "ok"


def boots(binary: str, accel: str, cpu: str, timeout: float = PROBE_TIMEOUT) -> bool:
    """Whether the boot sector reaches its mark with this accelerator and CPU model."""
    return boot_sector(binary, accel, cpu, timeout) == "ok"


def boot_sector(binary: str, accel: str, cpu: str, timeout: float = PROBE_TIMEOUT) -> str:
    """How the boot sector fares: "ok", "failed" (KVM's internal error, no boot),
    "exited" (QEMU refused the CPU model or the accelerator) or "timeout"."""
    with tempfile.TemporaryDirectory(prefix="onestack-kvm-probe-") as tmp:
        disk = Path(tmp) / "probe.img"
        with open(disk, "wb") as f:
            f.write(BOOT_SECTOR)
            f.truncate(1 << 20)  # a disk of one sector is not read
        argv = [binary, "-accel", accel, "-machine", "q35", "-cpu", cpu, "-m", "32",
                "-nodefaults", "-display", "none", "-no-reboot", "-debugcon", "stdio",
                "-global", "isa-debugcon.iobase=0x402",
                "-drive", f"file={disk},format=raw,if=virtio"]
        try:
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT)
        except OSError as exc:
            log.warning("KVM probe could not start %s: %s", binary, exc)
            return "exited"
        return _watch(proc, timeout)


def _watch(proc: subprocess.Popen[bytes], timeout: float) -> str:
    assert proc.stdout is not None
    seen = b""
    deadline = time.monotonic() + timeout
    try:
        os.set_blocking(proc.stdout.fileno(), False)
        while time.monotonic() < deadline and SIGN_OF_LIFE not in seen and \
                not any(failure in seen for failure in FAILURES):
            chunk = proc.stdout.read(65536)
            if chunk:
                seen += chunk
            elif proc.poll() is not None:
                return "exited"
            else:
                time.sleep(0.02)
        if SIGN_OF_LIFE in seen:
            return "ok"
        return "failed" if any(failure in seen for failure in FAILURES) else "timeout"
    finally:
        proc.kill()
        proc.wait()
        proc.stdout.close()


def kvm_cpu(binary: str = "qemu-system-x86_64", timeout: float = PROBE_TIMEOUT,
            device: Path = Path("/dev/kvm")) -> str | None:
    """The best CPU model KVM guests run with here, or None when KVM does not work."""
    if not os.access(device, os.R_OK | os.W_OK):
        return None
    for cpu in KVM_CPUS:
        outcome = boot_sector(binary, "kvm", cpu, timeout)
        if outcome == "ok":
            return cpu
        log.info("KVM probe with CPU model %s: %s", cpu, outcome)
        if outcome != "exited":
            return None  # KVM itself fails (or hangs): another CPU model will not help
    return None


def boot_id() -> str:
    """This boot of the machine: a probe's answer holds until the next reboot."""
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


class Accelerator:
    """The ``qemu_accel`` setting resolved once per driver: "tcg" is taken as asked,
    "kvm" and "auto" probe (a forced "kvm" that does not work fails at spawn, loudly;
    "auto" falls back to TCG). ``cache``: a file keeping the probe's answer for this boot
    of the machine, so a restarted agent does not probe again."""

    def __init__(self, setting: str = "auto", binary: str = "qemu-system-x86_64",
                 timeout: float = PROBE_TIMEOUT, cache: Path | None = None):
        if setting not in ACCELS:
            raise ValueError(f"qemu_accel must be one of {', '.join(ACCELS)}, not {setting!r}")
        self.setting = setting
        self.binary = binary
        self.timeout = timeout
        self.cache = cache
        self._chosen: tuple[str, str] | None = None
        # guests spawned at once wait for one probe (two probes would each load the host
        # and each take the full time)
        self._lock = threading.Lock()

    def _resolve(self) -> tuple[str, str]:
        with self._lock:
            return self._resolve_once()

    def _resolve_once(self) -> tuple[str, str]:
        if self._chosen is None:
            if self.setting == "tcg":
                self._chosen = ("tcg", TCG_CPU)
            else:
                cpu = self._cached_probe()
                if cpu:
                    self._chosen = ("kvm", cpu)
                elif self.setting == "kvm":
                    self._chosen = ("kvm", KVM_CPUS[0])
                else:
                    self._chosen = ("tcg", TCG_CPU)
                log.info("QEMU accelerator: %s, CPU model %s", *self._chosen)
        return self._chosen

    def _cached_probe(self) -> str:
        """The KVM CPU model that works ("" for none), from the cache when it was
        probed during this boot with this QEMU."""
        key = {"boot": boot_id(), "binary": self.binary}
        if self.cache is not None:
            try:
                found = json.loads(self.cache.read_text())
                if found.get("key") == key:
                    return str(found.get("cpu", ""))
            except (OSError, ValueError):
                pass
        cpu = kvm_cpu(self.binary, self.timeout) or ""
        if self.cache is not None:
            try:
                self.cache.write_text(json.dumps({"key": key, "cpu": cpu}))
            except OSError as exc:
                log.warning("cannot keep the KVM probe's answer in %s: %s", self.cache, exc)
        return cpu

    @property
    def name(self) -> str:
        """"kvm" or "tcg"."""
        return self._resolve()[0]

    @property
    def cpu(self) -> str:
        """The ``-cpu`` model guests get."""
        return self._resolve()[1]

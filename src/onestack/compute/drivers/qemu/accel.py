"""Which accelerator (and CPU model) the guests get: KVM where it really works, TCG
otherwise.

``/dev/kvm`` existing is not enough: on some hosts (nested virtualisation) it opens and the
first guest instruction hangs, or QEMU dies setting up a CPU model the outer hypervisor
only half offers (``-cpu host`` asserting on MSR 0x10a, ARCH_CAPABILITIES). The probe
therefore boots a guest for real — the machine's firmware, no disk — per CPU model, best
first, and waits (a few seconds at most) for SeaBIOS to say on its debug port that it runs
on KVM. The first model that does is the one guests get."""
from __future__ import annotations

import logging
import os
import subprocess
import time
from pathlib import Path

log = logging.getLogger(__name__)
ACCELS = ("auto", "kvm", "tcg")
PROBE_TIMEOUT = 5.0  # seconds a working KVM takes to run the firmware's first lines
SIGN_OF_LIFE = b"Running on KVM"
# best first: the host's CPU; the same without the MSR some nested hosts refuse; a
# baseline model every x86-64 KVM offers
KVM_CPUS = ("host", "host,arch-capabilities=off", "qemu64")
TCG_CPU = "max"


def kvm_runs(cpu: str, binary: str = "qemu-system-x86_64",
             timeout: float = PROBE_TIMEOUT) -> bool:
    """Whether SeaBIOS, started under KVM with ``cpu``, reports KVM within ``timeout``."""
    argv = [binary, "-accel", "kvm", "-machine", "q35", "-cpu", cpu, "-m", "32",
            "-nodefaults", "-display", "none", "-no-reboot", "-debugcon", "stdio",
            "-global", "isa-debugcon.iobase=0x402"]
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL)
    except OSError as exc:
        log.warning("KVM probe could not start %s: %s", binary, exc)
        return False
    assert proc.stdout is not None
    seen = b""
    deadline = time.monotonic() + timeout
    try:
        os.set_blocking(proc.stdout.fileno(), False)
        while time.monotonic() < deadline and SIGN_OF_LIFE not in seen:
            chunk = proc.stdout.read(4096)
            if chunk:
                seen += chunk
            elif proc.poll() is not None:
                break  # QEMU refused KVM or this CPU model
            else:
                time.sleep(0.02)
        return SIGN_OF_LIFE in seen
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
        if kvm_runs(cpu, binary, timeout):
            return cpu
    return None


class Accelerator:
    """The ``qemu_accel`` setting resolved once per driver: "tcg" is taken as asked,
    "kvm" and "auto" probe (a forced "kvm" that does not work fails at spawn, loudly;
    "auto" falls back to TCG)."""

    def __init__(self, setting: str = "auto", binary: str = "qemu-system-x86_64",
                 timeout: float = PROBE_TIMEOUT):
        if setting not in ACCELS:
            raise ValueError(f"qemu_accel must be one of {', '.join(ACCELS)}, not {setting!r}")
        self.setting = setting
        self.binary = binary
        self.timeout = timeout
        self._chosen: tuple[str, str] | None = None

    def _resolve(self) -> tuple[str, str]:
        if self._chosen is None:
            if self.setting == "tcg":
                self._chosen = ("tcg", TCG_CPU)
            else:
                cpu = kvm_cpu(self.binary, self.timeout)
                if cpu is not None:
                    self._chosen = ("kvm", cpu)
                elif self.setting == "kvm":
                    self._chosen = ("kvm", KVM_CPUS[0])
                else:
                    self._chosen = ("tcg", TCG_CPU)
                log.info("QEMU accelerator: %s, CPU model %s (probed)", *self._chosen)
        return self._chosen

    @property
    def name(self) -> str:
        """"kvm" or "tcg"."""
        return self._resolve()[0]

    @property
    def cpu(self) -> str:
        """The ``-cpu`` model guests get."""
        return self._resolve()[1]

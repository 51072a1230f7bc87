"""Names both real drivers agree on, so the virt and network drivers meet at a device
without calling each other.

The network driver owns a port's tap device (it creates it, plugs it into the network's
bridge and filters it); the QEMU driver opens that tap by name. Both run in the same
"host" network namespace (``Settings.dataplane_netns``; "" is the process's own).
"""
from __future__ import annotations

import subprocess
from typing import Sequence

TAP_PREFIX = "tap"
IFNAMSIZ = 15  # Linux interface names hold at most 15 characters


def tap_name(port_id: str) -> str:
    """The tap device of a port: ``tap`` and the port id's first 11 characters (14 in
    all), as Neutron's Linux agents name them."""
    return (TAP_PREFIX + port_id)[:14]


def netns_command(netns: str, argv: Sequence[str]) -> list[str]:
    """``argv`` run inside ``netns`` (unchanged when ``netns`` is empty)."""
    return ["ip", "netns", "exec", netns, *argv] if netns else list(argv)


def run_in(netns: str, argv: Sequence[str], check: bool = True,
           timeout: float = 30.0) -> subprocess.CompletedProcess[str]:
    """Run a short command in the host namespace, capturing its output."""
    return subprocess.run(netns_command(netns, argv), check=check, capture_output=True,
                          text=True, timeout=timeout)

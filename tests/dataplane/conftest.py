"""Dataplane tests run real QEMU guests and Linux networking: they need root,
/dev/net/tun and the Debian packages `.ci/run` installs, and skip with the reason
elsewhere. Each builds its own network namespace as the "host"."""
from __future__ import annotations

import os
import secrets
import shutil
import subprocess
from pathlib import Path
from typing import Iterator

import pytest


def missing_dataplane(*tools: str) -> str | None:
    """Why this machine cannot run a dataplane test, or None when it can."""
    if os.geteuid() != 0:
        return "needs root"
    if not Path("/dev/net/tun").exists():
        return "needs /dev/net/tun"
    for tool in ("ip", *tools):
        if shutil.which(tool) is None:
            return f"needs {tool} (installed by .ci/run)"
    return None


@pytest.fixture()
def host_netns() -> Iterator[str]:
    """A throwaway network namespace playing the host, removed afterwards."""
    reason = missing_dataplane()
    if reason:
        pytest.skip(reason)
    name = "os-host-" + secrets.token_hex(3)
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        subprocess.run(["ip", "netns", "exec", name, "ip", "link", "set", "lo", "up"],
                       check=True)
        yield name
    finally:
        subprocess.run(["ip", "netns", "delete", name], check=False)

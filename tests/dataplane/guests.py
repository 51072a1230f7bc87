"""Guest namespaces for dataplane tests: each is a network namespace whose eth0 (with
the port's MAC and addresses) reaches its port's tap through ``taprelay``."""
from __future__ import annotations

import secrets
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from onestack.network.drivers.base import PortSpec
from onestack.network.drivers.linux.names import tap_name

RELAY = Path(__file__).with_name("taprelay.py")
TXCSUM = Path(__file__).with_name("txcsum.py")


@dataclass
class Guest:
    netns: str
    relay: subprocess.Popen[str]

    def run(self, *argv: str, timeout: float = 20) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["ip", "netns", "exec", self.netns, *argv],
                              capture_output=True, text=True, timeout=timeout)

    def ping(self, address: str, count: int = 1, wait: int = 1) -> bool:
        done = self.run("busybox", "ping", "-c", str(count), "-W", str(wait), address)
        return done.returncode == 0

    def pings(self, address: str, tries: int = 3) -> bool:
        """Whether any of a few pings gets through (the first may wait for ARP)."""
        return any(self.ping(address) for _ in range(tries))


@dataclass
class Guests:
    """Every guest a test made, removed by ``close``."""
    host_netns: str
    made: list[Guest] = field(default_factory=list)

    def plug(self, port: PortSpec, addresses: list[str] | None = None,
             gateway: str | None = None) -> Guest:
        name = "os-guest-" + secrets.token_hex(3)
        veth = "gv" + secrets.token_hex(4)
        subprocess.run(["ip", "netns", "add", name], check=True)
        try:
            return self._wire(name, veth, port, addresses, gateway)
        except Exception:
            subprocess.run(["ip", "netns", "delete", name], check=False)
            raise

    def _wire(self, name: str, veth: str, port: PortSpec, addresses: list[str] | None,
              gateway: str | None) -> Guest:
        host = ["ip", "-n", self.host_netns]
        subprocess.run(host + ["link", "add", veth, "type", "veth", "peer", "name", "eth0",
                               "netns", name], check=True)
        subprocess.run(host + ["link", "set", veth, "up", "mtu", str(port.mtu)], check=True)
        inside = ["ip", "-n", name]
        subprocess.run(inside + ["link", "set", "lo", "up"], check=True)
        subprocess.run(inside + ["link", "set", "eth0", "address", port.mac, "mtu",
                                 str(port.mtu), "up"], check=True)
        subprocess.run(["ip", "netns", "exec", name, sys.executable, str(TXCSUM), "eth0"],
                       check=True)
        if addresses is None:
            addresses = [f"{f.ip_address}/{f.cidr.split('/')[1]}" for f in port.fixed_ips]
        for cidr in addresses:
            nodad = ["nodad"] if ":" in cidr else []  # usable at once
            subprocess.run(inside + ["addr", "add", cidr, "dev", "eth0", *nodad], check=True)
        if gateway:
            subprocess.run(inside + ["route", "add", "default", "via", gateway], check=True)
        relay = subprocess.Popen(["ip", "netns", "exec", self.host_netns, sys.executable,
                                  str(RELAY), tap_name(port.id), veth],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        guest = Guest(name, relay)
        self.made.append(guest)
        line = relay.stdout.readline() if relay.stdout else ""
        if line.strip() != "ready":
            raise RuntimeError(f"tap relay failed: {relay.stderr.read() if relay.stderr else ''}")
        return guest

    def close(self) -> None:
        for guest in self.made:
            guest.relay.terminate()
            try:
                guest.relay.wait(5)
            except subprocess.TimeoutExpired:
                guest.relay.kill()
                guest.relay.wait()
            subprocess.run(["ip", "netns", "delete", guest.netns], check=False)
        self.made.clear()

"""The metadata proxy of the Linux driver: a guest's request to 169.254.169.254 reaches
the upstream (a loopback server of the test) with the network id and the guest's fixed
IP in the headers, signed as the metadata service checks, whatever the guest claims.
Runs as root only."""
from __future__ import annotations

import shutil
import threading
import time
import uuid
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator

import pytest

from onestack.compute.metadata import signing
from onestack.network.drivers.base import (DhcpHost, DhcpSpec, DhcpSubnet, FixedIp,
                                           NetworkSpec, PortSpec, SecurityRule, Segment)
from onestack.network.drivers.linux import LinuxNetworkDriver, processes
from onestack.network.drivers.linux.dhcp import render_files
from tests.dataplane import linux_harness
from tests.dataplane.guests import Guests

SUBNET = "10.0.0.0/24"
SECRET = "proxy-secret"


class Recorder(BaseHTTPRequestHandler):
    seen: list[dict[str, Any]] = []

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self.seen.append({"path": self.path, **{
            name: self.headers.get_all(name) for name in ("X-Onestack-Network-ID",
                                                          "X-Forwarded-For",
                                                          signing.SIGNATURE_HEADER)}})
        body = b"i-guest\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture()
def upstream() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    seen: list[dict[str, Any]] = []
    handler = type("Handler", (Recorder,), {"seen": seen})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/metadata", seen
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture()
def driver(upstream: tuple[str, list[dict[str, Any]]]) -> Iterator[LinuxNetworkDriver]:
    made = linux_harness.make(metadata_upstream=upstream[0], metadata_secret=SECRET)
    try:
        yield made
    finally:
        linux_harness.cleanup(made)


@pytest.fixture()
def guests(driver: LinuxNetworkDriver) -> Iterator[Guests]:
    made = Guests(driver.netns)
    try:
        yield made
    finally:
        made.close()


def ident() -> str:
    return str(uuid.uuid4())


def test_a_guest_reaches_metadata_named_by_network_and_fixed_ip(
        driver: LinuxNetworkDriver, guests: Guests,
        upstream: tuple[str, list[dict[str, Any]]]) -> None:
    net = NetworkSpec(ident(), Segment("local"))
    driver.ensure_network(net)
    port = PortSpec(ident(), net.id, "fa:16:3e:00:00:05", (FixedIp(ident(), "10.0.0.5", SUBNET),),
                    security_rules=(SecurityRule("egress", "IPv4",
                                                 remote_cidrs=("0.0.0.0/0",)),))
    driver.ensure_port(port)
    dhcp_port = PortSpec(ident(), net.id, "fa:16:3e:00:00:02",
                         (FixedIp(ident(), "10.0.0.2", SUBNET),), device_owner="network:dhcp")
    spec = DhcpSpec(net.id, dhcp_port, (DhcpSubnet(ident(), SUBNET, 4, (), "10.0.0.1"),),
                    (DhcpHost(port.mac, "10.0.0.5", "vm"),))
    driver.ensure_dhcp(spec)
    assert driver.dhcp() == {net.id: spec}
    assert "169.254.169.254/32,10.0.0.2" in render_files(spec, metadata=True)["opts"]
    guest = guests.plug(port)
    guest.run("ip", "route", "add", "169.254.169.254/32", "via", "10.0.0.2")
    got = guest.run("busybox", "wget", "-q", "-O", "-", "--header",
                    "X-Forwarded-For: 10.0.0.99", "--header",
                    "X-Onestack-Network-ID: someone-else", "--header",
                    f"{signing.SIGNATURE_HEADER}: {signing.sign(SECRET, net.id, '10.0.0.99')}",
                    "http://169.254.169.254/latest/meta-data/instance-id")
    assert got.stdout == "i-guest\n", got.stderr
    seen = upstream[1]
    assert seen[-1]["path"] == "/metadata/latest/meta-data/instance-id"
    assert seen[-1]["X-Onestack-Network-ID"] == [net.id]  # the guest's own are dropped
    assert seen[-1]["X-Forwarded-For"] == ["10.0.0.5"]
    [signature] = seen[-1][signing.SIGNATURE_HEADER]
    assert signing.verify(SECRET, net.id, "10.0.0.5", signature)


def test_a_proxy_whose_specs_are_lost_is_stopped_with_its_namespace(
        driver: LinuxNetworkDriver) -> None:
    net = NetworkSpec(ident(), Segment("local"))
    driver.ensure_network(net)
    dhcp_port = PortSpec(ident(), net.id, "fa:16:3e:00:00:02",
                         (FixedIp(ident(), "10.0.0.2", SUBNET),), device_owner="network:dhcp")
    driver.ensure_dhcp(DhcpSpec(net.id, dhcp_port, (DhcpSubnet(ident(), SUBNET, 4, (),
                                                               "10.0.0.1"),)))
    proxy = processes.running(driver.run_dir / "dhcp" / net.id / "metadata.pid")
    assert proxy is not None
    shutil.rmtree(driver.run_dir)  # the specs and pid files lost, the kernel state kept
    again = LinuxNetworkDriver(replace(driver.config, run_dir=driver.run_dir), "test-host")
    assert again.dhcp() == {}
    assert linux_harness.leftovers(again) == []
    # the proxy runs in the agent's namespace: only its --netns argument names the one gone
    deadline = time.monotonic() + 5  # SIGKILL lands a moment later
    while _alive(proxy) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(proxy)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")

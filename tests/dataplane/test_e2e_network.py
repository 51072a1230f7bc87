"""End to end on ``onestack up --driver qemu``: real guests (onestack's own image under
QEMU/TCG) on a tenant network the Linux driver wires, driven only through the REST API.

One cloud for the module (a subprocess on a free port, a temp data dir and a temp host
namespace) and two guests for every scenario: both get their DHCP address, one pings the
other; a security group without ICMP stops the ping and adding the rule lets it through;
over a router and floating IPs the test logs in by SSH from the external namespace with
the key the guest read from the metadata service (no config drive), and the user data
ran. The last test stops ``up`` and checks that nothing of the cloud is left: no
namespace, bridge, tap, nftables table, QEMU or dnsmasq. Times (POST → ACTIVE, POST →
SSH) are printed (``pytest -s``)."""
from __future__ import annotations

import base64
import os
import secrets
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest

from onestack.network.drivers.linux.names import Names
from tests.contract.qemu_harness import missing_qemu
from tests.dataplane.cloud_api import admin_client, wait_until
from tests.dataplane.conftest import missing_dataplane
from tests.support.processes import cli_env, free_port, onestack_executable

IMAGE = Path(os.environ.get("ONESTACK_GUEST_IMAGE") or
             Path.home() / ".cache" / "onestack-guest" / "onestack-guest.qcow2")
PASSWORD = "e2e-" + secrets.token_hex(8)
SSH_OPTIONS = ("-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
               "-o", "BatchMode=yes", "-o", "ConnectTimeout=5", "-o", "LogLevel=ERROR")
MARKER = "e2e-user-data-" + secrets.token_hex(4)


def missing() -> str | None:
    reason = missing_dataplane("nft", "dnsmasq", "ssh", "ssh-keygen") or missing_qemu()
    if reason:
        return reason
    if onestack_executable() is None:
        return "needs the onestack console script (pip install -e .)"
    if not IMAGE.is_file():
        return f"no guest image at {IMAGE} (scripts/build_guest_image.py)"
    return None


REASON = missing()
pytestmark = pytest.mark.skipif(REASON is not None, reason=REASON or "")


class Api:
    """The cloud's REST APIs as the admin."""

    def __init__(self, base_url: str):
        self.base = base_url
        self.http, _ = admin_client(base_url, PASSWORD)

    def call(self, method: str, path: str, body: Any = None) -> Any:
        prefix = {"servers": "/compute/v2.1", "os-keypairs": "/compute/v2.1",
                  "os-hypervisors": "/compute/v2.1", "images": "/image/v2"}
        root = prefix.get(path.strip("/").split("/")[0].split("?")[0], "/network/v2.0")
        answer = self.http.request(method, self.base + root + path, json=body)
        assert answer.status_code < 400, f"{method} {path}: {answer.status_code} " \
                                         f"{answer.text[:2000]}"
        return answer.json() if answer.content else None

    def server(self, server_id: str) -> dict[str, Any]:
        return self.call("GET", f"/servers/{server_id}")["server"]

    def console(self, server_id: str) -> str:
        return str(self.call("POST", f"/servers/{server_id}/action",
                             {"os-getConsoleOutput": {}})["output"])


@dataclass
class Cloud:
    """``onestack up --driver qemu`` as a subprocess in its own session."""

    root: Path
    netns: str
    port: int
    proc: subprocess.Popen[bytes]
    api: Api | None = None
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def log(self) -> str:
        return (self.root / "up.log").read_text(errors="replace")

    @property
    def external_netns(self) -> str:
        return Names(self.netns).external_ns()

    def stop(self, timeout: float = 90.0) -> int | None:
        """SIGTERM (``up`` removes its dataplane), SIGKILL to its process group if it
        does not end in time; its exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)  # anything left in its session
        except ProcessLookupError:
            pass
        return self.proc.returncode


def start_cloud(root: Path) -> Cloud:
    exe = onestack_executable()
    assert exe is not None
    netns = "os-up-" + secrets.token_hex(3)
    port = free_port()
    log = open(root / "up.log", "wb")  # noqa: SIM115 - the child holds it
    proc = subprocess.Popen(
        [exe, "up", "--driver", "qemu", "--data-dir", str(root / "data"), "--port", str(port),
         "--admin-password", PASSWORD, "--guest-image", str(IMAGE)],
        env=cli_env(ONESTACK_DATAPLANE_NETNS=netns, ONESTACK_LOG_LEVEL="info"),
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    log.close()
    return Cloud(root, netns, port, proc)


def leftovers(cloud: Cloud, ids: list[str]) -> list[str]:
    """What of ``cloud`` still exists on the machine (empty: nothing leaked)."""
    names = Names(cloud.netns)
    found = [f"namespace {n}" for n in subprocess.run(
        ["ip", "netns", "list"], capture_output=True, text=True).stdout.split()
        if n == cloud.netns or names.owns(n)]
    root_links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout
    found += [f"link of {i} in the root namespace" for i in ids if i[:8] in root_links]
    tables = subprocess.run(["nft", "list", "tables"], capture_output=True, text=True).stdout
    found += [f"root namespace nft table {t}" for t in ("onestack_l2", "onestack_ports",
                                                        "onestack_nat") if t in tables]
    marks = (str(cloud.data_dir), cloud.netns, f"-{names.tag}-", f"/{names.tag}/",
             f"qext-{names.tag}")
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if any(mark in argv for mark in marks):
            found.append(f"process {pid}: {argv[:160]}")
    if Path(f"/run/onestack/network/{names.tag}").exists():
        found.append(f"/run/onestack/network/{names.tag}")
    return found


@dataclass
class World:
    """The cloud and what the scenarios share."""

    cloud: Cloud
    api: Api
    key: Path
    vms: dict[str, dict[str, Any]] = field(default_factory=dict)  # name → id, ip, fip
    groups: dict[str, str] = field(default_factory=dict)
    ids: list[str] = field(default_factory=list)  # networks, ports: for the leak check

    def ssh(self, vm: str, command: str, timeout: float = 30.0
            ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["ip", "netns", "exec", self.cloud.external_netns, "ssh",
                               *SSH_OPTIONS, "-i", str(self.key),
                               f"onestack@{self.vms[vm]['fip']}", command],
                              capture_output=True, text=True, timeout=timeout)

    def console_shows(self, vm: str, text: str) -> str:
        """The server's console output (through the API) once it holds ``text``: the
        agent records the serial log on its next pass, so it may lag a boot."""
        found = ""

        def shows() -> bool:
            nonlocal found
            found = self.api.console(self.vms[vm]["id"])
            return text in found
        try:
            wait_until(f"{text!r} on the console of {vm}", shows, 30, 1)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{found[-2000:]}") from None
        return found

    def pings(self, source: str, target: str) -> bool:
        """Whether one ping from ``source`` (run over SSH) reaches ``target``'s fixed IP."""
        done = self.ssh(source, f"ping -c 1 -W 2 {self.vms[target]['ip']}")
        assert done.returncode in (0, 1), done.stderr  # 255: SSH itself failed
        return done.returncode == 0


def boot(api: Api, name: str, image: str, network: str, group: str) -> dict[str, Any]:
    user_data = f"#!/bin/sh\necho {MARKER} > /tmp/e2e-user-data\n"
    made = api.call("POST", "/servers", {"server": {
        "name": name, "imageRef": image, "flavorRef": "42", "key_name": "e2e",
        "networks": [{"uuid": network}], "security_groups": [{"name": group}],
        "config_drive": False, "user_data": base64.b64encode(user_data.encode()).decode()}})
    return {"id": made["server"]["id"], "posted": time.monotonic()}


def make_world(cloud: Cloud, root: Path) -> World:
    wait_until("onestack up to listen", lambda: _healthy(cloud), 120, 0.2)
    api = Api(f"http://127.0.0.1:{cloud.port}")
    cloud.api = api
    wait_until("the compute host and the network agent", lambda: (
        any(h.get("state") == "up" for h in api.call("GET", "/os-hypervisors")["hypervisors"])
        and any(a["alive"] for a in api.call("GET", "/agents")["agents"])), 60)
    key = root / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    world = World(cloud, api, key)
    api.call("POST", "/os-keypairs", {"keypair": {
        "name": "e2e", "public_key": key.with_suffix(".pub").read_text().strip()}})
    for name, rules in (("e2e-open", ("icmp", "tcp")), ("e2e-noicmp", ("tcp",))):
        group = api.call("POST", "/security-groups", {"security_group": {"name": name}})
        world.groups[name] = group["security_group"]["id"]
        for protocol in rules:
            ports = {"port_range_min": 22, "port_range_max": 22} if protocol == "tcp" else {}
            api.call("POST", "/security-group-rules", {"security_group_rule": {
                "security_group_id": world.groups[name], "direction": "ingress",
                "ethertype": "IPv4", "protocol": protocol, **ports}})
    net = api.call("POST", "/networks", {"network": {"name": "e2e-net"}})["network"]
    subnet = api.call("POST", "/subnets", {"subnet": {
        "network_id": net["id"], "cidr": "192.168.77.0/24", "ip_version": 4,
        "name": "e2e-subnet"}})["subnet"]
    public = api.call("GET", "/networks?name=public")["networks"][0]
    router = api.call("POST", "/routers", {"router": {
        "name": "e2e-router", "external_gateway_info": {"network_id": public["id"]}}})
    router_id = router["router"]["id"]
    api.call("PUT", f"/routers/{router_id}/add_router_interface", {"subnet_id": subnet["id"]})
    world.ids += [net["id"], router_id]
    image = api.call("GET", "/images?name=onestack-guest")["images"][0]["id"]
    for name in ("vm-a", "vm-b"):
        world.vms[name] = boot(api, name, image, net["id"], "e2e-open")
    for name, vm in world.vms.items():
        wait_until(f"{name} ACTIVE", lambda: _active(api, vm["id"]), 240)
        cloud.timings[f"{name} POST -> ACTIVE"] = time.monotonic() - vm["posted"]
        port = api.call("GET", f"/ports?device_id={vm['id']}")["ports"][0]
        vm["ip"] = port["fixed_ips"][0]["ip_address"]
        world.ids.append(port["id"])
        fip = api.call("POST", "/floatingips", {"floatingip": {
            "floating_network_id": public["id"], "port_id": port["id"]}})
        vm["fip"] = fip["floatingip"]["floating_ip_address"]
    def all_answer() -> bool:  # each guest's time taken when it first answers
        for name, vm in world.vms.items():
            key = f"{name} POST -> SSH"
            if key not in cloud.timings and world.ssh(name, "true").returncode == 0:
                cloud.timings[key] = time.monotonic() - vm["posted"]
        return all(f"{name} POST -> SSH" in cloud.timings for name in world.vms)
    wait_until("SSH to every guest", all_answer, 180, 1)
    return world


def _healthy(cloud: Cloud) -> bool:
    assert cloud.proc.poll() is None, f"onestack up exited:\n{cloud.log[-3000:]}"
    try:
        return httpx.get(f"http://127.0.0.1:{cloud.port}/healthcheck", timeout=2.0,
                         trust_env=False).status_code == 200
    except httpx.TransportError:
        return False


def _active(api: Api, server_id: str) -> bool:
    server = api.server(server_id)
    assert server["status"] != "ERROR", server.get("fault")
    return server["status"] == "ACTIVE"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("up-qemu")
    cloud = start_cloud(root)
    made: World | None = None
    try:
        made = make_world(cloud, root)
        yield made
    finally:
        if cloud.api is not None:
            cloud.api.http.close()
        cloud.stop()
        ids = made.ids if made else []
        left = leftovers(cloud, ids)
        if left:  # the leak test failed or never ran: remove what we can, by name and PID
            from onestack.cli.dataplane import Dataplane

            print("left behind by up, now removed:", *left, sep="\n  ")
            Dataplane(cloud.data_dir, cloud.netns, created=True).teardown()
        print("\n".join(f"{k}: {v:.1f}s" for k, v in cloud.timings.items()))


def test_both_guests_got_their_dhcp_address_and_ping_each_other(world: World) -> None:
    for name, vm in world.vms.items():
        world.console_shows(name, f"eth0: address {vm['ip']}/24 gateway 192.168.77.1")
        shown = world.ssh(name, "ip addr show eth0")
        assert f"inet {vm['ip']}/24" in shown.stdout, shown
    assert wait_until("vm-a to ping vm-b", lambda: world.pings("vm-a", "vm-b"), 20, 1)
    assert wait_until("vm-b to ping vm-a", lambda: world.pings("vm-b", "vm-a"), 20, 1)


def test_a_group_without_icmp_blocks_the_ping_until_the_rule_is_added(world: World) -> None:
    api = world.api
    port = api.call("GET", f"/ports?device_id={world.vms['vm-b']['id']}")["ports"][0]
    api.call("PUT", f"/ports/{port['id']}", {"port": {
        "security_groups": [world.groups["e2e-noicmp"]]}})
    wait_until("the ping to vm-b to be dropped", lambda: not world.pings("vm-a", "vm-b"), 20, 1)
    assert not any(world.pings("vm-a", "vm-b") for _ in range(3))
    assert world.ssh("vm-b", "true").returncode == 0  # SSH is still allowed
    rule = api.call("POST", "/security-group-rules", {"security_group_rule": {
        "security_group_id": world.groups["e2e-noicmp"], "direction": "ingress",
        "ethertype": "IPv4", "protocol": "icmp"}})
    assert rule["security_group_rule"]["protocol"] == "icmp"
    assert wait_until("the ping to vm-b to pass again",
                      lambda: world.pings("vm-a", "vm-b"), 20, 1)


def test_ssh_over_a_floating_ip_with_the_key_from_metadata_and_user_data_ran(
        world: World) -> None:
    for name in world.vms:
        console = world.console_shows(name, "1 SSH public key(s) installed")
        assert "metadata from http://169.254.169.254" in console, console[-2000:]
        done = world.ssh(name, "cat /tmp/e2e-user-data; hostname")
        assert done.returncode == 0, done.stderr
        assert done.stdout.split() == [MARKER, name]
    banner = world.cloud.log
    assert f"ip netns exec {world.cloud.external_netns} ssh onestack@" in banner


def test_stopping_up_leaves_nothing_behind(world: World) -> None:
    cloud = world.cloud
    assert leftovers(cloud, world.ids)  # while it runs, its namespaces and QEMUs exist
    code = cloud.stop()
    assert code is not None and code != -signal.SIGKILL, cloud.log[-3000:]
    assert leftovers(cloud, world.ids) == []

"""A whole cloud on real guests for the end-to-end dataplane tests.

``onestack up`` runs the API with no fake hosts; each host is a network namespace the test
made (``os-e2e-…``) with three agent processes of its own: compute on the QEMU driver,
network on the Linux driver and volume on the file backend. Separate agents share only the
database, so they find their work by periodic resync (about two seconds).

Guests boot onestack's own image (``scripts/build_guest_image.py``) with a config drive
holding the test's SSH key; the test reaches them by SSH from the DHCP namespace of their
network. ``close`` deletes the servers, volumes, routers and networks, reports what of the
dataplane the agents did not remove (looked at before any forced clean-up), stops every
process the cloud started (by PID), removes what the drivers made and reports what even
that left behind.
"""
from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from onestack.network.drivers.linux import LinuxDriverConfig, LinuxNetworkDriver
from onestack.network.drivers.linux import links
from onestack.network.drivers.linux.names import Names
from tests.contract.qemu_harness import kill_everything_under, missing_qemu
from tests.dataplane import linux_harness
from tests.dataplane.conftest import missing_dataplane
from tests.dataplane.cloud_api import PASSWORD, Api, wait_until
from tests.dataplane.leaks import dataplane_remnants, delete_networks
from tests.support.processes import cli_env, free_port, onestack_executable

IMAGE = Path(os.environ.get("ONESTACK_GUEST_IMAGE") or
             Path.home() / ".cache" / "onestack-guest" / "onestack-guest.qcow2")
SSH_OPTIONS = ("-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
               "-o", "BatchMode=yes", "-o", "ConnectTimeout=5", "-o", "LogLevel=ERROR")


def missing_cloud() -> str | None:
    """Why this machine cannot run the cloud on real guests, or None."""
    reason = missing_dataplane(*linux_harness.TOOLS, "ssh", "ssh-keygen") or missing_qemu()
    if reason:
        return reason
    if onestack_executable() is None:
        return "needs the onestack console script (pip install -e .)"
    if not IMAGE.is_file():
        return f"no guest image at {IMAGE} (scripts/build_guest_image.py)"
    return None


class Process:
    """One ``onestack`` process we started, its output in a log file."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log: Path):
        self.name, self.argv, self.env, self.log_path = name, argv, env, log
        self.proc: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(self.argv, env=self.env, stdout=log,
                                         stderr=subprocess.STDOUT)

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill9(self) -> None:
        """``kill -9``: no clean-up of any kind (what a crashed agent leaves)."""
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self, timeout: float = 20.0) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout)

    def tail(self, chars: int = 3000) -> str:
        return self.log_path.read_bytes()[-chars:].decode(errors="replace")


@dataclass
class Host:
    """A compute host: its namespace and its three agent processes."""
    name: str
    netns: str
    state_dir: Path
    agents: dict[str, Process] = field(default_factory=dict)

    @property
    def names(self) -> Names:
        return Names(self.netns)


@dataclass
class Guest:
    """A server the test booted, reached by SSH from its network's DHCP namespace."""
    id: str
    address: str
    via_netns: str
    key: Path

    def ssh(self, command: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["ip", "netns", "exec", self.via_netns, "ssh", *SSH_OPTIONS,
                               "-i", str(self.key), f"onestack@{self.address}", command],
                              capture_output=True, text=True, timeout=timeout)

    def run(self, command: str, timeout: float = 60.0) -> str:
        done = self.ssh(command, timeout)
        assert done.returncode == 0, f"{command!r} on {self.address}: {done.returncode} " \
                                     f"{done.stdout[-1000:]} {done.stderr[-1000:]}"
        return done.stdout

    def wait_ssh(self, timeout: float = 180.0) -> float:
        """Seconds until SSH answers."""
        started = time.monotonic()
        wait_until(f"SSH to {self.address}",
                   lambda: self.ssh("true", timeout=20).returncode == 0, timeout, 1.0)
        return time.monotonic() - started

    def boot_id(self) -> str:
        return self.run("cat /proc/sys/kernel/random/boot_id").strip()

    def uptime(self) -> float:
        return float(self.run("cat /proc/uptime").split()[0])


class Cloud:
    """``onestack up`` (no fake hosts) plus the agents of each host in ``hosts``."""

    def __init__(self, root: Path, hosts: tuple[str, ...] = ("h1",)):
        exe = onestack_executable()
        assert exe is not None
        self.exe = exe
        self.root = root
        self.data_dir = root / "data"
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.database_url = f"sqlite:///{self.data_dir / 'onestack.db'}"
        self.key = root / "id_ed25519"
        # shared by every host's compute agent, as moves between hosts on one machine want
        self.compute_dir = root / "compute"
        self.up: Process | None = None
        self.hosts: dict[str, Host] = {}
        self.api: Api | None = None
        self.timings: dict[str, float] = {}
        self.servers: list[str] = []
        started = time.monotonic()
        try:
            self._start(hosts)
        except BaseException:
            leftovers = self.close()
            if leftovers:
                print(f"the cloud that did not start left: {leftovers}")
            raise
        self.timings["cloud up"] = time.monotonic() - started

    def _start(self, hosts: tuple[str, ...]) -> None:
        for n, name in enumerate(hosts, 1):
            netns = linux_harness.new_namespace("os-e2e-")
            host = Host(name, netns, self.root / name)
            self.hosts[name] = host
            if len(hosts) > 1:  # a VXLAN underlay between the host namespaces
                self._underlay(host, n, len(hosts))
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "e2e",
                        "-f", str(self.key)], check=True)
        self.up = Process("up", [self.exe, "up", "--data-dir", str(self.data_dir),
                                 "--fake-hosts", "0", "--port", str(self.port),
                                 "--admin-password", PASSWORD,
                                 "--database-url", self.database_url],
                          self.env(), self.root / "up.log")
        self._wait_healthy()
        secret = (self.data_dir / "metadata-proxy-secret").read_text().strip()
        for host in self.hosts.values():
            self._start_agents(host, secret)
        self.api = Api(self.base_url)
        self._wait_agents()

    # --- processes ----------------------------------------------------------------------
    def env(self, **extra: str) -> dict[str, str]:
        return cli_env(ONESTACK_DATABASE_URL=self.database_url,
                       ONESTACK_PORT=str(self.port), ONESTACK_LOG_LEVEL="info", **extra)

    def _wait_healthy(self, timeout: float = 120.0) -> None:
        assert self.up is not None
        up = self.up

        def healthy() -> bool:
            assert up.alive(), f"onestack up exited:\n{up.tail()}"
            try:
                return httpx.get(self.base_url + "/healthcheck", timeout=2.0,
                                 trust_env=False).status_code == 200
            except httpx.TransportError:
                return False
        wait_until("onestack up", healthy, timeout, 0.2)

    def _wait_agents(self, timeout: float = 60.0) -> None:
        """Until every host is a hypervisor and has a live network agent (the scheduler
        finds no host before its agent registered)."""
        api = self.api
        assert api is not None
        wanted = set(self.hosts)

        def registered() -> bool:
            for host in self.hosts.values():
                for agent in host.agents.values():
                    assert agent.alive(), f"{agent.name} exited:\n{agent.tail()}"
            hypervisors = {h["hypervisor_hostname"] for h in api.get(
                "compute", "/os-hypervisors")["hypervisors"] if h.get("state") == "up"}
            network = {a["host"] for a in api.get("network", "/agents")["agents"]
                       if a["alive"]}
            return wanted <= hypervisors and wanted <= network
        wait_until("the agents to register", registered, timeout)

    def _start_agents(self, host: Host, secret: str) -> None:
        host.state_dir.mkdir(parents=True, exist_ok=True)
        n = list(self.hosts).index(host.name) + 1
        tunnel = dict(ONESTACK_NETWORK_TUNNEL_IP=f"192.168.100.{n}",
                      ONESTACK_NETWORK_TUNNEL_DEV="underlay") if len(self.hosts) > 1 else {}
        env = self.env(ONESTACK_DATAPLANE_NETNS=host.netns,
                       ONESTACK_METADATA_PROXY_SECRET=secret, **tunnel)
        for kind, extra in (("network", ["--driver", "linux"]),
                            ("compute", ["--driver", "qemu", "--state-dir",
                                         str(self.compute_dir)]),
                            ("volume", ["--state-dir", str(host.state_dir / "volume")])):
            if kind == "volume" and n > 1:
                continue  # one volume backend is enough
            host.agents[kind] = Process(
                f"{kind}@{host.name}", [self.exe, "agent", kind, "--host", host.name,
                                        *extra], env, self.root / f"{host.name}-{kind}.log")

    def _underlay(self, host: Host, n: int, count: int) -> None:
        """Host namespaces in a row joined by veth pairs on 192.168.100.0/24 (the first two
        hosts only: enough for VXLAN between two)."""
        if n == 1:
            return
        first = next(iter(self.hosts.values()))
        subprocess.run(["ip", "-n", first.netns, "link", "add", "underlay", "type", "veth",
                        "peer", "name", "underlay", "netns", host.netns], check=True)
        for i, h in ((1, first), (n, host)):
            subprocess.run(["ip", "-n", h.netns, "addr", "add", f"192.168.100.{i}/24",
                            "dev", "underlay"], check=True)
            subprocess.run(["ip", "-n", h.netns, "link", "set", "underlay", "up"], check=True)

    def restart_agent(self, host: str, kind: str) -> None:
        self.hosts[host].agents[kind].start()

    def processes(self) -> list[Process]:
        """``up`` and every agent (stopped or not)."""
        return ([self.up] if self.up is not None else []) + [
            a for h in self.hosts.values() for a in h.agents.values()]

    def agent_logs(self) -> str:
        parts = []
        for host in self.hosts.values():
            for agent in host.agents.values():
                parts.append(f"--- {agent.name}\n{agent.tail(2000)}")
        if self.up is not None:
            parts.append(f"--- up\n{self.up.tail(2000)}")
        return "\n".join(parts)

    # --- resources --------------------------------------------------------------------
    def upload_image(self, name: str = "onestack-guest") -> str:
        assert self.api is not None
        image = self.api.post("image", "/images", {
            "name": name, "disk_format": "qcow2", "container_format": "bare",
            "visibility": "public"}).json()
        self.api.call("PUT", "image", f"/images/{image['id']}/file",
                      content=IMAGE.read_bytes(),
                      headers={"Content-Type": "application/octet-stream"})
        wait_until("image active", lambda: self.api is not None and self.api.get(
            "image", f"/images/{image['id']}")["status"] == "active", 60)
        return str(image["id"])

    def flavor(self, name: str, ram: int, disk: int, vcpus: int = 1) -> str:
        assert self.api is not None
        made = self.api.post("compute", "/flavors", {"flavor": {
            "name": name, "ram": ram, "disk": disk, "vcpus": vcpus}}).json()
        return str(made["flavor"]["id"])

    def keypair(self, name: str = "e2e") -> str:
        assert self.api is not None
        public = self.key.with_suffix(".pub").read_text().strip()
        self.api.post("compute", "/os-keypairs", {"keypair": {"name": name,
                                                              "public_key": public}})
        return name

    def network_id(self, name: str = "private") -> str:
        assert self.api is not None
        found = self.api.get("network", f"/networks?name={name}")["networks"]
        assert found, f"no network {name}"
        return str(found[0]["id"])

    def open_security_group(self, name: str = "e2e-open") -> str:
        """A security group letting in SSH and ping from anywhere."""
        assert self.api is not None
        group = self.api.post("network", "/security-groups", {
            "security_group": {"name": name}}).json()["security_group"]
        for rule in ({"protocol": "tcp", "port_range_min": 22, "port_range_max": 22},
                     {"protocol": "icmp"}):
            self.api.post("network", "/security-group-rules", {"security_group_rule": {
                "security_group_id": group["id"], "direction": "ingress",
                "ethertype": "IPv4", "remote_ip_prefix": "0.0.0.0/0", **rule}})
        return name

    def boot(self, name: str, image: str, flavor: str, network: str, key_name: str,
             group: str, host: str | None = None) -> str:
        """Create a server (config drive on); its id."""
        assert self.api is not None
        body: dict[str, Any] = {"name": name, "imageRef": image, "flavorRef": flavor,
                                "networks": [{"uuid": network}], "key_name": key_name,
                                "config_drive": True, "security_groups": [{"name": group}]}
        if host is not None:
            body["availability_zone"] = f"nova:{host}"
        made = self.api.post("compute", "/servers", {"server": body}).json()["server"]
        self.servers.append(made["id"])
        return str(made["id"])

    def guest(self, server_id: str) -> Guest:
        """The guest of an ACTIVE server, reached from its network's DHCP namespace."""
        assert self.api is not None
        server = self.api.server(server_id)
        ports = self.api.get("network", f"/ports?device_id={server_id}")["ports"]
        assert ports, f"server {server_id} has no port"
        network_id = ports[0]["network_id"]
        address = ports[0]["fixed_ips"][0]["ip_address"]
        host = self.hosts[server["OS-EXT-SRV-ATTR:host"]]
        namespace = host.names.dhcp_ns(network_id)
        if namespace not in links.namespaces():  # DHCP for the network runs on another host
            namespace = next(h.names.dhcp_ns(network_id) for h in self.hosts.values()
                             if h.names.dhcp_ns(network_id) in links.namespaces())
        return Guest(server_id, address, namespace, self.key)

    def qemu_pid(self, server_id: str) -> int | None:
        for host in self.hosts.values():
            pidfile = self.compute_dir / f"qemu-{host.name}" / server_id / "qemu.pid"
            if pidfile.exists():
                pid = int(pidfile.read_text().strip() or 0)
                if pid and Path(f"/proc/{pid}").exists():
                    return pid
        return None

    def qemu_pids(self) -> list[int]:
        """Every QEMU whose command line names this cloud's directory."""
        found = []
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit():
                continue
            try:
                cmdline = (proc / "cmdline").read_bytes()
            except OSError:
                continue
            if b"qemu-system" in cmdline and str(self.root).encode() in cmdline:
                found.append(int(proc.name))
        return found

    # --- teardown -----------------------------------------------------------------------
    def close(self) -> list[str]:
        """Delete the servers, volumes, routers and networks through the API, look for
        whatever of the dataplane the agents left behind (before anything else removes
        it), stop everything, remove what the drivers made; returns what the cloud left
        behind itself and what even the forced clean-up left."""
        leftovers: list[str] = []
        try:
            self._delete_everything(leftovers)
        except Exception as exc:  # noqa: BLE001 - tear down the rest anyway
            leftovers.append(f"deleting servers and networks: {exc!r}")
        finally:
            if self.api is not None:
                self.api.close()
            for host in self.hosts.values():
                for agent in host.agents.values():
                    agent.stop()
            if self.up is not None:
                self.up.stop()
            for host in self.hosts.values():
                kill_everything_under(self.compute_dir)
                linux_harness.cleanup(LinuxNetworkDriver(LinuxDriverConfig(netns=host.netns),
                                                         host.name))
            leftovers += self._still_there()
        return leftovers

    def _delete_everything(self, leftovers: list[str]) -> None:
        """The servers, then the volumes, floating IPs, routers and networks; then the
        agents get a minute to remove their dataplane, and what is still there is a
        leftover (QEMUs, taps, bridges, VXLAN, legs, nftables tables, namespaces, dnsmasq,
        metadata proxies, specs, volume files: ``leaks.dataplane_remnants``)."""
        api = self.api
        if api is None or not all(a.alive() for h in self.hosts.values()
                                  for a in h.agents.values()):
            return
        for server_id in self.servers:
            api.call("DELETE", "compute", f"/servers/{server_id}", expect=(204, 404))
        for server_id in self.servers:
            try:
                wait_until(f"server {server_id} deleted", lambda: api.call(
                    "GET", "compute", f"/servers/{server_id}",
                    expect=(200, 404)).status_code == 404, 60)
            except AssertionError as exc:
                leftovers.append(str(exc))
        for volume in api.get("block-storage", "/volumes")["volumes"]:
            api.call("DELETE", "block-storage", f"/volumes/{volume['id']}",
                     expect=(202, 400, 404))
        delete_networks(api)
        try:
            wait_until("the agents to remove the dataplane",
                       lambda: not dataplane_remnants(self), 60, 1.0)
        except AssertionError:
            leftovers += dataplane_remnants(self)

    def _still_there(self) -> list[str]:
        """Whatever of this cloud survived the forced clean-up (its namespaces deleted)."""
        found = self.remnants()
        for namespace in links.namespaces():
            if f"namespace {namespace}" in found:
                subprocess.run(["ip", "netns", "delete", namespace], check=False)
        return found

    def remnants(self) -> list[str]:
        """What of this cloud is in the machine now: QEMUs, namespaces of its hosts or
        their drivers, and processes naming its directory or a driver's run directory."""
        found = [f"qemu pid {pid}" for pid in self.qemu_pids()]
        found += [f"{p.name} pid {p.pid}" for p in self.processes() if p.alive()]
        tags = [h.names.tag for h in self.hosts.values()]
        alive = {p.pid for p in self.processes() if p.alive()}
        found += [f"namespace {namespace}" for namespace in sorted(links.namespaces())
                  if any(namespace == h.netns or h.names.owns(namespace)
                         for h in self.hosts.values())]
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit() or int(proc.name) == os.getpid():
                continue
            try:
                cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(
                    errors="replace")
            except OSError:
                continue
            if "qemu-system" not in cmdline and int(proc.name) not in alive and (
                    any(f"-{tag}-" in cmdline or f"/{tag}/" in cmdline for tag in tags)
                    or str(self.root) in cmdline):
                found.append(f"process {proc.name}: {cmdline[:200]}")
        return found

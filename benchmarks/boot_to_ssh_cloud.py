"""The onestack side of ``boot_to_ssh.py``: a cloud with one real host, in one of two
shapes (``mode``):

* ``up``: ``onestack up --driver qemu`` — one process serves the API and runs the
  scheduler, the QEMU compute agent and the Linux network agent on an in-process bus;
* ``agents``: ``onestack up`` without hosts, plus ``onestack agent compute --driver qemu``
  and ``onestack agent network --driver linux`` as processes of their own (they share
  only the database and find their work by periodic resync).

Either way the host's "machine" is a network namespace named here (``dataplane_netns``),
so bridges, taps, routers and the QEMU guests stay out of the machine's own networking.
Guests are reached by SSH to their floating IP from the external
namespace the network driver makes (which holds the public gateway, 203.0.113.1).

Each guest's port and floating IP are made before its ``POST /servers`` (a user's order
of work when they know the address they want), so the clock covers the server's boot:
scheduling, image, port binding, wiring, QEMU, the guest's boot and its SSH server.

Everything started here is stopped by its PID (the API and the agents each lead their
own process group); the guests are deleted through the API and any QEMU left is stopped
by the PID in its pid file; the host namespace and every namespace, device and process of
the network driver is removed at the end."""
from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil

from boot_to_ssh_guest import Key, free_port, process_start, since_boot, wait_for_ssh

ONESTACK = Path(sys.executable).with_name("onestack")
PASSWORD = "secret"
QEMU = "qemu-system"
ACTIVE_POLL = 0.25  # seconds between GETs of one server while it boots
FIRST_FRESH_HOST = 20  # private-subnet (10.0.0.0/26) host numbers handed out from here


@dataclass
class Booted:
    """One server's timeline, in monotonic seconds."""
    server_id: str
    port_id: str
    fip_id: str
    address: str
    t0: float = 0.0
    t0_boot: float = 0.0
    posted: float | None = None
    active: float | None = None
    ready: float | None = None
    status: str = ""


@dataclass
class Cloud:
    work: Path
    accel: str
    image: Path
    mode: str = "up"
    host: str = ""
    netns: str = field(default_factory=lambda: "os-bench-" + secrets.token_hex(3))
    port: int = field(default_factory=free_port)
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    token: str = ""
    ids: dict[str, str] = field(default_factory=dict)
    key: Key | None = None
    flavor: dict[str, int] = field(default_factory=dict)
    # each port gets an address no earlier port of this cloud had (see _next_address)
    fresh_addresses: bool = True
    _next_host: int = FIRST_FRESH_HOST

    def __post_init__(self) -> None:
        if self.mode not in ("up", "agents"):
            raise ValueError(f"mode is up or agents, not {self.mode!r}")
        # up's compute host is this machine's name; separate agents get their own
        self.host = self.host or (socket.gethostname() if self.mode == "up"
                                  else "bench-" + secrets.token_hex(3))

    @property
    def data(self) -> Path:
        return self.work / "data"

    @property
    def guests_root(self) -> Path:
        """Where the QEMU driver keeps this host's guests."""
        state = self.data if self.mode == "up" else self.work / "compute"
        return state / f"qemu-{self.host}"

    def console(self, server_id: str) -> Path:
        return self.guests_root / server_id / "console.log"

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.data / 'onestack.db'}"

    # --- processes ----------------------------------------------------------------------
    def _start(self, name: str, argv: list[str], env: dict[str, str]) -> None:
        log = open(self.work / f"{name}.log", "ab")
        self.procs[name] = subprocess.Popen([str(ONESTACK), *argv], env=env, stdout=log,
                                            stderr=log, stdin=subprocess.DEVNULL,
                                            start_new_session=True)
        log.close()

    def start(self) -> None:
        """The API, then the host's two agents once the API answers."""
        self.work.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith("ONESTACK_")}
        env.update(ONESTACK_PASSWORD_HASH_ROUNDS="4", ONESTACK_LOG_LEVEL="warning")
        up = ["up", "--data-dir", str(self.data), "--port", str(self.port),
              "--admin-password", PASSWORD]
        if self.mode == "up":  # up makes the namespace (and removes it on exit)
            self._start("api", [*up, "--driver", "qemu", "--guest-image", str(self.image)],
                        dict(env, ONESTACK_DATAPLANE_NETNS=self.netns,
                             ONESTACK_QEMU_ACCEL=self.accel))
            self._wait(self._login, 120, "the API")
            return
        subprocess.run(["ip", "netns", "add", self.netns], check=True)
        subprocess.run(["ip", "-n", self.netns, "link", "set", "lo", "up"], check=True)
        self._start("api", [*up, "--fake-hosts", "0"], env)
        self._wait(self._login, 60, "the API")
        secret = (self.data / "metadata-proxy-secret").read_text().strip()
        agent_env = dict(env, ONESTACK_DATAPLANE_NETNS=self.netns,
                         ONESTACK_QEMU_ACCEL=self.accel, ONESTACK_PORT=str(self.port),
                         ONESTACK_METADATA_PROXY_SECRET=secret)
        common = ["--host", self.host, "--database-url", self.db_url]
        self._start("network", ["agent", "network", "--driver", "linux", *common], agent_env)
        self._start("compute", ["agent", "compute", "--driver", "qemu", *common,
                                "--state-dir", str(self.work / "compute")], agent_env)

    def _wait(self, ready: Any, timeout: float, what: str) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, proc in self.procs.items():
                if proc.poll() is not None:
                    raise RuntimeError(f"onestack {name} exited with {proc.returncode}")
            try:
                found = ready()
                if found:
                    return found
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{what} not ready after {timeout} s")

    def _login(self) -> bool:
        body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
            "name": "admin", "domain": {"id": "default"}, "password": PASSWORD}}},
            "scope": {"project": {"name": "admin", "domain": {"id": "default"}}}}}
        r = httpx.post(self.base + "/identity/v3/auth/tokens", json=body, timeout=5)
        if r.status_code != 201:
            return False
        self.token = r.headers["x-subject-token"]
        self.ids["project"] = r.json()["token"]["project"]["id"]
        return True

    # --- API ----------------------------------------------------------------------------
    def call(self, method: str, path: str, expect: tuple[int, ...] = (200, 201, 202, 204),
             **kw: Any) -> Any:
        headers = {"X-Auth-Token": self.token, **kw.pop("headers", {})}
        r = httpx.request(method, self.base + path, headers=headers, timeout=30, **kw)
        if r.status_code not in expect:
            raise RuntimeError(f"{method} {path}: {r.status_code} {r.text[:300]}")
        return r.json() if r.content and "json" in r.headers.get("content-type", "") else None

    def _exists(self, path: str) -> bool:
        r = httpx.get(self.base + path, headers={"X-Auth-Token": self.token}, timeout=30)
        if r.status_code not in (200, 404):
            raise RuntimeError(f"GET {path}: {r.status_code} {r.text[:300]}")
        return r.status_code == 200

    def prepare(self, key: Key, flavor: str) -> None:
        """Host up, router and DHCP on this host's agents, SSH allowed, image and key."""
        self.key = key
        self._wait(self._host_registered, 120, "the compute host")
        agents = self._wait(self._agents_alive, 120, "the network agents")
        self.ids["external_ns"] = agents["L3 agent"]["configurations"]["external_namespace"]
        net = "/network/v2.0"
        router = self.call("GET", f"{net}/routers?name=router1")["routers"][0]
        private = self.call("GET", f"{net}/networks?name=private")["networks"][0]
        public = self.call("GET", f"{net}/networks?name=public")["networks"][0]
        self.ids.update(router=router["id"], private=private["id"], public=public["id"])
        if not self.call("GET", f"{net}/routers/{router['id']}/l3-agents")["agents"]:
            self.call("POST", f"{net}/agents/{agents['L3 agent']['id']}/l3-routers",
                      json={"router_id": router["id"]})
        if not self.call("GET", f"{net}/networks/{private['id']}/dhcp-agents")["agents"]:
            self.call("POST", f"{net}/agents/{agents['DHCP agent']['id']}/dhcp-networks",
                      json={"network_id": private["id"]})
        group = self.call("GET", f"{net}/security-groups?name=default&project_id="
                                 f"{self.ids['project']}")["security_groups"][0]
        for protocol, port in (("tcp", 22), ("icmp", None)):
            rule: dict[str, Any] = {"security_group_id": group["id"], "direction": "ingress",
                                    "ethertype": "IPv4", "protocol": protocol,
                                    "remote_ip_prefix": "0.0.0.0/0"}
            if port:
                rule.update(port_range_min=port, port_range_max=port)
            self.call("POST", f"{net}/security-group-rules", json={"security_group_rule": rule},
                      expect=(201, 409))
        self.ids["image"] = self._wait(self._guest_image, 120, "the guest image")
        self.call("POST", "/compute/v2.1/os-keypairs", json={"keypair": {
            "name": "bench", "public_key": key.public}})
        flavors = self.call("GET", "/compute/v2.1/flavors/detail")["flavors"]
        chosen = next(f for f in flavors if f["name"] == flavor)
        self.ids["flavor"] = chosen["id"]
        self.flavor = {"vcpus": chosen["vcpus"], "ram": chosen["ram"], "disk": chosen["disk"]}

    def _guest_image(self) -> str:
        """The image ``up --guest-image`` uploaded, else one uploaded here now."""
        found = self.call("GET", "/image/v2/images?name=onestack-guest")["images"]
        if found:
            return str(found[0]["id"]) if found[0]["status"] == "active" else ""
        if self.mode == "up":
            return ""  # up uploads it once its agents started
        made = self.call("POST", "/image/v2/images", json={
            "name": "onestack-guest", "disk_format": "qcow2", "container_format": "bare",
            "visibility": "public"})
        self.call("PUT", f"/image/v2/images/{made['id']}/file",
                  content=self.image.read_bytes(),
                  headers={"Content-Type": "application/octet-stream"})
        return str(made["id"])

    def _host_registered(self) -> bool:
        found = self.call("GET", "/compute/v2.1/os-hypervisors/detail")["hypervisors"]
        return any(h["hypervisor_hostname"] == self.host and h.get("state") == "up"
                   for h in found)

    def _agents_alive(self) -> dict[str, dict[str, Any]] | None:
        found = self.call("GET", f"/network/v2.0/agents?host={self.host}")["agents"]
        by_type = {a["agent_type"]: a for a in found if a.get("alive")}
        return by_type if {"L3 agent", "DHCP agent"} <= set(by_type) else None

    # --- servers ------------------------------------------------------------------------
    def _next_address(self) -> list[dict[str, str]]:
        """A fixed IP no port of this cloud had before. A new port on the address of a
        deleted one gets no DHCP lease on the Linux driver today: dnsmasq still holds the
        old MAC's lease for it (nothing releases it when the port goes), so such a guest
        never answers SSH; IPAM picks at random among the lowest free addresses, so that
        happens to some boots after a delete. ``fresh_addresses=False`` lets IPAM choose."""
        if not self.fresh_addresses:
            return []
        if self._next_host > 62:
            raise RuntimeError("the private /26 has no address left that was never used")
        address = f"10.0.0.{self._next_host}"
        self._next_host += 1
        return [{"ip_address": address}]

    def _port_and_fip(self, name: str) -> tuple[str, str, str]:
        net = "/network/v2.0"
        body: dict[str, Any] = {"network_id": self.ids["private"], "name": name}
        fixed = self._next_address()
        if fixed:
            body["fixed_ips"] = fixed
        port = self.call("POST", f"{net}/ports", json={"port": body})["port"]
        fip = self.call("POST", f"{net}/floatingips", json={"floatingip": {
            "floating_network_id": self.ids["public"], "port_id": port["id"]}})["floatingip"]
        return port["id"], fip["id"], fip["floating_ip_address"]

    def boot(self, count: int, timeout: float) -> list[Booted]:
        """``count`` servers POSTed at once (one thread each); returns their timelines."""
        booted = [Booted("", *self._port_and_fip(f"bench-{i}")) for i in range(count)]
        stop = threading.Event()
        t0, t0_boot = time.monotonic(), since_boot()
        poll = ACTIVE_POLL * count  # the API polled about as often whatever the count

        def one(b: Booted, index: int) -> None:
            b.t0, b.t0_boot = t0, t0_boot
            body = {"server": {"name": f"bench-{index}", "imageRef": self.ids["image"],
                               "flavorRef": self.ids["flavor"], "key_name": "bench",
                               "networks": [{"port": b.port_id}], "config_drive": True}}
            b.server_id = self.call("POST", "/compute/v2.1/servers", json=body)["server"]["id"]
            b.posted = time.monotonic()
            watcher = threading.Thread(target=self._watch_active,
                                       args=(b, t0 + timeout, stop, poll))
            watcher.start()
            assert self.key is not None
            b.ready = wait_for_ssh(self.key, b.address, t0 + timeout,
                                   netns=self.ids["external_ns"], stop=stop)
            watcher.join()
        threads = [threading.Thread(target=one, args=(b, i)) for i, b in enumerate(booted)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return booted

    def _watch_active(self, b: Booted, deadline: float, stop: threading.Event,
                      poll: float) -> None:
        while time.monotonic() < deadline and not stop.is_set():
            server = self.call("GET", f"/compute/v2.1/servers/{b.server_id}")["server"]
            b.status = server["status"]
            if server["status"] == "ACTIVE":
                b.active = time.monotonic()
                return
            if server["status"] == "ERROR":
                return
            time.sleep(poll)

    def delete(self, booted: list[Booted], timeout: float = 120) -> None:
        """Servers, then their floating IPs and ports; waits until the servers are gone."""
        for b in booted:
            if b.server_id:
                self.call("DELETE", f"/compute/v2.1/servers/{b.server_id}", expect=(204, 404))
        deadline = time.monotonic() + timeout
        for b in booted:
            while b.server_id and time.monotonic() < deadline and self._exists(
                    f"/compute/v2.1/servers/{b.server_id}"):
                time.sleep(0.3)
        for b in booted:
            self.call("DELETE", f"/network/v2.0/floatingips/{b.fip_id}", expect=(204, 404))
            self.call("DELETE", f"/network/v2.0/ports/{b.port_id}", expect=(204, 404))

    # --- what runs beside the guests ----------------------------------------------------
    def overhead_processes(self) -> list[psutil.Process]:
        """The API, the agents and what they started (dnsmasq, metadata proxies, …): their
        process trees plus any process naming this host's namespaces or run directory,
        without the QEMU guests."""
        found: dict[int, psutil.Process] = {}
        for proc in self.procs.values():
            try:
                top = psutil.Process(proc.pid)
                for p in [top, *top.children(recursive=True)]:
                    found[p.pid] = p
            except psutil.NoSuchProcess:
                pass
        tag = self._names().tag
        for p in psutil.process_iter(["cmdline"]):
            line = " ".join(p.info["cmdline"] or [])
            if f"-{tag}-" in line or f"network/{tag}" in line or f"qext-{tag}" in line:
                found[p.pid] = p
        return [p for p in found.values() if not _is_qemu(p)]

    def qemu_processes(self) -> list[psutil.Process]:
        out = []
        for pid in self._qemu_pids():
            try:
                out.append(psutil.Process(pid))
            except psutil.NoSuchProcess:
                pass
        return out

    def qemu_started(self, server_id: str) -> float | None:
        """When the server's QEMU process was made (seconds since boot), while it runs.
        QEMU daemonizes: this is the daemon, forked a few milliseconds after the start."""
        pidfile = self.guests_root / server_id / "qemu.pid"
        try:
            return process_start(int(pidfile.read_text().strip()))
        except (ValueError, OSError):
            return None

    def _qemu_pids(self) -> list[int]:
        pids = []
        for pidfile in self.guests_root.glob("*/qemu.pid"):
            try:
                pid = int(pidfile.read_text().strip())
                if QEMU in " ".join(psutil.Process(pid).cmdline()):
                    pids.append(pid)
            except (ValueError, OSError, psutil.Error):
                pass
        return pids

    def _names(self) -> Any:
        from onestack.network.drivers.linux.names import Names

        return Names(self.netns)

    # --- teardown -----------------------------------------------------------------------
    def stop(self) -> None:
        """Agents and API by PID (their process groups), leftover guests by their pid
        files, then everything the network driver made in the kernel."""
        for name in ("compute", "network", "api"):
            proc = self.procs.get(name)
            if proc is None or proc.poll() is not None:
                continue
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(90)  # up --driver qemu lets its agents finish, then tears down
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        for pid in self._qemu_pids():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self._clean_network()

    def _clean_network(self) -> None:
        from onestack.network.drivers.linux import LinuxDriverConfig, LinuxNetworkDriver
        from onestack.network.drivers.linux import dhcp as dhcp_module
        from onestack.network.drivers.linux import links

        from onestack.network.drivers.linux import processes

        driver = LinuxNetworkDriver(LinuxDriverConfig(netns=self.netns), self.host)
        steps: list[Any] = []
        for network_id in driver.store.all("dhcp"):
            steps += [lambda n=network_id: driver.remove_dhcp(n),
                      lambda n=network_id: dhcp_module.stop_server(driver, n)]
        steps += [lambda r=r: driver.remove_router(r) for r in driver.store.all("routers")]
        steps += [lambda p=p: driver.remove_port(p) for p in driver.store.all("ports")]
        steps += [lambda n=n: driver.remove_network(n) for n in driver.store.all("networks")]
        # daemons by their pid files (a metadata proxy only listens in a namespace)
        if driver.run_dir.is_dir():
            steps += [lambda f=f: processes.stop(f) for f in sorted(driver.run_dir.rglob("*pid"))]
        for step in steps:
            try:
                step()
            except Exception as exc:  # noqa: BLE001 - teardown goes on
                print(f"cleanup step failed: {exc}", file=sys.stderr)
        for namespace in links.namespaces():
            if driver.names.owns(namespace):
                subprocess.run(["ip", "netns", "delete", namespace], check=False)
        if self.netns in links.namespaces():  # up --driver qemu removed its own
            subprocess.run(["ip", "netns", "delete", self.netns], check=False)
        shutil.rmtree(driver.run_dir, ignore_errors=True)


def _is_qemu(p: psutil.Process) -> bool:
    try:
        return p.name().startswith(QEMU)
    except psutil.Error:
        return True

"""DHCP per network: a namespace with a veth leg into the bridge holding the DHCP port's
addresses, and dnsmasq serving each subnet's static hosts (MAC → address, host name),
its router, DNS servers, host routes and the network's MTU, answering DNS for the
hosts. Host and option changes are files dnsmasq re-reads on SIGHUP; anything on its
command line (subnets, addresses, MTU, domain) restarts it. With a metadata upstream the
namespace also holds 169.254.169.254, a proxy listening there, and a host route to it
for the guests."""
from __future__ import annotations

import hashlib
import ipaddress
import re
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from onestack.network.drivers.base import DhcpSpec, DhcpSubnet
from onestack.network.drivers.linux import links, processes
from onestack.network.drivers.linux.firewall import MAC
from onestack.network.drivers.linux.links import Links
from onestack.network.drivers.linux.names import ALIAS

if TYPE_CHECKING:
    from onestack.network.drivers.linux.driver import LinuxNetworkDriver

METADATA_IP = "169.254.169.254"
LABEL = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
NAME = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*")
LEASE_SECONDS = 86400


def folder(driver: "LinuxNetworkDriver", network_id: str) -> Path:
    return driver.run_dir / "dhcp" / network_id


def _port_addresses(spec: DhcpSpec) -> list[str]:
    if spec.port is None:
        return []
    return [f"{f.ip_address}/{f.cidr.split('/')[1]}" for f in spec.port.fixed_ips]


def _own_ip(spec: DhcpSpec, subnet: DhcpSubnet) -> str | None:
    net = ipaddress.ip_network(subnet.cidr, strict=False)
    for cidr in _port_addresses(spec):
        if ipaddress.ip_interface(cidr).ip in net:
            return cidr.split("/")[0]
    return None


def _mac(spec: DhcpSpec) -> str:
    if spec.port is not None:
        return spec.port.mac.lower()
    digest = hashlib.sha256(spec.network_id.encode()).digest()
    return "fa:16:3e:" + ":".join(f"{b:02x}" for b in digest[:3])


def _domain(spec: DhcpSpec) -> str:
    """The DNS domain, or ``openstacklocal`` when unset or not a plain domain name."""
    domain = (spec.dns_domain or "").strip(".").lower()
    return domain if domain and NAME.fullmatch(domain) else "openstacklocal"


def render_files(spec: DhcpSpec, metadata: bool) -> dict[str, str]:
    """The hosts, options and DNS names files (host names that are not plain DNS labels
    are left out: the files are comma and line separated)."""
    domain = _domain(spec)
    hosts, names = [], []
    for h in spec.hosts:
        if not MAC.fullmatch(h.mac):
            continue
        mac = h.mac.lower()
        address = str(ipaddress.ip_address(h.ip_address))
        hostname = h.hostname.lower() if LABEL.fullmatch(h.hostname or "") else ""
        ip = address if ":" not in address else f"[{address}]"
        hosts.append(",".join([mac, ip] + ([hostname] if hostname else [])))
        if hostname:
            names.append(f"{address}\t{hostname}.{domain}\t{hostname}")
    opts = []
    for i, subnet in enumerate(spec.subnets):
        if subnet.ip_version != 4:
            if subnet.dns_nameservers:
                opts.append(f"tag:s{i},option6:dns-server,"
                            + ",".join(f"[{d}]" for d in subnet.dns_nameservers))
            continue
        routes = [(d, n) for d, n in subnet.host_routes]
        own = _own_ip(spec, subnet)
        if metadata and own:
            routes.append((f"{METADATA_IP}/32", own))
        if subnet.gateway_ip:
            opts.append(f"tag:s{i},option:router,{subnet.gateway_ip}")
            if routes:
                routes.append(("0.0.0.0/0", subnet.gateway_ip))
        else:
            opts.append(f"tag:s{i},option:router")
        if routes:
            listed = ",".join(f"{d},{n}" for d, n in routes)
            opts.append(f"tag:s{i},option:classless-static-route,{listed}")
            opts.append(f"tag:s{i},249,{listed}")
        if subnet.dns_nameservers:
            opts.append(f"tag:s{i},option:dns-server,{','.join(subnet.dns_nameservers)}")
    return {"hosts": "\n".join(hosts) + "\n", "opts": "\n".join(opts) + "\n",
            "names": "\n".join(names) + "\n"}


def command(driver: "LinuxNetworkDriver", spec: DhcpSpec, where: Path) -> list[str]:
    domain = _domain(spec)
    argv = ["dnsmasq", "--no-hosts", "--no-resolv", "--conf-file=/dev/null",
            f"--pid-file={where / 'pid'}", f"--dhcp-hostsfile={where / 'hosts'}",
            f"--dhcp-optsfile={where / 'opts'}", f"--addn-hosts={where / 'names'}",
            "--leasefile-ro", "--bind-interfaces",
            f"--interface={driver.names.dhcp_interface(spec.network_id)}",
            "--except-interface=lo", f"--domain={domain}", "--dhcp-authoritative",
            f"--dhcp-option-force=option:mtu,{spec.mtu}"]
    for i, subnet in enumerate(spec.subnets):
        net = ipaddress.ip_network(subnet.cidr, strict=False)
        if net.version == 4:
            argv.append(f"--dhcp-range=set:s{i},{net.network_address},static,"
                        f"{net.netmask},{LEASE_SECONDS}s")
        elif subnet.ipv6_address_mode == "dhcpv6-stateful":
            argv.append(f"--dhcp-range=set:s{i},{net.network_address},static,"
                        f"{net.prefixlen},{LEASE_SECONDS}s")
    return argv


def hosts_dropped(before: str, after: str) -> bool:
    """Whether a hosts file's update removes or changes an entry (not only adds)."""
    return bool(set(before.splitlines()) - set(after.splitlines()))


def wire(driver: "LinuxNetworkDriver", spec: DhcpSpec, old: DhcpSpec | None) -> None:
    names = driver.names
    namespace = names.dhcp_ns(spec.network_id)
    if namespace not in links.namespaces():
        stop_server(driver, spec.network_id)  # a server left in a namespace deleted by hand
    links.ensure_namespace(namespace)
    host_end, inside = names.dhcp_leg(spec.network_id), names.dhcp_interface(spec.network_id)
    driver.links.ensure_veth(host_end, inside, namespace)
    driver.links.configure(host_end, master=names.bridge(spec.network_id), mtu=spec.mtu,
                           up=True, alias=f"{ALIAS} dhcp {spec.network_id}")
    metadata = bool(driver.config.metadata_upstream)
    addresses = set(_port_addresses(spec)) | ({f"{METADATA_IP}/32"} if metadata else set())
    ns_links = Links(namespace)
    ns_links.configure(inside, mac=_mac(spec), mtu=spec.mtu, up=True)
    ns_links.set_addresses(inside, addresses)
    where = folder(driver, spec.network_id)
    processes.make_dirs(where, driver.run_dir)
    changed = dropped = False
    for name, text in render_files(spec, metadata).items():
        path = where / name
        before = path.read_text() if path.exists() else None
        if before != text:
            if name == "hosts" and before is not None:
                dropped = hosts_dropped(before, text)
            path.write_text(text)
            path.chmod(0o644)
            changed = True
    argv = command(driver, spec, where)
    line = "\n".join(argv)
    cmd_file = where / "command"
    pid_file = where / "pid"
    alive = processes.running(pid_file) is not None
    # a host gone: dnsmasq keeps its lease in memory (--leasefile-ro) and would refuse that
    # address to the next port given it, so it starts afresh instead of re-reading
    if not alive or dropped or not cmd_file.exists() or cmd_file.read_text() != line:
        processes.stop(pid_file)
        cmd_file.write_text(line)
        processes.start(["ip", "netns", "exec", namespace, *argv], pid_file,
                        where / "dnsmasq.log")
    elif changed:
        processes.reload(pid_file)
    if metadata:
        _ensure_proxy(driver, spec, namespace, where)
    else:
        processes.stop(where / "metadata.pid")


def _ensure_proxy(driver: "LinuxNetworkDriver", spec: DhcpSpec, namespace: str,
                  where: Path) -> None:
    pid_file = where / "metadata.pid"
    secret_file = where / "metadata.secret"
    argv = [sys.executable, "-m", "onestack.network.drivers.linux.metadata_proxy",
            "--netns", namespace, "--network-id", spec.network_id,
            "--upstream", driver.config.metadata_upstream, "--listen", METADATA_IP,
            "--pid-file", str(pid_file), "--secret-file", str(secret_file)]
    line = "\n".join(argv)
    cmd_file = where / "metadata.command"
    new_secret = not secret_file.exists() or \
        secret_file.read_text() != driver.config.metadata_secret
    if new_secret:
        secret_file.touch(mode=0o600)
        secret_file.chmod(0o600)
        secret_file.write_text(driver.config.metadata_secret)
    if new_secret or processes.running(pid_file) is None or not cmd_file.exists() or \
            cmd_file.read_text() != line:
        processes.stop(pid_file)
        cmd_file.write_text(line)
        processes.start(argv, pid_file, where / "metadata.log")


def stop_server(driver: "LinuxNetworkDriver", network_id: str) -> None:
    where = folder(driver, network_id)
    processes.stop(where / "pid")
    processes.stop(where / "metadata.pid")


def unwire(driver: "LinuxNetworkDriver", network_id: str) -> None:
    stop_server(driver, network_id)
    driver.links.delete(driver.names.dhcp_leg(network_id))
    links.delete_namespace(driver.names.dhcp_ns(network_id))
    shutil.rmtree(folder(driver, network_id), ignore_errors=True)


def is_serving(driver: "LinuxNetworkDriver", spec: DhcpSpec) -> bool:
    where = folder(driver, spec.network_id)
    if processes.running(where / "pid") is None:
        return False
    if driver.config.metadata_upstream and processes.running(where / "metadata.pid") is None:
        return False
    if driver.names.dhcp_ns(spec.network_id) not in links.namespaces():
        return False
    return driver.links.get(driver.names.dhcp_leg(spec.network_id)) is not None

"""Unmodified clients against a real ``onestack up``: the ``openstack`` CLI and openstacksdk
drive identity, images and servers end to end, as a user would."""
from __future__ import annotations

import os
import subprocess
import time

import pytest

from tests.clients.conftest import venv_bin

pytestmark = pytest.mark.ha


def osc(cloud, *args: str) -> str:
    cmd = [venv_bin("openstack"), "--os-cloud", "onestack", *args]
    result = subprocess.run(cmd, env=cloud["env"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"{' '.join(args)}: {result.stderr[-2000:]}"
    return result.stdout.strip()


def test_identity_with_the_cli(cloud):
    assert len(osc(cloud, "token", "issue", "-f", "value", "-c", "id")) > 100
    assert "identity" in osc(cloud, "catalog", "list", "-f", "value", "-c", "Type")
    project_id = osc(cloud, "project", "create", "cli-demo", "-f", "value", "-c", "id")
    assert "cli-demo" in osc(cloud, "project", "list", "-f", "value", "-c", "Name").split()
    osc(cloud, "user", "create", "--password", "alice-pw", "--project", "cli-demo", "alice")
    osc(cloud, "role", "add", "--user", "alice", "--project", "cli-demo", "member")
    rows = osc(cloud, "role", "assignment", "list", "--names", "-f", "value", "-c", "Role",
               "-c", "User", "-c", "Project")
    assert "member alice@Default cli-demo@Default" in rows
    cred = osc(cloud, "application", "credential", "create", "cli-cred", "-f", "value",
               "-c", "id", "-c", "secret").split()
    env = {k: v for k, v in cloud["env"].items() if k != "OS_CLIENT_CONFIG_FILE"}
    clouds = (cloud["data"] / "clouds.yaml").read_text()
    url = next(line.split(": ", 1)[1] for line in clouds.splitlines() if "auth_url" in line)
    result = subprocess.run([venv_bin("openstack"), "--os-auth-type", "v3applicationcredential",
                             "--os-auth-url", url, "--os-application-credential-id", cred[0],
                             "--os-application-credential-secret", cred[1], "token", "issue",
                             "-f", "value", "-c", "project_id"], env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() != project_id  # scoped to the admin project it was made in
    osc(cloud, "project", "delete", "cli-demo")
    assert "cli-demo" not in osc(cloud, "project", "list", "-f", "value", "-c", "Name").split()


def test_images_and_servers_with_the_cli(cloud, tmp_path):
    disk = tmp_path / "disk.raw"
    disk.write_bytes(os.urandom(3 << 20))
    image_id = osc(cloud, "image", "create", "--file", str(disk), "--disk-format", "raw",
                   "--container-format", "bare", "cli-image", "-f", "value", "-c", "id")
    back = tmp_path / "back.raw"
    osc(cloud, "image", "save", "--file", str(back), image_id)
    assert back.read_bytes() == disk.read_bytes()
    assert osc(cloud, "server", "create", "--image", image_id, "--flavor", "m1.tiny",
               "--wait", "cli-vm", "-f", "value", "-c", "status") == "ACTIVE"
    assert "cli-vm" in osc(cloud, "server", "list", "-f", "value", "-c", "Name")
    for action, status in (("stop", "SHUTOFF"), ("start", "ACTIVE"), ("pause", "PAUSED"),
                           ("unpause", "ACTIVE"), ("suspend", "SUSPENDED"),
                           ("resume", "ACTIVE"), ("reboot", "ACTIVE")):
        osc(cloud, "server", action, "cli-vm")
        deadline = time.monotonic() + 30
        while osc(cloud, "server", "show", "cli-vm", "-f", "value", "-c", "status") != status:
            assert time.monotonic() < deadline, f"{action} never reached {status}"
            time.sleep(0.3)
    osc(cloud, "server", "image", "create", "--name", "cli-snap", "--wait", "cli-vm")
    assert "active" in osc(cloud, "image", "show", "cli-snap", "-f", "value", "-c", "status")
    osc(cloud, "server", "delete", "--wait", "cli-vm")
    assert "cli-vm" not in osc(cloud, "server", "list", "-f", "value", "-c", "Name")


def test_servers_with_openstacksdk(cloud, monkeypatch):
    import openstack

    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", cloud["env"]["OS_CLIENT_CONFIG_FILE"])
    conn = openstack.connect(cloud="onestack")
    image = conn.image.create_image(name="sdk-image", data=b"sdk" * 1000, disk_format="raw",
                                    container_format="bare", allow_duplicates=True)
    flavor = conn.compute.find_flavor("m1.nano")
    server = conn.compute.create_server(name="sdk-vm", image_id=image.id, flavor_id=flavor.id,
                                        networks="none")
    server = conn.compute.wait_for_server(server, wait=60)
    assert server.status == "ACTIVE"
    assert server.id in [s.id for s in conn.compute.servers()]
    conn.compute.stop_server(server)
    conn.compute.wait_for_server(server, status="SHUTOFF", wait=60)
    conn.compute.delete_server(server)
    conn.compute.wait_for_delete(server, wait=60)
    assert conn.compute.find_server("sdk-vm") is None


def test_networking_with_the_cli(cloud):
    """Network, subnet, router with an external gateway and an interface, a security group
    with rules, a port, a server on the network and a floating IP associated to it."""
    net = osc(cloud, "network", "create", "cli-net", "-f", "value", "-c", "id")
    osc(cloud, "subnet", "create", "--network", "cli-net", "--subnet-range", "192.0.2.0/24",
        "cli-subnet")
    osc(cloud, "router", "create", "cli-router")
    osc(cloud, "router", "set", "--external-gateway", "public", "cli-router")
    osc(cloud, "router", "add", "subnet", "cli-router", "cli-subnet")
    gateway = osc(cloud, "router", "show", "cli-router", "-f", "json", "-c",
                  "external_gateway_info")
    assert '"network_id"' in gateway
    osc(cloud, "security", "group", "create", "cli-sg")
    osc(cloud, "security", "group", "rule", "create", "--protocol", "tcp", "--dst-port", "22",
        "--remote-ip", "0.0.0.0/0", "cli-sg")
    rules = osc(cloud, "security", "group", "rule", "list", "cli-sg", "-f", "value", "-c",
                "Port Range")
    assert "22:22" in rules
    port_ip = osc(cloud, "port", "create", "--network", "cli-net", "--fixed-ip",
                  "subnet=cli-subnet,ip-address=192.0.2.50", "cli-port", "-f", "json",
                  "-c", "fixed_ips")
    assert "192.0.2.50" in port_ip
    osc(cloud, "image", "create", "--disk-format", "raw", "--container-format", "bare",
        "--public", "cli-net-image")
    status = osc(cloud, "server", "create", "--image", "cli-net-image", "--flavor", "m1.tiny",
                 "--nic", f"net-id={net}", "--security-group", "cli-sg", "--wait",
                 "cli-net-vm", "-f", "value", "-c", "status")
    assert status == "ACTIVE"
    listed = osc(cloud, "server", "list", "--name", "cli-net-vm", "-f", "value", "-c",
                 "Networks")
    assert "cli-net" in listed and "192.0.2." in listed
    fip = osc(cloud, "floating", "ip", "create", "public", "-f", "value", "-c",
              "floating_ip_address")
    osc(cloud, "server", "add", "floating", "ip", "cli-net-vm", fip)
    deadline = time.monotonic() + 30
    while fip not in osc(cloud, "server", "show", "cli-net-vm", "-f", "value", "-c",
                         "addresses"):
        assert time.monotonic() < deadline, "the floating IP never showed on the server"
        time.sleep(0.5)
    osc(cloud, "server", "delete", "--wait", "cli-net-vm")
    osc(cloud, "floating", "ip", "delete", fip)
    osc(cloud, "port", "delete", "cli-port")
    osc(cloud, "router", "remove", "subnet", "cli-router", "cli-subnet")
    osc(cloud, "router", "delete", "cli-router")
    osc(cloud, "network", "delete", "cli-net")
    assert "cli-net" not in osc(cloud, "network", "list", "-f", "value", "-c", "Name").split()


def test_networking_with_openstacksdk(cloud, monkeypatch):
    import openstack

    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", cloud["env"]["OS_CLIENT_CONFIG_FILE"])
    conn = openstack.connect(cloud="onestack")
    net = conn.network.create_network(name="sdk-net")
    subnet = conn.network.create_subnet(network_id=net.id, ip_version=4,
                                        cidr="198.51.100.0/24", name="sdk-subnet")
    public = conn.network.find_network("public")
    router = conn.network.create_router(name="sdk-router",
                                        external_gateway_info={"network_id": public.id})
    conn.network.add_interface_to_router(router, subnet_id=subnet.id)
    group = conn.network.create_security_group(name="sdk-sg")
    conn.network.create_security_group_rule(security_group_id=group.id, direction="ingress",
                                            protocol="icmp", ethertype="IPv4")
    port = conn.network.create_port(network_id=net.id, security_group_ids=[group.id])
    assert port.fixed_ips[0]["subnet_id"] == subnet.id
    fip = conn.network.create_ip(floating_network_id=public.id, port_id=port.id)
    assert fip.fixed_ip_address == port.fixed_ips[0]["ip_address"]
    assert conn.network.get_ip(fip.id).router_id == router.id
    conn.network.delete_ip(fip)
    conn.network.delete_port(port)
    conn.network.remove_interface_from_router(router, subnet_id=subnet.id)
    conn.network.delete_router(router)
    conn.network.delete_security_group(group)
    conn.network.delete_network(net)
    assert conn.network.find_network("sdk-net") is None

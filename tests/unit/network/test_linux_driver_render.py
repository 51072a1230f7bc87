"""The Linux network driver's pure parts, without root: the nft scripts it renders for
ports and routers, dnsmasq's files, the spec codec, the metadata proxy's request
rewriting."""
from __future__ import annotations

import pytest

from onestack.network.drivers.base import (AddressPair, DhcpHost, DhcpSpec, DhcpSubnet,
                                           FixedIp, FloatingIp, NetworkDriverError, PortForwarding,
                                           PortSpec, RouterGateway, RouterInterface, RouterSpec,
                                           SecurityRule)
from onestack.network.drivers.linux import firewall
from onestack.network.drivers.linux.codec import decode, encode
from onestack.network.drivers.linux.dhcp import render_files
from onestack.network.drivers.linux.metadata_proxy import rewrite_head, sign
from onestack.network.drivers.linux.names import Names
from onestack.network.drivers.linux.routers import render_nat

PORT = PortSpec("p1", "n1", "FA:16:3E:00:00:01", (FixedIp("s1", "10.0.0.5", "10.0.0.0/24"),),
                security_rules=(SecurityRule("ingress", "IPv4", "tcp", 22, 22, ("10.0.0.0/24",)),
                                SecurityRule("egress", "IPv4", remote_cidrs=("0.0.0.0/0",)),
                                SecurityRule("ingress", "IPv4", "icmp", remote_cidrs=())),
                allowed_address_pairs=(AddressPair("10.0.0.50", "fa:16:3e:00:00:02"),))


def test_port_rules_allow_its_addresses_and_rules_and_drop_the_rest() -> None:
    script, counts = firewall.render([firewall.FilteredPort(3, "tapp1", PORT, "brqn1", 7)])
    assert 'iifname "tapp1" jump from_3' in script
    assert "ether saddr fa:16:3e:00:00:01 ip saddr { 10.0.0.5/32 } return" in script
    assert "ether saddr fa:16:3e:00:00:02 ip saddr { 10.0.0.50/32 } return" in script
    assert "meta nfproto ipv4 ip saddr { 10.0.0.0/24 } meta l4proto tcp th dport 22 return" \
        in script
    assert "meta nfproto ipv4 return" in script  # egress to anyone
    assert "meta l4proto icmp" not in script  # a rule whose remote group is empty
    assert 'iifname "brqn1" ct zone set 7' in script
    # conntrack (2), DHCP v4 and v6 replies, neighbour discovery, tcp/22, the final drop
    assert counts["inet/ingress_3"] == 7


def test_no_ports_removes_both_tables() -> None:
    script, counts = firewall.render([])
    assert "delete table bridge onestack_l2" in script and "{" not in script
    assert counts == {}


@pytest.mark.parametrize("bad", [
    SecurityRule("ingress", "IPv4", "tcp; flush ruleset", remote_cidrs=("0.0.0.0/0",)),
    SecurityRule("ingress", "IPv4", remote_cidrs=("10.0.0.0/24 } accept",)),
])
def test_rules_that_would_inject_text_are_refused(bad: SecurityRule) -> None:
    port = PortSpec("p1", "n1", "fa:16:3e:00:00:01", security_rules=(bad,))
    with pytest.raises(NetworkDriverError):
        firewall.render([firewall.FilteredPort(1, "tapp1", port)])


def test_stateless_ports_have_no_connection_tracking() -> None:
    script, _ = firewall.render([firewall.FilteredPort(1, "t", PORT.__class__(
        "p2", "n1", "fa:16:3e:00:00:03", stateful=False))])
    assert "ct state" not in script


def test_router_nat() -> None:
    router = RouterSpec(
        "r1", gateway=RouterGateway("g", "pub", "fa:16:3e:00:00:0a", ("203.0.113.10/24",),
                                    ("203.0.113.1",)),
        interfaces=(RouterInterface("i", "n1", "fa:16:3e:00:00:0b", ("10.0.0.1/24",)),),
        floating_ips=(FloatingIp("203.0.113.20", "10.0.0.5"),),
        port_forwardings=(PortForwarding("203.0.113.21", "tcp", 2222, "10.0.0.6", 22, 2230,
                                         30),))
    script, count = render_nat(router, Names("os-host-x"))
    assert "ip daddr 203.0.113.20 dnat to 10.0.0.5" in script
    assert 'ip saddr 10.0.0.5 oifname "qg-g" snat to 203.0.113.20' in script
    assert "ip daddr 203.0.113.21 tcp dport 2222-2230 dnat to 10.0.0.6:22-30" in script
    assert 'oifname "qg-g" ip saddr { 10.0.0.0/24 } snat to 203.0.113.10' in script
    assert 'oifname != "qg-g" ct status dnat ip saddr { 10.0.0.0/24 } masquerade' in script
    assert count == 2 * 2 + 3
    script, count = render_nat(RouterSpec("r1"), Names("os-host-x"))
    assert count == 0 and "{" not in script


def test_dnsmasq_files() -> None:
    spec = DhcpSpec("n1", PortSpec("d", "n1", "fa:16:3e:00:00:02",
                                   (FixedIp("s1", "10.0.0.2", "10.0.0.0/24"),)),
                    (DhcpSubnet("s1", "10.0.0.0/24", 4, (), "10.0.0.1", ("8.8.8.8",),
                                (("192.168.0.0/24", "10.0.0.9"),)),),
                    (DhcpHost("FA:16:3E:00:00:05", "10.0.0.5", "vm-1"),
                     DhcpHost("fa:16:3e:00:00:06", "10.0.0.6", "bad,name\nx")),
                    "example.org")
    files = render_files(spec, metadata=True)
    assert files["hosts"] == "fa:16:3e:00:00:05,10.0.0.5,vm-1\nfa:16:3e:00:00:06,10.0.0.6\n"
    assert "10.0.0.5\tvm-1.example.org\tvm-1" in files["names"]
    assert ("tag:s0,option:classless-static-route,192.168.0.0/24,10.0.0.9,"
            "169.254.169.254/32,10.0.0.2,0.0.0.0/0,10.0.0.1") in files["opts"]
    assert "tag:s0,option:dns-server,8.8.8.8" in files["opts"]


def test_specs_survive_json() -> None:
    assert decode(PortSpec, encode(PORT)) == PORT
    router = RouterSpec("r", gateway=RouterGateway("g", "n", "m", ("1.2.3.4/24",)))
    assert decode(RouterSpec, encode(router)) == router


def test_the_proxy_names_the_guest_and_drops_what_it_claims() -> None:
    head = (b"GET /latest/meta-data/ HTTP/1.1\r\nHost: 169.254.169.254\r\n"
            b"X-Forwarded-For: 1.2.3.4\r\nX-Onestack-Network-ID: other\r\n"
            b"X-Onestack-Metadata-Signature: forged\r\nAccept: */*")
    out = rewrite_head(head, "net-1", "10.0.0.5", "127.0.0.1:8080", "/metadata", "s3cret")
    text = out.decode()
    assert text.startswith("GET /metadata/latest/meta-data/ HTTP/1.1\r\n")
    assert "1.2.3.4" not in text and "other" not in text and "forged" not in text
    assert "X-Forwarded-For: 10.0.0.5\r\n" in text and "Accept: */*\r\n" in text
    assert f"X-Onestack-Metadata-Signature: {sign('s3cret', 'net-1', '10.0.0.5')}" in text
    with pytest.raises(ValueError):
        rewrite_head(b"GET http://evil/ HTTP/1.1", "n", "10.0.0.5", "h", "/m")


def test_a_bandwidth_limit_polices_what_the_port_sends() -> None:
    script, _ = firewall.render([], {"tapp1": (1000, 100)})
    assert ('iifname "tapp1" limit rate over 125000 bytes/second burst 12500 bytes drop'
            in script)
    assert "burst 100000 bytes" in firewall.limit_rule("t", 1000, None)


def test_the_agent_builds_the_linux_driver_from_settings() -> None:
    from onestack.core.config import Settings
    from onestack.network.agent.runner import make_driver
    from onestack.network.drivers.linux import LinuxNetworkDriver

    driver = make_driver("linux", "h1", Settings(
        dataplane_netns="os-host-x", network_physical_interfaces="public:eth1,physnet1:eth2",
        network_tunnel_ip="192.0.2.1", network_tunnel_dev="eth3",
        metadata_proxy_secret="s", port=8080))
    assert isinstance(driver, LinuxNetworkDriver)
    config = driver.config
    assert config.netns == "os-host-x" and config.tunnel_dev == "eth3"
    assert config.physical_interfaces == {"public": "eth1", "physnet1": "eth2"}
    assert config.tunnel_local_ip == "192.0.2.1" and config.metadata_secret == "s"
    assert config.metadata_upstream == "http://127.0.0.1:8080/metadata"

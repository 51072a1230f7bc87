"""Netlink sockets, taps and sysctls made inside a namespace by the calling thread
(``network/drivers/linux/inside.py``): each lands in the namespace named, the thread comes
back to its own, and nothing appears in the namespace the test runs in."""
from __future__ import annotations

import os
import subprocess
import threading

import pytest
from pyroute2 import IPRoute

from onestack.network.drivers.linux import inside, links


def own_namespace() -> str:
    return os.readlink("/proc/thread-self/ns/net")


def links_in(namespace: str) -> set[str]:
    out = subprocess.run(["ip", "-n", namespace, "-o", "link"], capture_output=True,
                         text=True, check=True).stdout
    return {line.split(": ")[1].split("@")[0] for line in out.splitlines()}


def root_links() -> set[str]:
    out = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True,
                         check=True).stdout
    return {line.split(": ")[1].split("@")[0] for line in out.splitlines()}


def test_a_tap_lands_in_the_namespace_named(host_netns: str) -> None:
    before, home = root_links(), own_namespace()
    links.Links(host_netns).ensure_tap("tapinside0")
    assert "tapinside0" in links_in(host_netns)
    assert "tapinside0" not in root_links() and root_links() == before
    assert own_namespace() == home
    assert links.Links(host_netns).get("tapinside0").kind == "tun"


def test_a_netlink_socket_sees_the_namespace_and_the_thread_comes_back(host_netns: str
                                                                        ) -> None:
    home = own_namespace()
    with IPRoute(fileno=inside.netlink_fd(host_netns)) as ipr:
        ipr.link("add", ifname="brinside0", kind="bridge")
        names = {link.get_attr("IFLA_IFNAME") for link in ipr.get_links()}
    assert names == {"lo", "brinside0"}
    assert "brinside0" not in root_links()
    assert own_namespace() == home


def test_a_sysctl_changes_only_the_namespace(host_netns: str) -> None:
    key = "net/ipv4/ip_forward"
    ours = open(f"/proc/sys/{key}").read()
    for value in ("1", "0", "1"):
        links.sysctl(host_netns, "net.ipv4.ip_forward", value)
        seen = subprocess.run(["ip", "netns", "exec", host_netns, "cat", f"/proc/sys/{key}"],
                              capture_output=True, text=True, check=True).stdout.strip()
        assert seen == value
    assert open(f"/proc/sys/{key}").read() == ours


def test_only_the_entering_thread_moves(host_netns: str) -> None:
    home, seen = own_namespace(), []
    inside_now, leave = threading.Event(), threading.Event()

    def visitor() -> None:
        with inside.entered(host_netns):
            seen.append(own_namespace())
            inside_now.set()
            leave.wait(10)
        seen.append(own_namespace())

    thread = threading.Thread(target=visitor)
    thread.start()
    assert inside_now.wait(10)
    assert own_namespace() == home  # this thread stayed where it was
    leave.set()
    thread.join(10)
    assert seen[0] != home  # inside, the visitor saw the namespace's own
    assert seen[1] == home  # and came back to the process's


def test_an_unknown_namespace_is_an_error_and_changes_nothing() -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root")
    home = own_namespace()
    with pytest.raises(inside.NamespaceError):
        inside.netlink_fd("os-no-such-namespace")
    assert own_namespace() == home

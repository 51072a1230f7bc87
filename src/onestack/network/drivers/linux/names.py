"""Device and namespace names of the Linux driver.

Interface names live inside the host namespace, so ids shortened to fit 15 characters
only need to be unique there. Namespace names are global to the kernel: several host
namespaces (test hosts, one per agent) share it, so each carries a short hash of the host
namespace it belongs to.
"""
from __future__ import annotations

import hashlib

from onestack.core.dataplane import IFNAMSIZ, tap_name

__all__ = ["ALIAS", "Names", "tap_name"]
# the start of the ifalias of every device the driver makes in the host namespace
# ("onestack-net <kind> <id>"): how a driver that lost its specs finds its leftovers
ALIAS = "onestack-net"


class Names:
    """Every name the driver gives, for one host namespace (``""``: the process's own)."""

    def __init__(self, host_netns: str):
        self.host_netns = host_netns
        self.tag = hashlib.sha256((host_netns or "/").encode()).hexdigest()[:6]

    # --- in the host namespace ------------------------------------------------------------
    @staticmethod
    def bridge(network_id: str) -> str:
        return _fit("brq" + network_id)

    @staticmethod
    def vxlan(vni: int) -> str:
        return _fit(f"vxlan-{vni}")

    @staticmethod
    def vlan(interface: str, vlan_id: int) -> str:
        suffix = f".{vlan_id}"
        return interface[:IFNAMSIZ - len(suffix)] + suffix

    @staticmethod
    def router_leg(port_id: str) -> str:
        """The host end of a router leg (on the network's bridge)."""
        return _fit("rl" + port_id)

    @staticmethod
    def dhcp_leg(network_id: str) -> str:
        return _fit("dh" + network_id)

    @staticmethod
    def external_leg(network_id: str) -> str:
        return _fit("xb" + network_id)

    # --- inside the namespaces the driver makes -----------------------------------------
    @staticmethod
    def router_interface(port_id: str) -> str:
        return _fit("qr-" + port_id)

    @staticmethod
    def router_gateway(port_id: str) -> str:
        return _fit("qg-" + port_id)

    @staticmethod
    def dhcp_interface(network_id: str) -> str:
        return _fit("ns-" + network_id)

    @staticmethod
    def external_interface(network_id: str) -> str:
        return _fit("ex-" + network_id)

    # --- namespaces -------------------------------------------------------------------------
    def router_ns(self, router_id: str) -> str:
        return f"qrouter-{self.tag}-{router_id}"

    def dhcp_ns(self, network_id: str) -> str:
        return f"qdhcp-{self.tag}-{network_id}"

    def external_ns(self) -> str:
        """Where the external networks' gateways live (and whatever talks to floating
        IPs: tests, Tempest)."""
        return f"qext-{self.tag}"

    def owns(self, namespace: str) -> bool:
        """Whether a namespace is one this host's driver made."""
        return namespace == self.external_ns() or any(
            namespace.startswith(f"{kind}-{self.tag}-") for kind in ("qrouter", "qdhcp"))


def _fit(name: str) -> str:
    return name[:IFNAMSIZ - 1]

"""The Linux dataplane: bridges, taps, VXLAN/VLAN uplinks, nftables port security,
router and DHCP namespaces, a metadata proxy per network (see ``driver.py``).

The driver is imported on first use: the metadata proxy runs as ``python -m`` of a module
of this package, one process per network, and needs none of the driver (pyroute2 alone
costs it seconds of start-up on a busy host and tens of MiB)."""
from __future__ import annotations

from typing import Any

__all__ = ["LinuxDriverConfig", "LinuxNetworkDriver"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from onestack.network.drivers.linux import driver

        return getattr(driver, name)
    raise AttributeError(name)

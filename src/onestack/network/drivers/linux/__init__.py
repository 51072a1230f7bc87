"""The Linux dataplane: bridges, taps, VXLAN/VLAN uplinks, nftables port security,
router and DHCP namespaces, a metadata proxy per network (see ``driver.py``)."""
from onestack.network.drivers.linux.driver import LinuxDriverConfig, LinuxNetworkDriver

__all__ = ["LinuxDriverConfig", "LinuxNetworkDriver"]

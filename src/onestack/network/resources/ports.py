"""ports (with the binding, allowed-address-pairs, extra-DHCP-options, port-security,
security-group and DNS extensions' attributes) and the network IP availability report.

``POLICY`` holds the port rules that are not "admin only" or "the project's member":
Neutron lets the owner of the *network* choose a port's MAC, fixed addresses, address
pairs, port security and a ``network:`` device owner (a member of another project on a
shared network may only ask for a subnet). The service checks them with a target that
carries ``network_project_id``.
"""
from __future__ import annotations

import ipaddress
from typing import Any

from onestack.network.attributes import (REQUIRED, Attr, Resource, dict_value, dns_domain, invalid,
                                         list_of, mac_address, one_of, project_attrs,
                                         standard_attrs, string, to_bool, uuid_or_none,
                                         uuid_str)

VNIC_TYPES = ("normal", "direct", "macvtap", "baremetal", "direct-physical",
              "virtio-forwarder", "smart-nic", "vdpa", "accelerator-direct",
              "accelerator-direct-physical", "remote-managed")


def fixed_ips(value: Any) -> list[dict[str, str]]:
    """``[{"subnet_id"?, "ip_address"?}]`` with canonical addresses."""
    if not isinstance(value, list):
        raise invalid(f"'{value}' is not a list")
    out = []
    for item in value:
        if not isinstance(item, dict) or not item or \
                set(item) - {"subnet_id", "ip_address"}:
            raise invalid(f"Invalid data format for fixed IP: '{item}'")
        entry: dict[str, str] = {}
        if "subnet_id" in item:
            entry["subnet_id"] = uuid_str(item["subnet_id"])
        if "ip_address" in item:
            try:
                entry["ip_address"] = str(ipaddress.ip_address(item["ip_address"]))
            except (TypeError, ValueError):
                raise invalid(f"'{item['ip_address']}' is not a valid IP address") from None
        out.append(entry)
    return out


def address_pairs(value: Any) -> list[dict[str, str]]:
    """``[{"ip_address": ip or CIDR, "mac_address"?}]``; the address is kept as given
    (Neutron shows a CIDR as the client sent it)."""
    if not isinstance(value, list):
        raise invalid(f"'{value}' is not a list")
    out, seen = [], set()
    for item in value:
        if not isinstance(item, dict) or "ip_address" not in item or \
                set(item) - {"ip_address", "mac_address"}:
            raise invalid("Allowed address pairs must be a list of dictionaries with an "
                          "ip_address")
        ip = item["ip_address"]
        try:
            if isinstance(ip, str) and "/" in ip:
                ipaddress.ip_network(ip, strict=False)
            else:
                ipaddress.ip_address(ip)
        except (TypeError, ValueError):
            raise invalid(f"'{ip}' is not a valid IP address") from None
        entry = {"ip_address": ip}
        if item.get("mac_address") is not None:
            entry["mac_address"] = mac_address(item["mac_address"])
        key = (entry["ip_address"], entry.get("mac_address"))
        if key in seen:
            raise invalid(f"Duplicate address pair {item}")
        seen.add(key)
        out.append(entry)
    return out


def dhcp_opts(value: Any) -> list[dict[str, Any]]:
    """``[{"opt_name", "opt_value", "ip_version"?}]``; a null value (on update) removes the
    option."""
    if not isinstance(value, list):
        raise invalid(f"'{value}' is not a list")
    out = []
    for item in value:
        if not isinstance(item, dict) or not isinstance(item.get("opt_name"), str) or \
                not item["opt_name"] or set(item) - {"opt_name", "opt_value", "ip_version"}:
            raise invalid(f"Invalid extra DHCP option: '{item}'")
        opt_value = item.get("opt_value")
        if opt_value is not None and (not isinstance(opt_value, str) or len(opt_value) > 255):
            raise invalid(f"'{opt_value}' is not a valid DHCP option value")
        version = item.get("ip_version", 4)
        if str(version) not in ("4", "6"):
            raise invalid(f"'{version}' is not a valid IP version")
        out.append({"opt_name": item["opt_name"], "opt_value": opt_value,
                    "ip_version": int(version)})
    return out


def mac_or_none(value: Any) -> str | None:
    """A MAC; null asks for a new random one (``port-mac-address-regenerate``)."""
    return None if value is None else mac_address(value)


def security_groups(value: Any) -> list[str] | None:
    if value is None:
        return None
    return list(dict.fromkeys(list_of(uuid_str)(value)))


def dns_name(value: Any) -> str:
    if value is None:
        return ""
    name = string(255)(value)
    if name:
        dns_domain(name.rstrip("."))
    return name


PORT = Resource("port", "ports", (
    *standard_attrs(),
    *project_attrs(),
    Attr("network_id", default=REQUIRED, convert=uuid_str),
    Attr("admin_state_up", default=True, put=True, convert=to_bool),
    Attr("mac_address", default=None, put=True, convert=mac_or_none, admin_put=True),
    Attr("fixed_ips", default=None, put=True, convert=fixed_ips, computed=True,
         sort=False),
    Attr("device_id", default="", put=True, convert=string(255)),
    Attr("device_owner", default="", put=True, convert=string(255)),
    Attr("status", post=False),
    Attr("allowed_address_pairs", default=[], put=True, convert=address_pairs,
         computed=True, filter=False, sort=False),
    Attr("extra_dhcp_opts", default=[], put=True, convert=dhcp_opts, computed=True,
         filter=False, sort=False),
    Attr("port_security_enabled", default=None, put=True, convert=to_bool),
    Attr("security_groups", default=None, put=True, convert=security_groups,
         computed=True, sort=False),
    Attr("dns_name", default="", put=True, convert=dns_name),
    Attr("dns_domain", default="", put=True, convert=dns_domain),
    Attr("dns_assignment", computed=True, post=False, filter=False, sort=False),
    Attr("ip_allocation", computed=True, post=False, filter=False, sort=False),
    Attr("propagate_uplink_status", default=False, put=True, convert=to_bool),
    Attr("qos_policy_id", default=None, put=True, convert=uuid_or_none),
    Attr("qos_network_policy_id", computed=True, post=False, filter=False, sort=False),
    Attr("trunk_details", computed=True, post=False, filter=False, sort=False),
    Attr("binding:host_id", default="", put=True, convert=string(255), admin_post=True,
         admin_put=True, admin_get=True),
    Attr("binding:vnic_type", default="normal", put=True, convert=one_of(*VNIC_TYPES)),
    Attr("binding:profile", default={}, put=True, convert=dict_value, admin_post=True,
         admin_put=True, admin_get=True, filter=False, sort=False),
    Attr("binding:vif_type", post=False, admin_get=True),
    Attr("binding:vif_details", post=False, admin_get=True, filter=False, sort=False),
))

NETWORK_IP_AVAILABILITY = Resource(
    "network_ip_availability", "network_ip_availabilities", (
        Attr("network_id", post=False),
        Attr("network_name", post=False),
        *project_attrs(),
        Attr("total_ips", post=False, filter=False),
        Attr("used_ips", post=False, filter=False),
        Attr("subnet_ip_availability", post=False, filter=False, sort=False),
        Attr("ip_version", post=False, visible=False),
    ), standard=False, taggable=False, label="Network")

ADMIN = "role:admin"
NETWORK_OWNER = f"{ADMIN} or (role:member and project_id:%(target.network_project_id)s)"
POLICY: list[tuple[str, str]] = [
    *((f"{action}_port:{name}", NETWORK_OWNER)
      for action in ("create", "update")
      for name in ("device_owner", "fixed_ips:ip_address", "fixed_ips:subnet_id",
                   "port_security_enabled", "allowed_address_pairs")),
    ("create_port:mac_address", NETWORK_OWNER),
    ("get_network_ip_availability", ADMIN),
]

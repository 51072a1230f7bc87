"""Nova's network proxies, ``os-networks`` and ``os-tenant-networks`` (both gone from 2.36).

Nova answers them from the network service (Neutron): the networks the project can see
(``label`` is the network's name; nova-network's other fields are null). Without a network
service a project sees no networks: lists are empty and any single network is a 404.
Creating, deleting and (dis)associating networks belonged to nova-network, which Nova
removed: those calls are 410 Gone, as in Nova.
"""
from __future__ import annotations

from typing import Any

from onestack.compute.api import microversion
from onestack.compute.api.common import Compute
from onestack.compute.service import network_proxy
from onestack.core.errors import Gone, NotFound
from onestack.core.http import Call, Reply, RouteTable

READER = "role:reader or role:admin"
RULES = [
    ("os_compute_api:os-networks:list", READER),
    ("os_compute_api:os-networks:view", READER),
    ("os_compute_api:os-tenant-networks:list", READER),
    ("os_compute_api:os-tenant-networks:show", READER),
    ("os_compute_api:os-networks:admin", "role:admin"),  # sees nova-network's admin fields
]
GONE_AT = (2, 36)
BASIC_FIELDS = ("netmask", "gateway", "broadcast", "dns1", "dns2", "cidr_v6", "gateway_v6",
                "netmask_v6")
ADMIN_FIELDS = ("created_at", "updated_at", "deleted_at", "deleted", "injected", "bridge",
                "vlan", "vpn_public_address", "vpn_public_port", "vpn_private_address",
                "dhcp_start", "project_id", "host", "bridge_interface", "multi_host",
                "priority", "rxtx_base", "mtu", "dhcp_server", "enable_dhcp",
                "share_address")


def project_networks(compute: Compute, call: Call) -> list[dict[str, Any]]:
    """The networks the caller can see, as ``{"id", "label", "cidr"}``."""
    from onestack.compute.api.servers import deps

    return network_proxy.networks(deps(compute), call.ctx)


def full_view(net: dict[str, Any], admin: bool) -> dict[str, Any]:
    """``os-networks`` shows nova-network's fields (more of them to an admin); what the
    network service does not know is null."""
    names = BASIC_FIELDS + (ADMIN_FIELDS if admin else ())
    out: dict[str, Any] = {name: net.get(name) for name in names}
    out.update({"id": net["id"], "label": net["label"], "cidr": net.get("cidr")})
    return out


def tenant_view(net: dict[str, Any], admin: bool) -> dict[str, Any]:
    return {"id": net["id"], "label": net["label"], "cidr": net.get("cidr")}


def routes(compute: Compute) -> RouteTable:
    r = RouteTable()

    def negotiate(call: Call) -> None:
        v = compute.version(call)
        if v >= GONE_AT:
            raise NotFound(f"API version {microversion.fmt(v)} is not supported on this "
                           "method.")

    def gone(call: Call) -> Reply:
        negotiate(call)
        raise Gone("This API was provided by nova-network, which has been removed.")

    def find(call: Call, network_id: str) -> dict[str, Any]:
        for net in project_networks(compute, call):
            if net["id"] == network_id:
                return net
        raise NotFound("Network not found")

    for kind, view in (("os-networks", full_view), ("os-tenant-networks", tenant_view)):
        base = f"/v2.1/{kind}"
        show_rule = "view" if kind == "os-networks" else "show"

        def index(call: Call, kind: str = kind, view: Any = view) -> Reply:
            negotiate(call)
            compute.enforce(call, f"os_compute_api:{kind}:list")
            nets = project_networks(compute, call)
            admin = compute.allowed(call, "os_compute_api:os-networks:admin")
            return compute.reply(call, 200, {"networks": [view(n, admin) for n in nets]})

        def show(call: Call, kind: str = kind, view: Any = view,
                 rule: str = show_rule) -> Reply:
            negotiate(call)
            compute.enforce(call, f"os_compute_api:{kind}:{rule}")
            net = find(call, call.params["network_id"])
            admin = compute.allowed(call, "os_compute_api:os-networks:admin")
            return compute.reply(call, 200, {"network": view(net, admin)})

        r.add("GET", base, index)
        r.add("GET", base + "/{network_id}", show)
        r.add("POST", base, gone)
        r.add("DELETE", base + "/{network_id}", gone)
    r.add("POST", "/v2.1/os-networks/add", gone)
    r.add("POST", "/v2.1/os-networks/{network_id}/action", gone)
    return r

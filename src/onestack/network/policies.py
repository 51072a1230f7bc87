"""Default Networking policy rules, Neutron's names and secure-RBAC personas: an admin
administers everything; a project member creates, changes and deletes its project's
resources; any reader reads what it can see. Every resource listed in
``resources.MODULES`` gets its create/get/update/delete rules, plus an admin-only rule per
attribute its definition marks ``admin_post``/``admin_put``/``admin_get``
(``create_network:shared``). Who may *see* a resource (own, shared, external) is decided
by the service first: one the caller cannot see is a 404, never a 403.
An operator's policy file overrides any rule by name.
"""
from __future__ import annotations

import importlib

from onestack.network.resources import MODULES
from onestack.network.resources.ports import POLICY as PORT_POLICY

ADMIN = "role:admin"
MEMBER = f"{ADMIN} or (role:member and project_id:%(target.project_id)s)"
READER = f"{ADMIN} or role:reader"


def _resources():
    from onestack.network.attributes import Resource

    for name in MODULES:
        module = importlib.import_module(name)
        for value in vars(module).values():
            if isinstance(value, Resource):
                yield value


def _rules() -> list[tuple[str, str]]:
    rules: list[tuple[str, str]] = [("context_is_admin", ADMIN)]
    overrides = dict(EXTRA)
    for r in _resources():
        for action, check in (("create", MEMBER), ("get", READER), ("update", MEMBER),
                              ("delete", MEMBER)):
            name = f"{action}_{r.name}"
            rules.append((name, overrides.pop(name, check)))
        for a in r.attrs:
            for action, flag in (("create", a.admin_post), ("update", a.admin_put),
                                 ("get", a.admin_get)):
                if flag:
                    name = f"{action}_{r.name}:{a.name}"
                    rules.append((name, overrides.pop(name, ADMIN)))
    rules.extend(overrides.items())
    return rules


# Rules that differ from the defaults above, or that no resource attribute implies
# (actions such as add_router_interface). Each area adds its lines here.
EXTRA: list[tuple[str, str]] = [
    ("add_subports", MEMBER), ("remove_subports", MEMBER), ("get_subports", READER),
    *((f"{a}_policy", ADMIN) for a in ("create", "update", "delete")),
    *((f"{a}_policy_{r}_rule", ADMIN) for a in ("create", "update", "delete")
      for r in ("bandwidth_limit", "dscp_marking", "minimum_bandwidth")),
    *((f"get_policy_{r}_rule", READER)
      for r in ("bandwidth_limit", "dscp_marking", "minimum_bandwidth")),
    ("get_rule_type", READER),
    *PORT_POLICY,  # ports: what the network owner may choose (resources.ports)
    ("get_quota", f"{ADMIN} or (role:reader and project_id:%(target.project_id)s)"),
    ("update_quota", ADMIN), ("delete_quota", ADMIN), ("create_quota", ADMIN),
    *((f"{a}_agent", ADMIN) for a in ("create", "get", "update", "delete")),
    *((rule, ADMIN) for rule in ("get_dhcp-networks", "create_dhcp-network",
                                 "delete_dhcp-network", "get_dhcp-agents", "get_l3-routers",
                                 "create_l3-router", "delete_l3-router", "get_l3-agents")),
    *((f"{a}_segment", ADMIN) for a in ("create", "get", "update", "delete")),
    ("add_addresses", MEMBER), ("remove_addresses", MEMBER),
    ("add_prefixes", MEMBER), ("remove_prefixes", MEMBER),  # subnet pools
    ("onboard_network_subnets", MEMBER),
    # routers, floating IPs, metering (the L3 area)
    *((f"{a}:external_gateway_info:{k}", ADMIN) for a in ("create_router", "update_router")
      for k in ("enable_snat", "external_fixed_ips")),
    *((rule, MEMBER) for rule in ("add_router_interface", "remove_router_interface",
                                  "add_extraroutes", "remove_extraroutes",
                                  "get_auto_allocated_topology",
                                  "delete_auto_allocated_topology")),
    *((f"{a}_floatingip_port_forwarding", MEMBER) for a in ("create", "update", "delete")),
    ("get_floatingip_port_forwarding", READER),
    *((f"{a}_{r}", ADMIN) for a in ("create", "get", "update", "delete")
      for r in ("metering_label", "metering_label_rule")),
    ("get_service_provider", READER),
    ("get_floatingip_pool", READER),
]

RULES: list[tuple[str, str]] = _rules()

"""The Networking part of the RBAC matrix: what each persona may do on every route under
``/network``, from Neutron's secure-RBAC defaults, and the fresh resources of project A and
request bodies the routes need.

Each collection has one line (list, create, show, update, delete, tags); the expansion is
mechanical, so a route the collection gains without a line here still fails the suite.
Neutron answers a refused read of a resource, and any call on a resource the caller may
not see, with 404 rather than 403: for network routes a refusal may be either. Lists of
admin-only resources (agents, metering, IP availability) are not refused: Neutron drops the
items a caller may not read and answers an empty list.
"""
from __future__ import annotations

import itertools
from typing import Any

from tests.functional.rbac.world import World, call, new_uuid
from tests.support.identity import unique

V2 = "/network/v2.0"
# collection path: list, create, show, update, delete classes ("-": no such route), tags
COLLECTIONS = """
networks ANY CREATE READ WRITE WRITE tags
subnets ANY CREATE READ WRITE WRITE tags
subnetpools ANY CREATE READ WRITE WRITE tags
address-scopes ANY CREATE READ WRITE WRITE tags
ports ANY CREATE READ WRITE WRITE tags
security-groups ANY CREATE READ WRITE WRITE tags
security-group-rules ANY CREATE READ - WRITE -
address-groups ANY CREATE READ WRITE WRITE -
routers ANY CREATE READ WRITE WRITE tags
floatingips ANY CREATE READ WRITE WRITE tags
segments ANY ADMIN ADMIN ADMIN ADMIN tags
rbac-policies ANY CREATE READ WRITE WRITE -
qos/policies ANY ADMIN READ ADMIN ADMIN tags
trunks ANY CREATE READ WRITE WRITE tags
metering/metering-labels ANY ADMIN ADMIN - ADMIN -
metering/metering-label-rules ANY ADMIN ADMIN - ADMIN -
agents ANY - ADMIN ADMIN ADMIN -
network-ip-availabilities ANY - ADMIN - - -
"""

ROUTES = """
PUBLIC GET /network
PUBLIC GET /network/
ANY GET /network/v2.0
ANY GET /network/v2.0/
ANY GET /network/v2.0/extensions
ANY GET /network/v2.0/extensions/{alias}
ANY GET /network/v2.0/availability_zones
ANY GET /network/v2.0/service-providers
ANY GET /network/v2.0/floatingip_pools
ANY GET /network/v2.0/qos/rule-types
ANY GET /network/v2.0/qos/rule-types/{type}
WRITE PUT /network/v2.0/subnetpools/{id}/add_prefixes
WRITE PUT /network/v2.0/subnetpools/{id}/remove_prefixes
WRITE PUT /network/v2.0/subnetpools/{id}/onboard_network_subnets
WRITE PUT /network/v2.0/address-groups/{id}/add_addresses
WRITE PUT /network/v2.0/address-groups/{id}/remove_addresses
WRITE PUT /network/v2.0/routers/{id}/add_router_interface
WRITE PUT /network/v2.0/routers/{id}/remove_router_interface
WRITE PUT /network/v2.0/routers/{id}/add_extraroutes
WRITE PUT /network/v2.0/routers/{id}/remove_extraroutes
WRITE PUT /network/v2.0/trunks/{id}/add_subports
WRITE PUT /network/v2.0/trunks/{id}/remove_subports
READ GET /network/v2.0/trunks/{id}/get_subports
READ GET /network/v2.0/floatingips/{id}/port_forwardings
WRITE POST /network/v2.0/floatingips/{id}/port_forwardings
READ GET /network/v2.0/floatingips/{id}/port_forwardings/{pf_id}
WRITE PUT /network/v2.0/floatingips/{id}/port_forwardings/{pf_id}
WRITE DELETE /network/v2.0/floatingips/{id}/port_forwardings/{pf_id}
ADMIN GET /network/v2.0/quotas
READ GET /network/v2.0/quotas/{project_id}
READ GET /network/v2.0/quotas/{project_id}/default
READ GET /network/v2.0/quotas/{project_id}/details
ADMIN PUT /network/v2.0/quotas/{project_id}
ADMIN DELETE /network/v2.0/quotas/{project_id}
WRITE GET /network/v2.0/auto-allocated-topology/{project_id}
WRITE DELETE /network/v2.0/auto-allocated-topology/{project_id}
ADMIN GET /network/v2.0/agents/{id}/dhcp-networks
ADMIN POST /network/v2.0/agents/{id}/dhcp-networks
ADMIN DELETE /network/v2.0/agents/{id}/dhcp-networks/{network_id}
ADMIN GET /network/v2.0/networks/{id}/dhcp-agents
ADMIN GET /network/v2.0/agents/{id}/l3-routers
ADMIN POST /network/v2.0/agents/{id}/l3-routers
ADMIN DELETE /network/v2.0/agents/{id}/l3-routers/{router_id}
ADMIN GET /network/v2.0/routers/{id}/l3-agents
"""
QOS_RULES = ("bandwidth_limit", "dscp_marking", "minimum_bandwidth")


def lines() -> str:
    """The network block of the expectation table, one ``CLASS METHOD PATH`` per line."""
    out = ROUTES.strip().splitlines()
    for row in COLLECTIONS.strip().splitlines():
        path, listing, create, show, update, delete, tags = row.split()
        base = f"{V2}/{path}"
        for kind, method, target in ((listing, "GET", base), (create, "POST", base),
                                     (show, "GET", base + "/{id}"),
                                     (update, "PUT", base + "/{id}"),
                                     (delete, "DELETE", base + "/{id}")):
            if kind != "-":
                out.append(f"{kind} {method} {target}")
        if tags == "tags":
            write = "ADMIN" if update == "ADMIN" else "WRITE"
            out += [f"{show} GET {base}/{{id}}/tags", f"{write} PUT {base}/{{id}}/tags",
                    f"{write} DELETE {base}/{{id}}/tags", f"{show} GET {base}/{{id}}/tags/{{tag}}",
                    f"{write} PUT {base}/{{id}}/tags/{{tag}}",
                    f"{write} DELETE {base}/{{id}}/tags/{{tag}}"]
    for rule in QOS_RULES:
        base = f"{V2}/qos/policies/{{policy_id}}/{rule}_rules"
        out += [f"READ GET {base}", f"ADMIN POST {base}", f"READ GET {base}/{{rule_id}}",
                f"ADMIN PUT {base}/{{rule_id}}", f"ADMIN DELETE {base}/{{rule_id}}",
                f"READ GET {V2}/qos/alias_{rule}_rules/{{rule_id}}",
                f"ADMIN PUT {V2}/qos/alias_{rule}_rules/{{rule_id}}",
                f"ADMIN DELETE {V2}/qos/alias_{rule}_rules/{{rule_id}}"]
    return "\n".join(out)


# --- fresh resources of project A ----------------------------------------------------------
_CIDRS = itertools.count(1)


def _cidr() -> str:
    n = next(_CIDRS)
    return f"10.{100 + n // 250}.{n % 250}.0/24"


class NetworkWorld:
    """Makes network resources of project A: as its member, or (admin-only kinds) as the
    admin on A's behalf. One per matrix module, created lazily."""

    def __init__(self, w: World):
        self.w = w
        self.a = w.project_a["id"]
        self._public: str | None = None
        r = call(w.api, "PUT", f"{V2}/quotas/{self.a}", w.cloud.admin_token,
                 {"quota": {k: -1 for k in ("network", "subnet", "port", "router",
                                            "floatingip", "security_group",
                                            "security_group_rule", "rbac_policy")}})
        assert r.status_code == 200, r.text

    def _post(self, path: str, key: str, attrs: dict[str, Any], admin: bool = False) -> dict:
        token = self.w.cloud.admin_token if admin else self.w.member.token
        r = call(self.w.api, "POST", f"{V2}/{path}", token, {key: attrs})
        assert r.status_code == 201, f"{path}: {r.status_code} {r.text[:300]}"
        return r.json()[key]

    def public(self) -> str:
        """One external network with a subnet (floating IPs and router gateways)."""
        if self._public is None:
            net = self._post("networks", "network", {"name": unique("ext"),
                                                     "router:external": True}, admin=True)
            self._post("subnets", "subnet", {"network_id": net["id"], "ip_version": 4,
                                             "cidr": "198.18.0.0/16"}, admin=True)
            self._public = net["id"]
        return self._public

    def network(self) -> str:
        return self._post("networks", "network", {"name": unique("n")})["id"]

    def subnet(self, network: str | None = None) -> str:
        return self._post("subnets", "subnet", {"network_id": network or self.network(),
                                                "ip_version": 4, "cidr": _cidr()})["id"]

    def port(self, network: str | None = None) -> str:
        network = network or self.network()
        self.subnet(network)
        return self._post("ports", "port", {"network_id": network})["id"]

    def router(self) -> str:
        return self._post("routers", "router", {"name": unique("r")})["id"]

    def floatingip(self) -> str:
        return self._post("floatingips", "floatingip",
                          {"floating_network_id": self.public()})["id"]

    def port_forwarding(self, fip: str) -> str:
        return self._post(f"floatingips/{fip}/port_forwardings", "port_forwarding",
                          self.forwarding_attrs())["id"]

    def forwarding_attrs(self) -> dict[str, Any]:
        """A port behind a router with its gateway on the public network."""
        network = self.network()
        subnet = self.subnet(network)
        router = self.router()
        token = self.w.member.token
        for path, body in ((f"routers/{router}", {"router": {"external_gateway_info": {
                "network_id": self.public()}}}),
                           (f"routers/{router}/add_router_interface", {"subnet_id": subnet})):
            r = call(self.w.api, "PUT", f"{V2}/{path}", token, body)
            assert r.status_code == 200, r.text
        port = self._post("ports", "port", {"network_id": network})
        return {"protocol": "tcp", "internal_port_id": port["id"], "internal_port": 22,
                "external_port": 2222,
                "internal_ip_address": port["fixed_ips"][0]["ip_address"]}

    def make(self, collection: str) -> str:
        simple = {
            "subnetpools": ("subnetpool", lambda: {"name": unique("sp"), "prefixes": [
                f"10.{200 + next(_CIDRS) % 50}.0.0/16"], "default_prefixlen": 24}),
            "address-scopes": ("address_scope", lambda: {"name": unique("as"),
                                                         "ip_version": 4}),
            "security-groups": ("security_group", lambda: {"name": unique("sg")}),
            "address-groups": ("address_group", lambda: {"name": unique("ag"),
                                                         "addresses": ["10.9.9.9/32"]}),
            "rbac-policies": ("rbac_policy", lambda: {
                "object_type": "network", "object_id": self.network(),
                "action": "access_as_shared", "target_tenant": self.w.project_b["id"]}),
            "trunks": ("trunk", lambda: {"port_id": self.port()}),
        }
        admin_made = {
            "segments": ("segment", lambda: {"network_id": self.network(),
                                             "network_type": "vxlan"}),
            "qos/policies": ("policy", lambda: {"name": unique("qos"), "project_id": self.a}),
            "metering/metering-labels": ("metering_label", lambda: {
                "name": unique("ml"), "project_id": self.a}),
        }
        if collection in simple:
            key, attrs = simple[collection]
            return self._post(collection, key, attrs())["id"]
        if collection in admin_made:
            key, attrs = admin_made[collection]
            return self._post(collection, key, attrs(), admin=True)["id"]
        return {
            "networks": self.network, "subnets": self.subnet, "ports": self.port,
            "routers": self.router, "floatingips": self.floatingip,
            "security-group-rules": self.rule,
            "metering/metering-label-rules": self.metering_rule,
            "agents": self.agent, "network-ip-availabilities": self.network,
        }[collection]()

    def rule(self) -> str:
        group = self.make("security-groups")
        return self._post("security-group-rules", "security_group_rule", {
            "security_group_id": group, "direction": "ingress", "protocol": "tcp",
            "port_range_min": 22, "port_range_max": 22})["id"]

    def metering_rule(self) -> str:
        label = self.make("metering/metering-labels")
        return self._post("metering/metering-label-rules", "metering_label_rule", {
            "metering_label_id": label, "direction": "ingress",
            "remote_ip_prefix": "10.0.0.0/24"}, admin=True)["id"]

    def qos_rule(self, policy: str, rule: str) -> str:
        body = {"bandwidth_limit": {"max_kbps": 1000}, "dscp_marking": {"dscp_mark": 10},
                "minimum_bandwidth": {"min_kbps": 100}}[rule]
        return self._post(f"qos/policies/{policy}/{rule}_rules", f"{rule}_rule", body,
                          admin=True)["id"]

    def agent(self) -> str:
        """An agent row, as a network agent registers one (no API makes agents)."""
        r = call(self.w.api, "GET", f"{V2}/agents", self.w.cloud.admin_token)
        agents = r.json()["agents"]
        assert agents, "the matrix needs a registered network agent"
        return agents[0]["id"]


def collection_of(path: str) -> str:
    rest = path[len(V2) + 1:]
    for row in COLLECTIONS.strip().splitlines():
        name = row.split()[0]
        if rest == name or rest.startswith(name + "/"):
            return name
    return rest.split("/")[0]


def value(nw: NetworkWorld, method: str, path: str, name: str, done: dict[str, str]) -> str:
    if name == "id":
        if "/qos/alias_" in path:
            raise KeyError(name)
        coll = collection_of(path)
        if path.endswith("/tags/{tag}") and method in ("GET", "DELETE"):
            ident = nw.make(coll)
            r = call(nw.w.api, "PUT", f"{V2}/{coll}/{ident}/tags/t1", nw.w.cloud.admin_token)
            assert r.status_code == 201, r.text
            return ident
        return nw.make(coll)
    if name == "rule_id":
        rule = next(r for r in QOS_RULES if f"/{r}_rules" in path or f"alias_{r}_" in path)
        policy = done.get("policy_id") or nw.make("qos/policies")
        return nw.qos_rule(policy, rule)
    if name == "pf_id":
        return nw.port_forwarding(done["id"])
    if name == "network_id":
        return nw.network()
    if name == "router_id":
        return nw.router()
    if name == "policy_id":
        return nw.make("qos/policies")
    if name == "project_id":
        if "/quotas/" in path and method in ("PUT", "DELETE"):
            return nw.w.cloud.make_project()["id"]  # A keeps its unlimited quotas
        return nw.a
    return {"tag": "t1", "alias": "external-net", "type": "bandwidth_limit"}[name]


def body(nw: NetworkWorld, method: str, path: str, values: dict[str, str]) -> Any:
    """A body the admin's call would accept, so that a refusal is the policy's."""
    coll = collection_of(path)
    if path.endswith("/tags"):
        return {"tags": ["a", "b"]}
    if "/tags/" in path:
        return None
    if path.endswith("/add_prefixes") or path.endswith("/remove_prefixes"):
        return {"prefixes": ["10.250.0.0/24"]}
    if path.endswith("/onboard_network_subnets"):
        return {"network_id": nw.network()}
    if path.endswith("_addresses"):
        return {"addresses": ["10.9.9.9/32"]}
    if path.endswith("_router_interface"):
        return {"subnet_id": nw.subnet()}
    if path.endswith("_extraroutes"):
        return {"router": {"routes": []}}
    if path.endswith("_subports"):
        return {"sub_ports": []}
    if path.endswith("/port_forwardings") and method == "POST":
        return {"port_forwarding": nw.forwarding_attrs()}
    if "{pf_id}" in path:
        return {"port_forwarding": {"external_port": 2223}} if method == "PUT" else None
    if path.endswith("/dhcp-networks"):
        return {"network_id": nw.network()}
    if path.endswith("/l3-routers"):
        return {"router_id": nw.router()}
    if "/quotas/" in path:
        return {"quota": {"network": 50}}
    if "{rule_id}" in path or path.endswith("_rules"):
        rule = next(r for r in QOS_RULES if r in path)
        attrs = {"bandwidth_limit": {"max_kbps": 2000}, "dscp_marking": {"dscp_mark": 12},
                 "minimum_bandwidth": {"min_kbps": 200}}[rule]
        return {f"{rule}_rule": attrs}
    if method == "PUT":
        if coll == "rbac-policies":
            return {"rbac_policy": {"target_tenant": nw.w.project_b["id"]}}
        return {_MEMBER[coll]: {"description": "changed"}}
    if method == "POST":
        return _create_body(nw, coll)
    return None


_MEMBER = {
    "networks": "network", "subnets": "subnet", "subnetpools": "subnetpool",
    "address-scopes": "address_scope", "ports": "port", "security-groups": "security_group",
    "address-groups": "address_group", "routers": "router", "floatingips": "floatingip",
    "segments": "segment", "rbac-policies": "rbac_policy", "qos/policies": "policy",
    "trunks": "trunk", "agents": "agent",
}


def _create_body(nw: NetworkWorld, coll: str) -> dict:
    n = next(_CIDRS)
    return {
        "networks": {"network": {"name": unique("n")}},
        "subnets": {"subnet": {"network_id": nw.network(), "ip_version": 4, "cidr": _cidr()}},
        "subnetpools": {"subnetpool": {"name": unique("sp"), "default_prefixlen": 24,
                                       "prefixes": [f"10.{200 + n % 50}.{n % 200}.0/24"]}},
        "address-scopes": {"address_scope": {"name": unique("as"), "ip_version": 4}},
        "ports": {"port": {"network_id": nw.network()}},
        "security-groups": {"security_group": {"name": unique("sg")}},
        "security-group-rules": {"security_group_rule": {
            "security_group_id": nw.make("security-groups"), "direction": "ingress",
            "protocol": "udp", "port_range_min": 53, "port_range_max": 53}},
        "address-groups": {"address_group": {"name": unique("ag")}},
        "routers": {"router": {"name": unique("r")}},
        "floatingips": {"floatingip": {"floating_network_id": nw.public()}},
        "segments": {"segment": {"network_id": nw.network(), "network_type": "vxlan"}},
        "rbac-policies": {"rbac_policy": {
            "object_type": "network", "object_id": nw.network(), "action": "access_as_shared",
            "target_tenant": new_uuid().replace("-", "")}},
        "qos/policies": {"policy": {"name": unique("qos")}},
        "trunks": {"trunk": {"port_id": nw.port()}},
        "metering/metering-labels": {"metering_label": {"name": unique("ml")}},
        "metering/metering-label-rules": {"metering_label_rule": {
            "metering_label_id": nw.make("metering/metering-labels"), "direction": "egress",
            "remote_ip_prefix": "10.1.0.0/24"}},
    }[coll]

"""Nova's network proxies (``os-networks``, ``os-tenant-networks``, ``os-security-groups``,
``os-security-group-rules``, ``os-floating-ips``, ``os-floating-ip-pools``, a server's
``os-security-groups`` and the ``addFloatingIp``/``removeFloatingIp`` actions), answered
from the network service's own use cases as the caller — what Nova asks Neutron with the
caller's token — and translated into nova-network's shapes and status codes."""
from __future__ import annotations

import ipaddress
import uuid
from typing import Any

from onestack.compute import models as cm
from onestack.compute.service import networking
from onestack.compute.service.servers import Deps, check_lock, visible_instance
from onestack.core.context import RequestContext
from onestack.core.errors import BadRequest, Conflict, NotFound, OpenStackError

ICMP = ("icmp", "1", "ipv6-icmp", "icmpv6", "58")


def _seam(deps: Deps) -> Any:
    if deps.network is None:
        raise NotFound("The network service is not available.")
    return deps.network


# --- networks ---------------------------------------------------------------------------
def networks(deps: Deps, ctx: RequestContext) -> list[dict[str, Any]]:
    """The networks the caller sees as ``{"id", "label", "cidr"}`` (nothing without a
    network service)."""
    if deps.network is None:
        return []
    return [{"id": n.id, "label": n.name, "cidr": None}
            for n in deps.db.read(lambda s: deps.network.visible_networks(s, ctx))]


# --- security groups ----------------------------------------------------------------------
def _rule_view(rule: dict[str, Any], groups: dict[str, dict[str, Any]]) -> dict[str, Any]:
    protocol = rule.get("protocol")
    low, high = rule.get("port_range_min"), rule.get("port_range_max")
    if protocol and low is None and high is None:
        low, high = (1, 65535) if protocol.lower() in ("tcp", "udp") else (-1, -1)
    out: dict[str, Any] = {"id": rule["id"], "parent_group_id": rule["security_group_id"],
                           "ip_protocol": protocol, "from_port": low, "to_port": high,
                           "group": {}, "ip_range": {}}
    remote = rule.get("remote_group_id")
    if remote:
        g = groups.get(remote) or {}
        out["group"] = {"name": g.get("name"), "tenant_id": g.get("project_id")}
    elif rule.get("remote_ip_prefix"):
        out["ip_range"] = {"cidr": rule["remote_ip_prefix"]}
    return out


def _group_view(group: dict[str, Any], groups: dict[str, dict[str, Any]]
                ) -> dict[str, Any]:
    rules = [_rule_view(r, groups) for r in group.get("security_group_rules") or []
             if r.get("direction") == "ingress"]
    return {"id": group["id"], "name": group["name"], "description": group["description"],
            "tenant_id": group.get("project_id") or group.get("tenant_id"), "rules": rules}


def _views(deps: Deps, ctx: RequestContext, docs: list[dict[str, Any]]
           ) -> list[dict[str, Any]]:
    known = {d["id"]: d for d in docs}
    remote = {r["remote_group_id"] for d in docs for r in d.get("security_group_rules") or []
              if r.get("remote_group_id") and r["remote_group_id"] not in known}
    if remote:
        for d in _seam(deps).list_docs(ctx, "security_groups", {"id": sorted(remote)}):
            known[d["id"]] = d
    return [_group_view(d, known) for d in docs]


def check_id(group_id: str) -> str:
    """Neutron's groups are named by UUID: anything else is Nova's 400."""
    try:
        return str(uuid.UUID(str(group_id)))
    except ValueError as exc:
        raise BadRequest("Security group id should be uuid") from exc


def _nova_status(exc: OpenStackError) -> OpenStackError:
    """Neutron's 409s (in use, default group) are Nova's 400s."""
    if isinstance(exc, Conflict):
        return BadRequest(str(exc))
    return exc


def list_groups(deps: Deps, ctx: RequestContext, all_projects: bool = False
                ) -> list[dict[str, Any]]:
    filters = {} if all_projects else {"project_id": [ctx.project_id]}
    return _views(deps, ctx, _seam(deps).list_docs(ctx, "security_groups", filters))


def show_group(deps: Deps, ctx: RequestContext, group_id: str) -> dict[str, Any]:
    group_id = check_id(group_id)
    try:
        doc = _seam(deps).show_doc(ctx, "security_groups", group_id)
    except NotFound as exc:
        raise NotFound(f"Security group {group_id} not found.") from exc
    return _views(deps, ctx, [doc])[0]


def _check_group_body(body: Any) -> dict[str, str]:
    if not isinstance(body, dict) or not isinstance(body.get("security_group"), dict):
        raise BadRequest("security_group not specified")
    group = body["security_group"]
    out = {}
    for key in ("name", "description"):
        value = group.get(key)
        if value is None:
            raise BadRequest(f"Security group {key} is not a string or unicode")
        if not isinstance(value, str):
            raise BadRequest(f"Security group {key} is not a string or unicode")
        if key == "name" and not value.strip():
            raise BadRequest("Security group name cannot be empty")
        if len(value) > 255:
            raise BadRequest(f"Security group {key} should not be greater than 255 "
                             "characters.")
        out[key] = value
    return out


def create_group(deps: Deps, ctx: RequestContext, body: Any) -> dict[str, Any]:
    item = _check_group_body(body)
    try:
        doc = _seam(deps).create_doc(ctx, "security_groups", item)
    except OpenStackError as exc:
        raise _nova_status(exc) from exc
    return _views(deps, ctx, [doc])[0]


def update_group(deps: Deps, ctx: RequestContext, group_id: str, body: Any
                 ) -> dict[str, Any]:
    item = _check_group_body(body)
    group_id = check_id(group_id)
    try:
        doc = _seam(deps).update_doc(ctx, "security_groups", group_id, item)
    except NotFound as exc:
        raise NotFound(f"Security group {group_id} not found.") from exc
    except OpenStackError as exc:
        raise _nova_status(exc) from exc
    return _views(deps, ctx, [doc])[0]


def delete_group(deps: Deps, ctx: RequestContext, group_id: str) -> None:
    group_id = check_id(group_id)
    try:
        _seam(deps).delete_doc(ctx, "security_groups", group_id)
    except NotFound as exc:
        raise NotFound(f"Security group {group_id} not found.") from exc
    except OpenStackError as exc:
        raise _nova_status(exc) from exc


def _port(value: Any, name: str) -> int | None:
    if value is None or value == "":
        return None
    try:
        port = int(value)
    except (TypeError, ValueError) as exc:
        raise BadRequest(f"Invalid port {name}: {value}") from exc
    return port


def create_rule(deps: Deps, ctx: RequestContext, body: Any) -> dict[str, Any]:
    """nova-network's rule (``parent_group_id``, ``ip_protocol``, ``from_port``,
    ``to_port``, ``cidr`` or ``group_id``) as a Neutron ingress rule."""
    if not isinstance(body, dict) or not isinstance(body.get("security_group_rule"), dict):
        raise BadRequest("security_group_rule not specified")
    rule = body["security_group_rule"]
    parent = rule.get("parent_group_id")
    if not parent:
        raise BadRequest("Parent group id is not specified")
    seam = _seam(deps)
    parent = check_id(parent)
    try:
        group = seam.show_doc(ctx, "security_groups", parent)
    except NotFound as exc:
        raise NotFound(f"Security group {parent} not found.") from exc
    protocol = rule.get("ip_protocol")
    if protocol is not None:
        protocol = str(protocol).lower()
        if protocol not in ("tcp", "udp", "icmp"):
            raise BadRequest(f"Invalid IP protocol {rule.get('ip_protocol')}.")
    low, high = _port(rule.get("from_port"), "from_port"), _port(rule.get("to_port"),
                                                                 "to_port")
    cidr, group_id = rule.get("cidr"), rule.get("group_id")
    if cidr and group_id:
        raise BadRequest("Invalid input received: Can't specify both cidr and group_id.")
    item: dict[str, Any] = {"security_group_id": group["id"], "direction": "ingress",
                            "ethertype": "IPv4"}
    if protocol is not None:
        item["protocol"] = protocol
        if protocol == "icmp":
            for v in (low, high):
                if v is not None and not -1 <= v <= 255:
                    raise BadRequest(f"Invalid port range {low}:{high}. For ICMP, the type "
                                     "and code must be between -1 and 255.")
            if low is not None and low != -1:
                item["port_range_min"] = low
                if high is not None and high != -1:
                    item["port_range_max"] = high
        else:
            if low is None or high is None or not 1 <= low <= 65535 or \
                    not 1 <= high <= 65535 or low > high:
                raise BadRequest(f"Invalid port range {low}:{high}. Valid TCP ports should "
                                 "be between 1-65535")
            item["port_range_min"], item["port_range_max"] = low, high
    elif low is not None or high is not None:
        raise BadRequest("Invalid input received: a protocol is required with ports.")
    groups = {group["id"]: group}
    if group_id:
        group_id = check_id(group_id)
        try:
            groups[group_id] = seam.show_doc(ctx, "security_groups", group_id)
        except NotFound as exc:
            raise NotFound(f"Security group {group_id} not found.") from exc
        item["remote_group_id"] = group_id
    else:
        cidr = str(cidr or "0.0.0.0/0")
        try:
            net = ipaddress.ip_network(cidr, strict=False)
        except ValueError as exc:
            raise BadRequest(f"Invalid cidr {cidr}.") from exc
        item["remote_ip_prefix"] = cidr
        item["ethertype"] = "IPv6" if net.version == 6 else "IPv4"
    try:
        doc = seam.create_doc(ctx, "security_group_rules", item)
    except Conflict as exc:
        raise BadRequest(f"This rule already exists in group {group['id']}") from exc
    except OpenStackError as exc:
        raise _nova_status(exc) from exc
    return _rule_view(doc, groups)


def delete_rule(deps: Deps, ctx: RequestContext, rule_id: str) -> None:
    try:
        _seam(deps).delete_doc(ctx, "security_group_rules", rule_id)
    except NotFound as exc:
        raise NotFound(f"Security group rule {rule_id} not found.") from exc
    except OpenStackError as exc:
        raise _nova_status(exc) from exc


def server_groups(deps: Deps, ctx: RequestContext, server_id: str) -> list[dict[str, Any]]:
    """The groups of the server's ports."""
    seam = deps.network

    def work(s: Any) -> list[str]:
        inst = visible_instance(deps, s, ctx, server_id, "os_compute_api:os-security-groups:list")
        if seam is None:
            return []
        ids: list[str] = []
        for port in seam.ports_of(s, [inst.id]).get(inst.id, []):
            ids.extend(g for g in port.security_groups if g not in ids)
        return ids
    ids = deps.db.read(work)
    if not ids:
        return []
    from onestack.network.seam import service_context

    sctx = service_context(ctx.project_id, ctx.user_id)
    docs = _seam(deps).list_docs(sctx, "security_groups", {"id": ids})
    return _views(deps, sctx, docs)


# --- floating IPs ------------------------------------------------------------------------
def _pools(deps: Deps, ctx: RequestContext) -> dict[str, str]:
    """External network id → name."""
    docs = _seam(deps).list_docs(ctx, "networks", {"router:external": ["True"]})
    return {d["id"]: d["name"] for d in docs}


def pools(deps: Deps, ctx: RequestContext) -> list[dict[str, str]]:
    return [{"name": name} for name in _pools(deps, ctx).values()]


def _fip_view(doc: dict[str, Any], pools_by_id: dict[str, str],
              devices: dict[str, str]) -> dict[str, Any]:
    port = doc.get("port_id")
    return {"id": doc["id"], "ip": doc["floating_ip_address"],
            "fixed_ip": doc.get("fixed_ip_address"),
            "instance_id": devices.get(port) if port else None,
            "pool": pools_by_id.get(doc["floating_network_id"],
                                    doc["floating_network_id"])}


def _devices(deps: Deps, docs: list[dict[str, Any]]) -> dict[str, str]:
    ports = [d["port_id"] for d in docs if d.get("port_id")]
    if not ports:
        return {}
    seam = _seam(deps)

    def work(s: Any) -> dict[str, str]:
        out = {}
        for pid in ports:
            p = seam.port(s, pid)
            if p is not None:
                out[pid] = p.device_id
        return out
    return deps.db.read(work)


def list_fips(deps: Deps, ctx: RequestContext) -> list[dict[str, Any]]:
    docs = _seam(deps).list_docs(ctx, "floatingips", {"project_id": [ctx.project_id]})
    pools_by_id, devices = _pools(deps, ctx), _devices(deps, docs)
    return [_fip_view(d, pools_by_id, devices) for d in docs]


def show_fip(deps: Deps, ctx: RequestContext, fip_id: str) -> dict[str, Any]:
    try:
        doc = _seam(deps).show_doc(ctx, "floatingips", fip_id)
    except NotFound as exc:
        raise NotFound(f"Floating IP not found for ID {fip_id}") from exc
    return _fip_view(doc, _pools(deps, ctx), _devices(deps, [doc]))


def create_fip(deps: Deps, ctx: RequestContext, pool: str | None) -> dict[str, Any]:
    pools_by_id = _pools(deps, ctx)
    if pool:
        found = [i for i, name in pools_by_id.items() if name == pool or i == pool]
    else:
        found = list(pools_by_id)[:1]
    if not found:
        raise NotFound("Floating IP pool not found.")
    try:
        doc = _seam(deps).create_doc(ctx, "floatingips", {"floating_network_id": found[0]})
    except Conflict as exc:
        raise NotFound(f"No more floating IPs in pool {pool}.") from exc
    return _fip_view(doc, pools_by_id, {})


def delete_fip(deps: Deps, ctx: RequestContext, fip_id: str) -> None:
    try:
        _seam(deps).delete_doc(ctx, "floatingips", fip_id)
    except NotFound as exc:
        raise NotFound(f"Floating IP not found for ID {fip_id}") from exc


def _fip_by_address(deps: Deps, ctx: RequestContext, address: str) -> dict[str, Any]:
    docs = _seam(deps).list_docs(ctx, "floatingips", {"floating_ip_address": [address]})
    if not docs:
        raise NotFound(f"floating IP {address} not found")
    return docs[0]


def add_floating_ip(deps: Deps, ctx: RequestContext, server_id: str, args: Any) -> None:
    if not isinstance(args, dict) or not args.get("address"):
        raise BadRequest("Address not specified")
    address, fixed = str(args["address"]), args.get("fixed_address")
    seam = _seam(deps)

    def work(s: Any) -> tuple[str, str]:
        inst: cm.Instance = visible_instance(deps, s, ctx, server_id,
                                             "os_compute_api:os-floating-ips:add")
        check_lock(deps, ctx, inst)
        ports = seam.ports_of(s, [inst.id]).get(inst.id, [])
        if not ports:
            raise BadRequest("No nw_info cache associated with instance")
        # the server's NICs in the order its boot asked for them (then attach order): the
        # first of those, not the oldest port, is the one a floating IP goes to
        order = {row.port_id: i for i, row in enumerate(networking.rows_of(s, inst.id))}
        for port in sorted(ports, key=lambda p: order.get(p.id, len(order))):
            for ip in port.fixed_ips:
                if ipaddress.ip_address(ip["ip_address"]).version != 4:
                    continue
                if fixed is None or ip["ip_address"] == fixed:
                    return port.id, ip["ip_address"]
        if fixed is not None:
            raise BadRequest(f"Specified fixed address not assigned to instance")
        raise BadRequest("No fixed IPs associated to instance")
    port_id, fixed_ip = deps.db.read(work)
    fip = _fip_by_address(deps, ctx, address)
    try:
        seam.update_doc(ctx, "floatingips", fip["id"], {"port_id": port_id,
                                                        "fixed_ip_address": fixed_ip})
    except (BadRequest, Conflict) as exc:
        raise BadRequest(f"Unable to associate floating IP {address} to fixed IP "
                         f"{fixed_ip} for instance {server_id}. Error: {exc}") from exc


def remove_floating_ip(deps: Deps, ctx: RequestContext, server_id: str, args: Any) -> None:
    if not isinstance(args, dict) or not args.get("address"):
        raise BadRequest("Address not specified")
    address = str(args["address"])
    seam = _seam(deps)

    def work(s: Any) -> set[str]:
        inst = visible_instance(deps, s, ctx, server_id,
                                "os_compute_api:os-floating-ips:remove")
        check_lock(deps, ctx, inst)
        return {p.id for p in seam.ports_of(s, [inst.id]).get(inst.id, [])}
    ports = deps.db.read(work)
    fip = _fip_by_address(deps, ctx, address)
    if fip.get("port_id") not in ports:
        raise Conflict(f"Floating IP {address} is not associated with instance {server_id}.")
    seam.update_doc(ctx, "floatingips", fip["id"], {"port_id": None})

"""Ports: fixed IPs chosen or allocated (``service.ipam``), a MAC unique on the network,
the binding compute writes, allowed address pairs, extra DHCP options, port security and
security groups.

What other collections call, inside their own transaction (no policy check):
``make(s, ctx, network_id=…, project_id=…, …) -> Port`` (validated and allocated as the
API does), ``remove(s, ctx, row)``, ``bind(s, port_id, host)``, ``unbind(s, port_id)``,
``set_status(s, port_id, status)`` (the network agent's observed write),
``fixed_ips_of(s, port_ids)``; networks' ``network_in_use``, ``used_by_other_projects``,
``delete_for_network``; subnets' ``subnet_in_use``, ``release_subnet``, ``used_ips``.
"""
from __future__ import annotations

import ipaddress
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from onestack.core.context import RequestContext
from onestack.core.db import utcnow, writes_serialized
from onestack.core.errors import BadRequest, Conflict
from onestack.network.models.l2 import Network
from onestack.network.models.ports import (AllowedAddressPair, ExtraDhcpOpt, IPAllocation,
                                           Port, PortSecurityGroup)
from onestack.network.resources.ports import PORT
from onestack.network.service import ipam
from onestack.network.service import port_addresses as addresses
from onestack.network.service.port_addresses import MAX_FIXED_IPS, is_router_port
from onestack.network.service.engine import Collection, new_uuid
from onestack.network.service.query import ids_clause

# ports a network or subnet delete takes with it (not "in use")
AUTO_DELETE_OWNERS = ("network:dhcp", "network:distributed")
DEFAULT_DNS_DOMAIN = "openstacklocal."
STATUSES = ("DOWN", "ACTIVE", "BUILD", "ERROR")
OVS_VIF_DETAILS = {"connectivity": "l2", "port_filter": True, "ovs_hybrid_plug": False,
                   "datapath_type": "system", "bridge_name": "br-int"}


def mac_in_use(network_id: str, mac: str) -> Conflict:
    return Conflict(f"Unable to complete operation for network {network_id}. The mac "
                    f"address {mac} is in use.", kind="MacAddressInUse")


def binding_state(host: str) -> tuple[str, dict[str, Any]]:
    """vif_type and vif_details of a port bound to ``host`` ('' → unbound)."""
    return ("ovs", dict(OVS_VIF_DETAILS)) if host else ("unbound", {})


# Built once: every port create runs them.
MAC_TAKEN = sa.select(Port.id).where(
    Port.network_id == sa.bindparam("network_id"), Port.mac_address == sa.bindparam("mac"),
    Port.id != sa.bindparam("port_id")).limit(1)
JOIN_GROUP = sa.insert(PortSecurityGroup)


class Ports(Collection):
    resource = PORT
    model = Port
    quota = "port"
    plain_list_rows = True  # extras and the view read only column values

    def optional(self, collection: str, method: str) -> Any | None:
        other = self.deps.collections.get(collection)
        return getattr(other, method, None) if other is not None else None

    def visible(self, s: Session | None, ctx: RequestContext) -> Any:
        """Own ports, and every port on a network the caller owns (as Neutron shows)."""
        owned = sa.select(Network.id).where(Network.project_id == ctx.project_id)
        return sa.or_(Port.project_id == ctx.project_id, Port.network_id.in_(owned))

    # --- helpers -------------------------------------------------------------------------
    def network_of(self, s: Session, ctx: RequestContext, network_id: str) -> Network:
        networks = self.deps.collections.get("networks")
        if networks is not None:
            return networks.find(s, ctx, network_id)
        row = s.get(Network, network_id)  # pragma: no cover - networks always registered
        if row is None:
            raise BadRequest(f"Network {network_id} could not be found.")
        return row

    def owner_target(self, project_id: str, network: Network) -> dict[str, Any]:
        return {"project_id": project_id, "tenant_id": project_id,
                "network_project_id": network.project_id}

    def check_owner_rules(self, ctx: RequestContext, action: str, given: dict[str, Any],
                          project_id: str, network: Network) -> None:
        """Neutron's network-owner rules for what only the network's owner (or an admin)
        may choose."""
        target = self.owner_target(project_id, network)
        rules = []
        if str(given.get("device_owner") or "").startswith("network:"):
            rules.append("device_owner")
        if given.get("fixed_ips"):
            if any("ip_address" in f for f in given["fixed_ips"]):
                rules.append("fixed_ips:ip_address")
            elif not network.shared:
                rules.append("fixed_ips:subnet_id")
        if "port_security_enabled" in given:
            rules.append("port_security_enabled")
        if given.get("allowed_address_pairs"):
            rules.append("allowed_address_pairs")
        if action == "create" and given.get("mac_address"):
            rules.append("mac_address")
        for name in rules:
            self.deps.policy.enforce(f"{action}_port:{name}", ctx, target)

    def check_security(self, s: Session, ctx: RequestContext, *, enabled: bool,
                       groups: list[str] | None, pairs: list[Any], project_id: str,
                       owner: str, default: bool) -> list[str]:
        """The port's groups: the ones asked for (checked), the project's default group
        when none was asked for, none without port security."""
        if not enabled:
            if groups:
                raise Conflict("Port security must be enabled and port must have an IP "
                               "address in order to use security groups.",
                               kind="PortSecurityAndIPRequiredForSecurityGroups")
            if pairs:
                raise Conflict("Port Security must be enabled in order to have allowed "
                               "address pairs on a port.",
                               kind="AddressPairAndPortSecurityRequired")
            return []
        service = self.deps.collections.get("security_groups")
        if groups:
            check = getattr(service, "check_groups", None)
            return check(s, ctx, groups, project_id) if check else list(groups)
        if groups is None and default and not owner.startswith("network:") and project_id:
            make_default = getattr(service, "default_group_id", None)
            if make_default is not None:
                return [make_default(s, ctx, project_id)]
        return []

    # --- create --------------------------------------------------------------------------
    def prepare_create(self, s: Session, ctx: RequestContext, doc: dict[str, Any]) -> None:
        network = self.network_of(s, ctx, doc["network_id"])
        doc["_network"] = network
        given = {k: doc[k] for k in doc.get("_given", ())}
        if not doc.get("_internal"):
            self.check_owner_rules(ctx, "create", given, doc["project_id"], network)
        if doc.get("port_security_enabled") is None:
            doc["port_security_enabled"] = bool(network.port_security_enabled)
        doc["security_groups"] = self.check_security(
            s, ctx, enabled=doc["port_security_enabled"], groups=doc.get("security_groups"),
            pairs=doc.get("allowed_address_pairs") or [], project_id=doc["project_id"],
            owner=doc.get("device_owner") or "", default=True)
        if doc.get("qos_policy_id"):
            self.check_qos(s, ctx, doc["qos_policy_id"])
        if doc.get("fixed_ips") is not None and len(doc["fixed_ips"]) > MAX_FIXED_IPS:
            raise addresses.too_many()
        if doc.get("mac_address"):
            if self.mac_taken(s, network.id, doc["mac_address"]):
                raise mac_in_use(network.id, doc["mac_address"])
        else:
            doc["mac_address"] = ipam.random_mac()
            doc["_mac_generated"] = True

    def free_mac(self, s: Session, network_id: str) -> str:
        """A random MAC no port of the network has (for a regenerate: the row lock on
        the port and the unique constraint settle any race)."""
        for _ in range(16):
            mac = ipam.random_mac()
            if not self.mac_taken(s, network_id, mac):
                return mac
        raise Conflict(f"Unable to generate unique mac on network {network_id}.",
                       kind="MacAddressGenerationFailure")

    def check_qos(self, s: Session, ctx: RequestContext, policy_id: str) -> None:
        """The QoS policy must be one the caller may attach (404 QosPolicyNotFound)."""
        check = self.optional("policies", "check_attachment")
        if check is not None:
            check(s, ctx, policy_id)

    def mac_taken(self, s: Session, network_id: str, mac: str, port_id: str = "") -> bool:
        return s.scalar(MAC_TAKEN, {"network_id": network_id, "mac": mac,
                                    "port_id": port_id}) is not None

    def create_in(self, s: Session, ctx: RequestContext, doc: dict[str, Any]) -> Port:
        self.check_quota(s, doc.get("project_id", ""))
        self.prepare_create(s, ctx, doc)
        row = self.insert_port(s, doc)
        self.after_create(s, ctx, row, doc)
        if doc.get("tags"):
            self.set_tags(s, row, doc["tags"], bump=False)
        return row

    def new_row(self, doc: dict[str, Any]) -> Port:
        now = utcnow()
        row = Port(id=doc.get("id") or new_uuid(), created_at=now, updated_at=now,
                   revision_number=0, status="DOWN")
        for attr in self.resource.attrs:
            if attr.computed or attr.name in ("id", "tenant_id") or attr.name not in doc:
                continue
            if hasattr(Port, attr.key):
                setattr(row, attr.key, doc[attr.name])
        row.binding_vif_type, row.binding_vif_details = binding_state(row.binding_host_id)
        return row

    def insert_port(self, s: Session, doc: dict[str, Any]) -> Port:
        """The port row, in a savepoint: a generated MAC that another transaction took
        first (the unique constraint answers) is drawn again. Where writers are serialized
        (SQLite) a look at the MACs taken is authoritative and cheaper than a savepoint."""
        serialized = writes_serialized(s)
        for _ in range(16):
            if serialized:
                if not self.mac_taken(s, doc["network_id"], doc["mac_address"]):
                    row = self.new_row(doc)
                    s.add(row)
                    s.flush()
                    return row
            else:
                row = self.new_row(doc)
                try:
                    with s.begin_nested():
                        s.add(row)
                        s.flush()
                    return row
                except IntegrityError:
                    if not self.mac_taken(s, doc["network_id"], doc["mac_address"]):
                        raise
            if not doc.get("_mac_generated"):
                raise mac_in_use(doc["network_id"], doc["mac_address"])
            doc["mac_address"] = ipam.random_mac()
        raise Conflict(f"Unable to generate unique mac on network {doc['network_id']}.",
                       kind="MacAddressGenerationFailure")

    def after_create(self, s: Session, ctx: RequestContext, row: Port,
                     doc: dict[str, Any]) -> None:
        doc["_fixed_ips"] = addresses.allocate(s, row, doc.get("fixed_ips"))
        self.write_pairs(s, row, doc.get("allowed_address_pairs") or [], fresh=True)
        self.write_opts(s, row, doc.get("extra_dhcp_opts") or [], fresh=True)
        self.write_groups(s, row, doc["security_groups"], fresh=True)

    # --- the other parts -----------------------------------------------------------------
    def write_pairs(self, s: Session, row: Port, pairs: list[dict[str, str]],
                    fresh: bool = False) -> None:
        """Replace the port's pairs (``fresh``: a new port, nothing to remove)."""
        if not fresh:
            s.execute(sa.delete(AllowedAddressPair).where(
                AllowedAddressPair.port_id == row.id))
        seen = set()
        for i, pair in enumerate(pairs):
            key = (pair.get("mac_address") or row.mac_address, pair["ip_address"])
            if key in seen:
                continue
            seen.add(key)
            s.add(AllowedAddressPair(port_id=row.id, mac_address=key[0], ip_address=key[1],
                                     position=i))

    def write_opts(self, s: Session, row: Port, opts: list[dict[str, Any]],
                   merge: bool = False, fresh: bool = False) -> None:
        """Set the options (a null value removes one); ``merge``: keep the others;
        ``fresh``: a new port, nothing to remove."""
        if not merge and not fresh:
            s.execute(sa.delete(ExtraDhcpOpt).where(ExtraDhcpOpt.port_id == row.id))
        seen = set()
        for opt in opts:
            key = (opt["opt_name"], opt["ip_version"])
            if not fresh or key in seen:
                s.execute(sa.delete(ExtraDhcpOpt).where(
                    ExtraDhcpOpt.port_id == row.id, ExtraDhcpOpt.opt_name == key[0],
                    ExtraDhcpOpt.ip_version == key[1]))
            seen.add(key)
            if opt["opt_value"] is not None:
                s.execute(sa.insert(ExtraDhcpOpt).values(
                    port_id=row.id, opt_name=opt["opt_name"], ip_version=opt["ip_version"],
                    opt_value=opt["opt_value"]))

    def write_groups(self, s: Session, row: Port, groups: list[str],
                     fresh: bool = False) -> None:
        if not fresh:
            s.execute(sa.delete(PortSecurityGroup).where(
                PortSecurityGroup.port_id == row.id))
        if groups:
            s.execute(JOIN_GROUP, [{"port_id": row.id, "security_group_id": group}
                                   for group in dict.fromkeys(groups)])

    # --- update --------------------------------------------------------------------------
    def update(self, ctx: RequestContext, ident: str, item: Any,
               if_match: int | None = None) -> dict[str, Any]:
        """The engine's update; a MAC another port took meanwhile (the unique constraint
        answers at the flush) is 409 MacAddressInUse."""
        try:
            return super().update(ctx, ident, item, if_match)
        except IntegrityError:
            if isinstance(item, dict) and item.get("mac_address"):
                raise Conflict(f"Unable to complete operation for port {ident}. The mac "
                               f"address {item['mac_address']} is in use.",
                               kind="MacAddressInUse") from None
            raise

    def prepare_update(self, s: Session, ctx: RequestContext, row: Port,
                       changes: dict[str, Any]) -> None:
        network = s.get(Network, row.network_id)
        if not self.deps.is_admin(ctx):
            given = {k: v for k, v in changes.items()
                     if k != "device_owner" or v != row.device_owner}
            self.check_owner_rules(ctx, "update", given, row.project_id, network)
        if changes.get("qos_policy_id"):
            self.check_qos(s, ctx, changes["qos_policy_id"])
        if "mac_address" in changes and changes["mac_address"] is None:
            changes["mac_address"] = self.free_mac(s, row.network_id)
        if changes.get("mac_address") and changes["mac_address"] != row.mac_address:
            row.previous_mac = row.mac_address  # after_update moves its SLAAC addresses
            if row.binding_host_id:
                raise Conflict(f"Unable to complete operation on port {row.id}, port is "
                               "already bound, port type: ovs, old_mac "
                               f"{row.mac_address}, new_mac {changes['mac_address']}.",
                               kind="PortBound")
            if self.mac_taken(s, row.network_id, changes["mac_address"], row.id):
                raise mac_in_use(row.network_id, changes["mac_address"])
        enabled = changes.get("port_security_enabled", row.port_security_enabled)
        if changes.get("port_security_enabled") is None:
            changes.pop("port_security_enabled", None)
            enabled = row.port_security_enabled
        groups = changes.get("security_groups")
        if "security_groups" in changes:
            groups = groups or []
        if "allowed_address_pairs" in changes:
            pairs = changes["allowed_address_pairs"]
        else:
            pairs = s.scalars(sa.select(AllowedAddressPair.ip_address).where(
                AllowedAddressPair.port_id == row.id)).all()
        if not enabled:
            current = groups if groups is not None else s.scalars(
                sa.select(PortSecurityGroup.security_group_id).where(
                    PortSecurityGroup.port_id == row.id)).all()
            if current and "security_groups" not in changes:
                raise Conflict("Port has security group associated. Cannot disable port "
                               "security or ip address until security group is removed.",
                               kind="PortSecurityPortHasSecurityGroups")
        if groups is not None or not enabled:
            changes["security_groups"] = self.check_security(
                s, ctx, enabled=enabled, groups=groups, pairs=pairs,
                project_id=row.project_id, owner=row.device_owner, default=False)

    def after_update(self, s: Session, ctx: RequestContext, row: Port,
                     changes: dict[str, Any]) -> None:
        if changes.get("fixed_ips") is not None:
            addresses.change_fixed_ips(s, row, changes["fixed_ips"])
        if getattr(row, "previous_mac", None):
            addresses.renumber_slaac(s, row)
        if "allowed_address_pairs" in changes:
            self.write_pairs(s, row, changes["allowed_address_pairs"] or [])
        if "extra_dhcp_opts" in changes:
            self.write_opts(s, row, changes["extra_dhcp_opts"] or [], merge=True)
        if "security_groups" in changes:
            self.write_groups(s, row, changes["security_groups"])
        if "binding:host_id" in changes:
            row.binding_vif_type, row.binding_vif_details = binding_state(row.binding_host_id)
            if not row.binding_host_id:
                row.status = "DOWN"

    # --- delete --------------------------------------------------------------------------
    def before_delete(self, s: Session, ctx: RequestContext, row: Port) -> None:
        is_interface = self.optional("routers", "port_is_interface")
        if (is_interface is not None and is_interface(s, row)) or self.is_fip_port(s, row):
            raise Conflict(f"Port {row.id} cannot be deleted directly via the port API: "
                           f"has device owner {row.device_owner}.", kind="ServicePortInUse")
        in_trunk = self.optional("trunks", "check_port_delete")
        if in_trunk is not None:
            in_trunk(s, row)
        self.release(s, ctx, row)

    def is_fip_port(self, s: Session, row: Port) -> bool:
        """The port of a floating IP that still exists (its delete takes the port)."""
        model = getattr(self.deps.collections.get("floatingips"), "model", None)
        return (row.device_owner == "network:floatingip" and model is not None
                and bool(row.device_id) and s.get(model, row.device_id) is not None)

    def release(self, s: Session, ctx: RequestContext, row: Port) -> None:
        """Free what the port holds (its addresses go back to their pools)."""
        disassociate = self.optional("floatingips", "disassociate_port")
        if disassociate is not None:
            disassociate(s, ctx, row.id)
        for model in (IPAllocation, AllowedAddressPair, ExtraDhcpOpt, PortSecurityGroup):
            s.execute(sa.delete(model).where(model.port_id == row.id))

    def created(self, doc: dict[str, Any]) -> None:
        """A new port concerns only the host it is bound to (an unbound port has nothing
        to wire; DHCP entries follow at the agents' full pass), so only that host's agent
        is woken — not every agent, as an update or delete does (its old host may have to
        unwire)."""
        host = doc.get("binding:host_id")
        if host:
            self.deps.wake_host(host, doc["id"])

    def updated(self, doc: dict[str, Any]) -> None:
        self.deps.wake("port", doc["id"])

    def deleted(self, ident: str) -> None:
        self.deps.wake("port", ident)

    # --- rendering -----------------------------------------------------------------------
    def extras(self, s: Session, ctx: RequestContext, rows: list[Port]
               ) -> dict[str, dict[str, Any]]:
        ids = [r.id for r in rows]
        ips = addresses.fixed_ips_of(s, ids)
        pairs: dict[str, list[dict[str, str]]] = {}
        opts: dict[str, list[dict[str, Any]]] = {}
        groups: dict[str, list[str]] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            for p in s.scalars(sa.select(AllowedAddressPair).where(
                    ids_clause(s, AllowedAddressPair.port_id, chunk)).order_by(
                    AllowedAddressPair.port_id, AllowedAddressPair.position)):
                pairs.setdefault(p.port_id, []).append(
                    {"ip_address": p.ip_address, "mac_address": p.mac_address})
            for o in s.scalars(sa.select(ExtraDhcpOpt).where(
                    ids_clause(s, ExtraDhcpOpt.port_id, chunk)).order_by(
                    ExtraDhcpOpt.port_id, ExtraDhcpOpt.ip_version, ExtraDhcpOpt.opt_name)):
                opts.setdefault(o.port_id, []).append(
                    {"opt_name": o.opt_name, "opt_value": o.opt_value,
                     "ip_version": o.ip_version})
            for port_id, group in s.execute(sa.select(
                    PortSecurityGroup.port_id, PortSecurityGroup.security_group_id).where(
                    ids_clause(s, PortSecurityGroup.port_id, chunk)).order_by(
                    PortSecurityGroup.port_id, PortSecurityGroup.security_group_id)):
                groups.setdefault(port_id, []).append(group)
        domain = str(getattr(self.deps.settings, "network_dns_domain", "")
                     or DEFAULT_DNS_DOMAIN)
        trunks_of = self.optional("trunks", "details_of_ports")
        trunks = trunks_of(s, ids) if trunks_of is not None else {}
        net_ids = list({r.network_id for r in rows})
        net_qos = dict(s.execute(sa.select(Network.id, Network.qos_policy_id).where(
            Network.id.in_(net_ids))).all()) if len(net_ids) <= 500 else {}
        out = {}
        for r in rows:
            fixed = ips.get(r.id, [])
            out[r.id] = {"fixed_ips": fixed,
                         "qos_network_policy_id": net_qos.get(r.network_id),
                         "allowed_address_pairs": pairs.get(r.id, []),
                         "extra_dhcp_opts": opts.get(r.id, []),
                         "security_groups": groups.get(r.id, []),
                         "dns_assignment": [self.dns_entry(r, f["ip_address"], domain)
                                            for f in fixed],
                         "ip_allocation": "immediate"}
            if r.id in trunks:
                out[r.id]["trunk_details"] = trunks[r.id]
        return out

    def created_extras(self, s: Session, ctx: RequestContext, rows: list[Port],
                       docs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
        """What ``extras`` would read back, from the docs the rows were just made from
        (the addresses as the allocator took them; read back only when a doc lacks
        them)."""
        if all("_fixed_ips" in doc for doc in docs):
            ips = {r.id: addresses.fixed_ips_view(doc["_fixed_ips"])
                   for r, doc in zip(rows, docs)}
        else:
            ips = addresses.fixed_ips_of(s, [r.id for r in rows])
        domain = str(getattr(self.deps.settings, "network_dns_domain", "")
                     or DEFAULT_DNS_DOMAIN)
        out = {}
        for r, doc in zip(rows, docs):
            fixed = ips.get(r.id, [])
            pairs = {}
            for pair in doc.get("allowed_address_pairs") or []:
                mac = pair.get("mac_address") or r.mac_address
                pairs.setdefault((mac, pair["ip_address"]), {
                    "ip_address": pair["ip_address"], "mac_address": mac})
            opts = {(o["ip_version"], o["opt_name"]): o
                    for o in doc.get("extra_dhcp_opts") or []}
            network = doc.get("_network")
            out[r.id] = {"fixed_ips": fixed,
                         "qos_network_policy_id": getattr(network, "qos_policy_id", None),
                         "allowed_address_pairs": list(pairs.values()),
                         "extra_dhcp_opts": [dict(opts[k]) for k in sorted(opts)
                                             if opts[k]["opt_value"] is not None],
                         "security_groups": sorted(set(doc.get("security_groups") or [])),
                         "dns_assignment": [self.dns_entry(r, f["ip_address"], domain)
                                            for f in fixed],
                         "ip_allocation": "immediate"}
        return out

    @staticmethod
    def dns_entry(row: Port, ip: str, domain: str) -> dict[str, str]:
        host = row.dns_name or "host-" + ip.replace(".", "-").replace(":", "-")
        return {"hostname": host, "ip_address": ip, "fqdn": f"{host}.{domain}"}

    def computed_filter(self, name: str, values: list[str]) -> Any | None:
        if name == "fixed_ips":
            return addresses.fixed_ips_clause(values)
        if name == "security_groups":
            return sa.exists().where(PortSecurityGroup.port_id == Port.id,
                                     PortSecurityGroup.security_group_id.in_(values))
        return None

    # --- what other collections call -----------------------------------------------------
    def fixed_ips_of(self, s: Session, port_ids: list[str]
                     ) -> dict[str, list[dict[str, str]]]:
        """Each port's addresses, IPv4 first, in address order."""
        return addresses.fixed_ips_of(s, port_ids)

    def make(self, s: Session, ctx: RequestContext, *, network_id: str, project_id: str,
             device_owner: str = "", device_id: str = "",
             fixed_ips: list[dict[str, str]] | None = None, mac_address: str | None = None,
             security_groups: list[str] | None = None, name: str = "",
             admin_state_up: bool = True, **extra: Any) -> Port:
        """A port made for another collection or service (a router's interface, a
        floating IP's, a server's) in the caller's transaction: validated and allocated
        as the API does, without the API's policy checks."""
        item: dict[str, Any] = {"network_id": network_id, "device_owner": device_owner,
                                "device_id": device_id, "name": name,
                                "admin_state_up": admin_state_up, **extra}
        if fixed_ips is not None:
            item["fixed_ips"] = fixed_ips
        if mac_address is not None:
            item["mac_address"] = mac_address
        if security_groups is not None:
            item["security_groups"] = security_groups
        doc: dict[str, Any] = {}
        for attr in self.resource.attrs:
            if attr.name in item:
                value = item[attr.name]
                doc[attr.name] = attr.convert(value) if attr.convert else value
            elif attr.post and not attr.required and attr.name not in ("project_id",
                                                                       "tenant_id"):
                doc[attr.name] = attr.default_value()
        doc["project_id"] = doc["tenant_id"] = project_id
        doc["_given"] = set(item)
        doc["_internal"] = True
        return self.create_in(s, ctx, doc)

    def remove(self, s: Session, ctx: RequestContext, row: Port) -> None:
        """Delete a port another collection owns (its addresses go back to the pools)."""
        self.release(s, ctx, row)
        self.delete_row(s, row)

    def bind(self, s: Session, port_id: str, host: str, *, vnic_type: str = "normal",
             profile: dict[str, Any] | None = None) -> Port:
        """Bind the port to ``host`` (compute, at schedule time). It is DOWN until the
        host's network agent reports it wired; binding again as bound changes nothing."""
        row = s.get(Port, port_id)
        if row is None:
            raise self.not_found(port_id)
        profile = dict(profile or {})
        if (row.binding_host_id, row.binding_vnic_type, row.binding_profile or {}) == (
                host, vnic_type, profile):
            return row
        if row.binding_host_id != host:
            row.status = "DOWN"  # wired on the old host, not yet on the new one
        row.binding_host_id = host
        row.binding_vnic_type = vnic_type
        row.binding_profile = profile
        row.binding_vif_type, row.binding_vif_details = binding_state(host)
        self.bump(row)
        s.flush()
        return row

    def unbind(self, s: Session, port_id: str) -> None:
        row = s.get(Port, port_id)
        if row is None or (not row.binding_host_id and row.status == "DOWN"):
            return
        row.binding_host_id = ""
        row.binding_profile = {}
        row.binding_vif_type, row.binding_vif_details = binding_state("")
        row.status = "DOWN"
        self.bump(row)
        s.flush()

    def set_status(self, s: Session, port_id: str, status: str) -> bool:
        """The network agent's observed state (DOWN/ACTIVE/BUILD/ERROR); False when the
        port is gone. Unchanged status writes nothing."""
        if status not in STATUSES:
            raise ValueError(f"unknown port status {status}")
        row = s.get(Port, port_id)
        if row is None:
            return False
        if row.status != status:
            row.status = status
            self.bump(row)
            s.flush()
        return True

    # networks' hooks
    def network_in_use(self, s: Session, network: Any) -> bool:
        return s.scalar(sa.select(Port.id).where(
            Port.network_id == network.id,
            Port.device_owner.not_in(AUTO_DELETE_OWNERS)).limit(1)) is not None

    def used_by_other_projects(self, s: Session, network: Any) -> bool:
        return s.scalar(sa.select(Port.id).where(
            Port.network_id == network.id, Port.project_id != network.project_id,
            Port.project_id != "", Port.device_owner.not_in(AUTO_DELETE_OWNERS)
        ).limit(1)) is not None

    def delete_for_network(self, s: Session, ctx: RequestContext, network: Any) -> None:
        for row in list(s.scalars(sa.select(Port).where(Port.network_id == network.id))):
            self.remove(s, ctx, row)

    # subnets' hooks
    def subnet_in_use(self, s: Session, subnet: Any) -> bool:
        """An address on it held by a port a subnet delete does not take along (DHCP
        ports' addresses, and SLAAC addresses of ports other than routers', go)."""
        stmt = sa.select(Port.device_owner).join(
            IPAllocation, IPAllocation.port_id == Port.id).where(
            IPAllocation.subnet_id == subnet.id)
        auto = ipam.is_auto_address(subnet)
        for owner in s.scalars(stmt):
            if owner in AUTO_DELETE_OWNERS:
                continue
            if auto and not is_router_port(owner):
                continue
            return True
        return False

    def release_subnet(self, s: Session, ctx: RequestContext, subnet: Any) -> None:
        port_ids = set(s.scalars(sa.select(IPAllocation.port_id).where(
            IPAllocation.subnet_id == subnet.id)))
        s.execute(sa.delete(IPAllocation).where(IPAllocation.subnet_id == subnet.id))
        for row in s.scalars(sa.select(Port).where(Port.id.in_(port_ids))) if port_ids else []:
            self.bump(row)
        s.flush()

    def used_ips(self, s: Session, subnet_id: str) -> set[str]:
        return ipam.used_ips(s, subnet_id)

    def ip_holder(self, s: Session, subnet_id: str, ip: str | None) -> str | None:
        """The port holding ``ip`` on the subnet (None: nobody)."""
        if not ip:
            return None
        return s.scalar(sa.select(IPAllocation.port_id).where(
            IPAllocation.subnet_id == subnet_id,
            IPAllocation.ip_address == str(ipaddress.ip_address(ip))))

    def add_auto_addresses(self, s: Session, ctx: RequestContext, subnet: Any) -> None:
        """A new SLAAC subnet: every port of its network but routers' gets its EUI-64
        address on it (as Neutron does)."""
        if not ipam.is_auto_address(subnet):
            return
        for row in list(s.scalars(sa.select(Port).where(
                Port.network_id == subnet.network_id))):
            if is_router_port(row.device_owner):
                continue
            ipam.allocate_auto(s, subnet, row.mac_address, row.id)
            self.bump(row)
        s.flush()

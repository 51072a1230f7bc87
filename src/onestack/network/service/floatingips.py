"""Floating IPs: an address allocated on an external network (held by a
``network:floatingip`` port whose device is the floating IP), associated with a port's
fixed IPv4 address when a router joins the port's subnet to that external network.

Hooks for other collections (inside their transaction): ``disassociate_port(s, ctx,
port_id)`` (the ports service calls it when a port is deleted),
``set_status(s, fip_id, status)`` (the network agent's observed write: DOWN/ACTIVE/ERROR),
``delete_for_network(s, ctx, network)`` (networks: an external network's floating IPs go
with it), ``network_has_floatingips(s, network_id)``.
"""
from __future__ import annotations

import ipaddress
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from onestack.core.context import RequestContext
from onestack.core.errors import BadRequest, Conflict, NotFound
from onestack.network.models.floatingips import FloatingIP, PortForwarding
from onestack.network.resources.floatingips import FLOATINGIP
from onestack.network.service.engine import Collection, new_uuid

FIP_OWNER = "network:floatingip"
_NO_FIP_OWNERS = ("network:router_interface", "network:router_interface_distributed",
                  "network:ha_router_replicated_interface", "network:router_gateway",
                  FIP_OWNER)


def bad_fip(message: str) -> BadRequest:
    return BadRequest(f"Bad floatingip request: {message}.", kind="BadRequest")


class FloatingIPs(Collection):
    resource = FLOATINGIP
    model = FloatingIP
    quota = "floatingip"

    @property
    def ports(self) -> Any:
        return self.deps.collections["ports"]

    # --- create --------------------------------------------------------------------------
    def prepare_create(self, s: Session, ctx: RequestContext, doc: dict[str, Any]) -> None:
        network = self.deps.collections["networks"].find(s, ctx, doc["floating_network_id"])
        if not network.router_external:
            raise bad_fip(f"Network {network.id} is not a valid external network")
        if doc.get("fixed_ip_address") and not doc.get("port_id"):
            raise bad_fip("fixed_ip_address cannot be specified without a port_id")
        doc["id"] = new_uuid()
        subnet_id = self.choose_subnet(s, network.id, doc.get("subnet_id"),
                                       doc.get("floating_ip_address"))
        wanted: dict[str, Any] = {"subnet_id": subnet_id}
        if doc.get("floating_ip_address"):
            wanted["ip_address"] = doc["floating_ip_address"]
        port = self.ports.make(s, ctx, network_id=network.id, project_id="",
                               device_owner=FIP_OWNER, device_id=doc["id"],
                               fixed_ips=[wanted])
        ips = self.ports.fixed_ips_of(s, [port.id]).get(port.id, [])
        doc["_port_id"] = port.id
        doc["floating_ip_address"] = next(ip["ip_address"] for ip in ips
                                          if ip["subnet_id"] == subnet_id)
        if doc.get("port_id"):
            doc["port_id"], doc["fixed_ip_address"], doc["router_id"] = self.association(
                s, ctx, network.id, doc["port_id"], doc.get("fixed_ip_address"),
                doc["project_id"], doc["id"], doc["floating_ip_address"])

    def after_create(self, s: Session, ctx: RequestContext, row: FloatingIP,
                     doc: dict[str, Any]) -> None:
        row.floating_port_id = doc["_port_id"]
        s.flush()

    def create_in(self, s: Session, ctx: RequestContext, doc: dict[str, Any]) -> Any:
        try:
            with s.begin_nested():
                return super().create_in(s, ctx, doc)
        except IntegrityError:
            raise self.already_associated(s, doc.get("port_id"), doc.get("fixed_ip_address"),
                                          doc["floating_network_id"]) from None

    def choose_subnet(self, s: Session, network_id: str, subnet_id: str | None,
                      address: str | None) -> str:
        """The external subnet to allocate from: the one asked for, the one holding the
        asked address, or the network's first IPv4 subnet."""
        subnets = [sub for sub in self.deps.collections["subnets"].subnets_of(s, network_id)
                   if sub.ip_version == 4]
        if subnet_id:
            if not any(sub.id == subnet_id for sub in subnets):
                raise bad_fip(f"Subnet {subnet_id} is not an IPv4 subnet of network "
                              f"{network_id}")
            return subnet_id
        if address:
            for sub in subnets:
                if ipaddress.ip_address(address) in ipaddress.ip_network(sub.cidr):
                    return sub.id
            raise bad_fip(f"Address {address} is not in an IPv4 subnet of network "
                          f"{network_id}")
        if not subnets:
            raise bad_fip(f"Network {network_id} does not contain any IPv4 subnet")
        return subnets[0].id

    # --- association ---------------------------------------------------------------------
    def association(self, s: Session, ctx: RequestContext, network_id: str, port_id: str,
                    fixed_ip: str | None, project_id: str, fip_id: str, address: str
                    ) -> tuple[str, str, str]:
        """(port id, fixed IP, router id) for associating the floating IP with the port,
        or Neutron's refusal."""
        port = self.ports.find(s, ctx, port_id)
        if s.scalar(sa.select(PortForwarding.id).where(
                PortForwarding.floatingip_id == fip_id).limit(1)):
            raise Conflict(f"Floating IP {fip_id} in use by Port Forwarding resources.",
                           kind="FipInUseByPortForwarding")
        if s.scalar(sa.select(PortForwarding.id).where(
                PortForwarding.internal_port_id == port.id).limit(1)):
            raise BadRequest(f"Cannot associate floating IP to port {port.id} because it "
                             "already has a Port Forwarding binding.",
                             kind="PortHasPortForwarding")
        if port.device_owner in _NO_FIP_OWNERS:
            raise bad_fip(f"Port {port.id} has owner {port.device_owner} and therefore "
                          "cannot be assigned a floating IP")
        if port.project_id != project_id and not self.deps.is_admin(ctx):
            raise bad_fip(f"Cannot create floating IP and bind it to Port {port.id}, since "
                          "that port is owned by a different tenant")
        ips = self.ports.fixed_ips_of(s, [port.id]).get(port.id, [])
        v4 = [ip for ip in ips if ipaddress.ip_address(ip["ip_address"]).version == 4]
        if fixed_ip:
            chosen = next((ip for ip in ips if ip["ip_address"] == fixed_ip), None)
            if chosen is None:
                raise bad_fip(f"Port {port.id} does not have fixed ip {fixed_ip}")
            if chosen not in v4:
                raise bad_fip(f"Cannot process floating IP association with {fixed_ip}, "
                              "since that is not an IPv4 address")
        elif len(v4) == 1:
            chosen = v4[0]
        elif not v4:
            raise bad_fip(f"No IPv4 address found on port {port.id}")
        else:
            raise bad_fip(f"Port {port.id} has multiple fixed IPv4 addresses.  Must "
                          "provide a specific IPv4 address when assigning a floating IP")
        router_id = self.deps.collections["routers"].router_for(  # type: ignore[attr-defined]
            s, network_id, chosen["subnet_id"])
        if router_id is None:
            raise NotFound(f"External network {network_id} is not reachable from subnet "
                           f"{chosen['subnet_id']}.  Therefore, cannot associate Port "
                           f"{port.id} with a Floating IP.",
                           kind="ExternalGatewayForFloatingIPNotFound")
        taken = s.scalar(sa.select(FloatingIP).where(
            FloatingIP.fixed_port_id == port.id,
            FloatingIP.fixed_ip_address == chosen["ip_address"],
            FloatingIP.id != fip_id))
        if taken is not None:
            raise self.already_associated(s, port.id, chosen["ip_address"],
                                          taken.floating_network_id, taken)
        return port.id, chosen["ip_address"], router_id

    @staticmethod
    def already_associated(s: Session, port_id: str | None, fixed_ip: str | None,
                           network_id: str, taken: FloatingIP | None = None) -> Conflict:
        if taken is None and port_id:
            taken = s.scalar(sa.select(FloatingIP).where(
                FloatingIP.fixed_port_id == port_id,
                FloatingIP.fixed_ip_address == fixed_ip))
        address, ident = (taken.floating_ip_address, taken.id) if taken else ("", "")
        return Conflict(f"Cannot associate floating IP {address} ({ident}) with port "
                        f"{port_id} using fixed IP {fixed_ip}, as that fixed IP already has "
                        f"a floating IP on external network {network_id}.",
                        kind="FloatingIPPortAlreadyAssociated")

    # --- update / delete -----------------------------------------------------------------
    def prepare_update(self, s: Session, ctx: RequestContext, row: FloatingIP,
                       changes: dict[str, Any]) -> None:
        if "port_id" not in changes and "fixed_ip_address" not in changes:
            return
        port_id = changes.get("port_id", row.fixed_port_id)
        if port_id is None:
            if changes.get("fixed_ip_address"):
                raise bad_fip("fixed_ip_address cannot be specified without a port_id")
            changes["fixed_ip_address"] = None
            forwarded = s.scalar(sa.select(PortForwarding.id).where(
                PortForwarding.floatingip_id == row.id).limit(1))
            if not forwarded:
                # no router serves it any more, so no agent would report it: DOWN now
                row.router_id, row.status = None, "DOWN"
            return
        changes["port_id"], changes["fixed_ip_address"], row.router_id = self.association(
            s, ctx, row.floating_network_id, port_id, changes.get("fixed_ip_address"),
            row.project_id, row.id, row.floating_ip_address)

    def update(self, ctx: RequestContext, ident: str, item: Any,
               if_match: int | None = None) -> dict[str, Any]:
        try:
            return super().update(ctx, ident, item, if_match)
        except IntegrityError:
            raise Conflict("The fixed IP already has a floating IP on this external "
                           "network.", kind="FloatingIPPortAlreadyAssociated") from None

    def before_delete(self, s: Session, ctx: RequestContext, row: FloatingIP) -> None:
        s.execute(sa.delete(PortForwarding).where(PortForwarding.floatingip_id == row.id))
        port = s.get(self.ports.model, row.floating_port_id) if row.floating_port_id \
            else None
        if port is not None:
            self.ports.remove(s, ctx, port)

    def created(self, doc: dict[str, Any]) -> None:
        self.deps.wake("floatingips", doc["id"])

    def updated(self, doc: dict[str, Any]) -> None:
        self.deps.wake("floatingips", doc["id"])

    def deleted(self, ident: str) -> None:
        self.deps.wake("floatingips", ident)

    # --- hooks ---------------------------------------------------------------------------
    def disassociate_port(self, s: Session, ctx: RequestContext, port_id: str) -> list[str]:
        """Forget the association of every floating IP with ``port_id`` (being deleted);
        the ids of the floating IPs changed."""
        rows = list(s.scalars(sa.select(FloatingIP).where(FloatingIP.fixed_port_id == port_id)))
        for row in rows:
            row.fixed_port_id = row.fixed_ip_address = row.router_id = None
            row.status = "DOWN"
            self.bump(row)
        s.execute(sa.delete(PortForwarding).where(PortForwarding.internal_port_id == port_id))
        s.flush()
        return [r.id for r in rows]

    def delete_for_network(self, s: Session, ctx: RequestContext, network: Any) -> None:
        """The floating IPs of an external network being deleted go with it."""
        for row in list(s.scalars(sa.select(FloatingIP).where(
                FloatingIP.floating_network_id == network.id))):
            self.before_delete(s, ctx, row)
            self.delete_row(s, row)

    def set_status(self, s: Session, fip_id: str, status: str) -> None:
        row = s.get(FloatingIP, fip_id)
        if row is not None and row.status != status:
            row.status = status
            s.flush()

    def network_has_floatingips(self, s: Session, network_id: str) -> bool:
        return s.scalar(sa.select(sa.func.count()).select_from(FloatingIP).where(
            FloatingIP.floating_network_id == network_id)) > 0

    def pools(self, ctx: RequestContext, filters: dict[str, list[str]], fields: list[str]
              ) -> list[dict[str, Any]]:
        """``/v2.0/floatingip_pools``: the IPv4 subnets of the external networks the caller
        sees, where floating IPs come from."""
        self.deps.policy.enforce("get_floatingip_pool", ctx, {
            "project_id": ctx.project_id, "tenant_id": ctx.project_id})
        bad = sorted(set(filters) - {"subnet_id", "subnet_name", "network_id",
                                     "project_id", "tenant_id"})
        if bad:
            raise BadRequest(f"{bad} is invalid attribute for filtering",
                             kind="HTTPBadRequest")

        def work(s: Session) -> list[dict[str, Any]]:
            networks = self.deps.collections["networks"]
            subnets = self.deps.collections["subnets"]
            stmt = sa.select(networks.model).where(networks.model.router_external.is_(True))
            clause = networks.visible(s, ctx) if not self.deps.is_admin(ctx) else None
            if clause is not None:
                stmt = stmt.where(clause)
            out = []
            for network in s.scalars(stmt.order_by(networks.model.id)):
                for sub in subnets.subnets_of(s, network.id):
                    if sub.ip_version != 4:
                        continue
                    doc = {"subnet_id": sub.id, "subnet_name": sub.name,
                           "network_id": network.id, "project_id": sub.project_id,
                           "tenant_id": sub.project_id}
                    if all(str(doc[k]) in v for k, v in filters.items()):
                        out.append({k: v for k, v in doc.items() if not fields or k in fields})
            return out
        return self.deps.db.read(work)

    # --- rendering -----------------------------------------------------------------------
    def extras(self, s: Session, ctx: RequestContext, rows: list[FloatingIP]
               ) -> dict[str, dict[str, Any]]:
        port_ids = [r.fixed_port_id for r in rows if r.fixed_port_id]
        model = self.ports.model if port_ids else None
        ports = {p.id: p for p in s.scalars(sa.select(model).where(
            model.id.in_(port_ids)))} if model is not None else {}
        forwardings: dict[str, list[dict[str, Any]]] = {}
        for pf in s.scalars(sa.select(PortForwarding).where(
                PortForwarding.floatingip_id.in_([r.id for r in rows]))
                .order_by(PortForwarding.external_port_start)):
            forwardings.setdefault(pf.floatingip_id, []).append(forwarding_summary(pf))
        out = {}
        for r in rows:
            port = ports.get(r.fixed_port_id) if r.fixed_port_id else None
            details = None if port is None else {
                "name": port.name, "network_id": port.network_id,
                "mac_address": port.mac_address, "admin_state_up": port.admin_state_up,
                "status": port.status, "device_id": port.device_id,
                "device_owner": port.device_owner}
            out[r.id] = {"port_details": details,
                         "port_forwardings": forwardings.get(r.id, [])}
        return out


def port_range(start: int, end: int) -> str:
    return f"{start}:{end}" if start != end else str(start)


def forwarding_summary(pf: PortForwarding) -> dict[str, Any]:
    """A port forwarding as a floating IP lists it (``expose-port-forwarding-in-fip``)."""
    out: dict[str, Any] = {"id": pf.id, "protocol": pf.protocol,
                           "internal_ip_address": pf.internal_ip_address,
                           "internal_port_id": pf.internal_port_id,
                           "description": pf.description}
    if pf.external_port_start == pf.external_port_end:
        out["internal_port"], out["external_port"] = pf.internal_port_start, \
            pf.external_port_start
    else:
        out["internal_port_range"] = port_range(pf.internal_port_start, pf.internal_port_end)
        out["external_port_range"] = port_range(pf.external_port_start, pf.external_port_end)
    return out

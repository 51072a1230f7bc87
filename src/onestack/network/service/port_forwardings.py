"""Port forwardings of a floating IP (``/v2.0/floatingips/{id}/port_forwardings``):
traffic to the floating IP on an external port (or range) and protocol goes to a fixed
IPv4 address of an internal port on an internal port (or range of the same size). The
internal port's subnet must reach the floating IP's network through a router, which the
floating IP then names; a floating IP associated with a port has no port forwardings, and
the other way round (Neutron's 409/400s). Unique indexes keep two forwardings from
claiming one external or one internal socket."""
from __future__ import annotations

import ipaddress
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from onestack.core.context import RequestContext
from onestack.core.errors import BadRequest, Conflict, NotFound
from onestack.network.attributes import ip_address, string, uuid_str
from onestack.network.models.floatingips import FloatingIP, PortForwarding
from onestack.network.service.engine import Deps, new_uuid
from onestack.network.service.floatingips import forwarding_summary

PROTOCOLS = ("tcp", "udp", "udplite", "dccp", "sctp")
_KEYS = {"internal_port_id", "internal_ip_address", "internal_port", "external_port",
         "internal_port_range", "external_port_range", "protocol", "description"}
_FILTERS = {"id", "internal_port_id", "internal_ip_address", "protocol", "description",
            "external_port", "internal_port"}


def bad_pf(message: str) -> BadRequest:
    return BadRequest(f"Bad port_forwarding request: {message}.", kind="BadRequest")


def port_number(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)) or \
            not str(value).isdigit() or not 1 <= int(value) <= 65535:
        raise BadRequest(f"Invalid input for {name}. Reason: '{value}' is not a valid port "
                         "number.", kind="HTTPBadRequest")
    return int(value)


def port_span(name: str, value: Any) -> tuple[int, int]:
    """``"80"`` or ``"8000:8010"`` (or an int) as (first, last)."""
    text = str(value)
    first, _, last = text.partition(":")
    lo, hi = port_number(name, first), port_number(name, last or first)
    if lo > hi:
        raise BadRequest(f"Invalid input for {name}. Reason: '{value}' is not a valid port "
                         "range.", kind="HTTPBadRequest")
    return lo, hi


class PortForwardings:
    """The use cases of a floating IP's port forwardings."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    @property
    def fips(self) -> Any:
        return self.deps.collections["floatingips"]

    def fip(self, s: Session, ctx: RequestContext, fip_id: str, action: str, *,
            lock: bool = False) -> FloatingIP:
        row = self.fips.find(s, ctx, fip_id, lock=lock)
        self.deps.policy.enforce(f"{action}_floatingip_port_forwarding", ctx,
                                 self.fips.target(row))
        return row

    def find(self, s: Session, fip: FloatingIP, pf_id: str) -> PortForwarding:
        row = s.get(PortForwarding, pf_id)
        if row is None or row.floatingip_id != fip.id:
            raise NotFound(f"Port Forwarding {pf_id} could not be found.",
                           kind="PortForwardingNotFound")
        return row

    # --- reading -------------------------------------------------------------------------
    def list(self, ctx: RequestContext, fip_id: str, filters: dict[str, list[str]],
             fields: list[str]) -> list[dict[str, Any]]:
        bad = sorted(set(filters) - _FILTERS)
        if bad:
            raise BadRequest(f"Port Forwarding filter {bad[0]} is not supported.",
                             kind="PortForwardingNotSupportFilterField")

        def work(s: Session) -> list[dict[str, Any]]:
            fip = self.fip(s, ctx, fip_id, "get")
            rows = s.scalars(sa.select(PortForwarding).where(
                PortForwarding.floatingip_id == fip.id).order_by(
                PortForwarding.external_port_start, PortForwarding.id))
            out = []
            for row in rows:
                doc = forwarding_summary(row)
                if all(str(doc.get(k)) in vs for k, vs in filters.items()):
                    out.append({k: v for k, v in doc.items() if not fields or k in fields})
            return out
        return self.deps.db.read(work)

    def show(self, ctx: RequestContext, fip_id: str, pf_id: str, fields: list[str]
             ) -> dict[str, Any]:
        def work(s: Session) -> dict[str, Any]:
            doc = forwarding_summary(self.find(s, self.fip(s, ctx, fip_id, "get"), pf_id))
            return {k: v for k, v in doc.items() if not fields or k in fields}
        return self.deps.db.read(work)

    # --- writing -------------------------------------------------------------------------
    def check(self, item: Any, *, create: bool) -> dict[str, Any]:
        if not isinstance(item, dict):
            raise bad_pf("port_forwarding must be an object")
        unknown = sorted(set(item) - _KEYS)
        if unknown:
            raise BadRequest(f"Unrecognized attribute(s) '{', '.join(unknown)}'",
                             kind="HTTPBadRequest")
        doc: dict[str, Any] = {}
        if create:
            for key in ("internal_port_id", "internal_ip_address", "protocol"):
                if key not in item:
                    raise BadRequest("Failed to parse request. Required attribute "
                                     f"'{key}' not specified", kind="HTTPBadRequest")
        if "internal_port_id" in item:
            doc["internal_port_id"] = uuid_str(item["internal_port_id"])
        if "internal_ip_address" in item:
            doc["internal_ip_address"] = ip_address(item["internal_ip_address"])
        if "protocol" in item:
            if item["protocol"] not in PROTOCOLS:
                raise BadRequest(f"Invalid input for protocol. Reason: '{item['protocol']}' "
                                 f"is not in {list(PROTOCOLS)}.", kind="HTTPBadRequest")
            doc["protocol"] = item["protocol"]
        if "description" in item:
            doc["description"] = string(255)(item["description"])
        for side in ("internal", "external"):
            single, span = item.get(f"{side}_port"), item.get(f"{side}_port_range")
            if single is not None and span is not None:
                raise bad_pf(f"{side}_port and {side}_port_range cannot be used together")
            if single is not None:
                doc[side] = (port_number(f"{side}_port", single),) * 2
            elif span is not None:
                doc[side] = port_span(f"{side}_port_range", span)
        if create and ("internal" not in doc or "external" not in doc):
            raise bad_pf("internal_port or internal_port_range, and external_port or "
                         "external_port_range are required")
        return doc

    def apply(self, s: Session, ctx: RequestContext, fip: FloatingIP, row: PortForwarding,
              doc: dict[str, Any]) -> None:
        for key in ("internal_port_id", "internal_ip_address", "protocol", "description"):
            if key in doc:
                setattr(row, key, doc[key])
        if "internal" in doc:
            row.internal_port_start, row.internal_port_end = doc["internal"]
        if "external" in doc:
            row.external_port_start, row.external_port_end = doc["external"]
        inner = row.internal_port_end - row.internal_port_start
        outer = row.external_port_end - row.external_port_start
        if inner and inner != outer:
            raise bad_pf("The internal and external port ranges must have the same size")
        if fip.fixed_port_id:
            raise Conflict(f"Floating IP {fip.id} in use by Port Forwarding resources.",
                           kind="FipInUseByPortForwarding")
        ports = self.fips.ports
        port = ports.find(s, ctx, row.internal_port_id)
        ips = ports.fixed_ips_of(s, [port.id]).get(port.id, [])
        chosen = next((ip for ip in ips if ip["ip_address"] == row.internal_ip_address), None)
        if chosen is None or ipaddress.ip_address(chosen["ip_address"]).version != 4:
            raise bad_pf(f"The internal IP address {row.internal_ip_address} is not an IPv4 "
                         f"address of port {port.id}")
        bound = s.scalar(sa.select(FloatingIP).where(
            FloatingIP.fixed_port_id == port.id,
            FloatingIP.fixed_ip_address == row.internal_ip_address))
        if bound is not None:
            raise Conflict(f"Cannot create port forwarding to floating IP "
                           f"{fip.floating_ip_address} ({fip.id}) with port {port.id} using "
                           f"fixed IP {row.internal_ip_address}, as that port already has a "
                           "binding floating IP.", kind="PortHasBindingFloatingIP")
        router_id = self.deps.collections["routers"].router_for(  # type: ignore[attr-defined]
            s, fip.floating_network_id, chosen["subnet_id"])
        if router_id is None:
            raise NotFound(f"External network {fip.floating_network_id} is not reachable "
                           f"from subnet {chosen['subnet_id']}.  Therefore, cannot associate "
                           f"Port {port.id} with a Floating IP.",
                           kind="ExternalGatewayForFloatingIPNotFound")
        others = s.scalar(sa.select(sa.func.count()).select_from(PortForwarding).where(
            PortForwarding.floatingip_id == fip.id, PortForwarding.id != row.id))
        if others and fip.router_id and fip.router_id != router_id:
            raise bad_pf(f"The internal port {port.id} is behind router {router_id}, not "
                         f"the floating IP's router {fip.router_id}")
        fip.router_id = router_id
        self.check_overlap(s, fip, row)

    @staticmethod
    def check_overlap(s: Session, fip: FloatingIP, row: PortForwarding) -> None:
        for other in s.scalars(sa.select(PortForwarding).where(
                PortForwarding.id != row.id, PortForwarding.protocol == row.protocol,
                sa.or_(PortForwarding.floatingip_id == fip.id, sa.and_(
                    PortForwarding.internal_port_id == row.internal_port_id,
                    PortForwarding.internal_ip_address == row.internal_ip_address)))):
            same_fip = other.floatingip_id == fip.id and \
                other.external_port_start <= row.external_port_end and \
                row.external_port_start <= other.external_port_end
            same_inner = other.internal_port_id == row.internal_port_id and \
                other.internal_ip_address == row.internal_ip_address and \
                other.internal_port_start <= row.internal_port_end and \
                row.internal_port_start <= other.internal_port_end
            if same_fip or same_inner:
                raise bad_pf("A duplicate port forwarding entry with same attributes already "
                             f"exists, conflicting values are {forwarding_summary(other)}")

    def create(self, ctx: RequestContext, fip_id: str, item: Any) -> dict[str, Any]:
        doc = self.check(item, create=True)

        def work(s: Session) -> dict[str, Any]:
            fip = self.fip(s, ctx, fip_id, "create", lock=True)
            row = PortForwarding(id=new_uuid(), floatingip_id=fip.id, description="")
            self.apply(s, ctx, fip, row, doc)
            s.add(row)
            self.fips.bump(fip)
            s.flush()
            return forwarding_summary(row)
        return self.write(work, fip_id)

    def update(self, ctx: RequestContext, fip_id: str, pf_id: str, item: Any
               ) -> dict[str, Any]:
        doc = self.check(item, create=False)

        def work(s: Session) -> dict[str, Any]:
            fip = self.fip(s, ctx, fip_id, "update", lock=True)
            row = self.find(s, fip, pf_id)
            self.apply(s, ctx, fip, row, doc)
            self.fips.bump(fip)
            s.flush()
            return forwarding_summary(row)
        return self.write(work, fip_id)

    def delete(self, ctx: RequestContext, fip_id: str, pf_id: str) -> None:
        def work(s: Session) -> None:
            fip = self.fip(s, ctx, fip_id, "delete", lock=True)
            s.delete(self.find(s, fip, pf_id))
            s.flush()
            left = s.scalar(sa.select(sa.func.count()).select_from(PortForwarding).where(
                PortForwarding.floatingip_id == fip.id))
            if not left and not fip.fixed_port_id:
                fip.router_id = None
            self.fips.bump(fip)
        self.write(work, fip_id)

    def write(self, work: Any, fip_id: str) -> Any:
        try:
            out = self.deps.db.write(work)
        except IntegrityError:
            raise bad_pf("A duplicate port forwarding entry with same attributes already "
                         "exists") from None
        self.deps.wake("floatingips", fip_id)
        return out

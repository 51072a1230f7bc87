"""``network-ip-availabilities``: per network and per subnet, how many addresses the
allocation pools hold and how many ports hold (admin only, as in Neutron)."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.context import RequestContext
from onestack.core.errors import BadRequest, NotFound
from onestack.network.models.l2 import Network
from onestack.network.models.ports import IPAllocation
from onestack.network.models.subnets import Subnet
from onestack.network.resources.ports import NETWORK_IP_AVAILABILITY
from onestack.network.service import ipam
from onestack.network.service.engine import Deps
from onestack.network.service.query import ListQuery

FILTERS = ("network_id", "network_name", "ip_version", "project_id", "tenant_id")


class IpAvailability:
    """Read-only: computed from networks, subnets, pools and allocations."""

    resource = NETWORK_IP_AVAILABILITY

    def __init__(self, deps: Deps) -> None:
        self.deps = deps
        deps.collections[self.resource.collection] = self  # type: ignore[assignment]

    def show(self, ctx: RequestContext, network_id: str, fields: list[str] | None = None
             ) -> dict[str, Any]:
        self.deps.policy.enforce("get_network_ip_availability", ctx, {})

        def work(s: Session) -> dict[str, Any]:
            network = s.get(Network, network_id)
            if network is None:
                raise NotFound(f"Network {network_id} could not be found.",
                               kind="NetworkNotFound")
            return pick(self.report(s, network, None), fields)
        return self.deps.db.read(work)

    def list(self, ctx: RequestContext, q: ListQuery) -> tuple[list[dict[str, Any]], bool]:
        if not self.deps.policy.allowed("get_network_ip_availability", ctx, {}):
            return [], False  # as Neutron: items a caller may not read are dropped
        bad = [name for name in q.filters if name not in FILTERS]
        if bad:
            raise BadRequest(f"{bad} is invalid attribute for filtering",
                             kind="HTTPBadRequest")

        def work(s: Session) -> tuple[list[dict[str, Any]], bool]:
            stmt = sa.select(Network).order_by(Network.created_at, Network.id)
            f = q.filters
            if f.get("network_id"):
                stmt = stmt.where(Network.id.in_(f["network_id"]))
            if f.get("network_name"):
                stmt = stmt.where(Network.name.in_(f["network_name"]))
            projects = f.get("project_id", []) + f.get("tenant_id", [])
            if projects:
                stmt = stmt.where(Network.project_id.in_(projects))
            versions = {int(v) for v in f.get("ip_version", []) if v in ("4", "6")}
            if f.get("ip_version") and not versions:
                return [], False
            out = []
            for network in s.scalars(stmt):
                doc = self.report(s, network, versions or None)
                if versions and not doc["subnet_ip_availability"]:
                    continue
                out.append(pick(doc, q.fields))
            return out, False
        return self.deps.db.read(work)

    def report(self, s: Session, network: Network, versions: set[int] | None
               ) -> dict[str, Any]:
        subnets = list(s.scalars(sa.select(Subnet).where(Subnet.network_id == network.id)
                                 .order_by(Subnet.created_at, Subnet.id)))
        used = dict(s.execute(sa.select(IPAllocation.subnet_id, sa.func.count()).where(
            IPAllocation.network_id == network.id).group_by(IPAllocation.subnet_id)).all())
        rows = []
        for sn in subnets:
            if versions and sn.ip_version not in versions:
                continue
            rows.append({"subnet_id": sn.id, "subnet_name": sn.name, "cidr": sn.cidr,
                         "ip_version": sn.ip_version,
                         "total_ips": ipam.count_in_pools(ipam.pools_of(s, sn)),
                         "used_ips": int(used.get(sn.id, 0))})
        return {"network_id": network.id, "network_name": network.name,
                "project_id": network.project_id, "tenant_id": network.project_id,
                "total_ips": sum(r["total_ips"] for r in rows),
                "used_ips": sum(r["used_ips"] for r in rows),
                "subnet_ip_availability": rows}


def pick(doc: dict[str, Any], fields: list[str] | None) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k in fields} if fields else doc


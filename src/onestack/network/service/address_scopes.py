"""Address scopes: the address families subnet pools join. A network's
``ipv4_address_scope``/``ipv6_address_scope`` is the scope of the pools its subnets of
that family were allocated from (``scopes_by_network``)."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.context import RequestContext
from onestack.core.errors import BadRequest, Conflict
from onestack.network.models.subnets import AddressScope, Subnet, SubnetPool
from onestack.network.resources.address_scopes import ADDRESS_SCOPE
from onestack.network.service.engine import Collection


class AddressScopes(Collection):
    resource = ADDRESS_SCOPE
    model = AddressScope
    quota = ""  # Neutron keeps no address scope quota

    def visible(self, s: Session | None, ctx: RequestContext) -> Any:
        clauses = [AddressScope.project_id == ctx.project_id, AddressScope.shared.is_(True)]
        rbac = self.deps.collections.get("rbac_policies")
        shared = getattr(rbac, "shared_clause", None) if rbac is not None else None
        if shared is not None:
            clause = shared(ctx, AddressScope)
            if clause is not None:
                clauses.append(clause)
        return sa.or_(*clauses)

    def prepare_update(self, s: Session, ctx: RequestContext, row: AddressScope,
                       changes: dict[str, Any]) -> None:
        if changes.get("shared") is False and row.shared:
            raise BadRequest(f"Unable to update address scope {row.id} : Shared address "
                             "scope can't be unshared.", kind="AddressScopeUpdateError")

    def before_delete(self, s: Session, ctx: RequestContext, row: AddressScope) -> None:
        if s.scalar(sa.select(SubnetPool.id).where(
                SubnetPool.address_scope_id == row.id).limit(1)):
            raise Conflict(f"Unable to complete operation on address scope {row.id}. There "
                           "are one or more subnet pools in use on the address scope.",
                           kind="AddressScopeInUse")
        rbac = getattr(self.deps.collections.get("rbac_policies"), "delete_for_object", None)
        if rbac is not None:
            rbac(s, ctx, row, "address_scope")

    def scopes_by_network(self, s: Session, network_ids: list[str]
                          ) -> dict[str, dict[int, str | None]]:
        """``{network_id: {4: scope or None, 6: scope or None}}`` through the pools of the
        networks' subnets."""
        out: dict[str, dict[int, str | None]] = {}
        for start in range(0, len(network_ids), 500):
            rows = s.execute(
                sa.select(Subnet.network_id, Subnet.ip_version, SubnetPool.address_scope_id)
                .join(SubnetPool, SubnetPool.id == Subnet.subnetpool_id)
                .where(Subnet.network_id.in_(network_ids[start:start + 500]),
                       SubnetPool.address_scope_id.is_not(None)))
            for net_id, version, scope in rows:
                out.setdefault(net_id, {4: None, 6: None})[version] = scope
        return out

"""Address groups: named sets of CIDRs a security group rule can name as its remote
(``remote_address_group_id``); addresses change only through the ``add_addresses`` and
``remove_addresses`` actions, and a group a rule names cannot be deleted."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.context import RequestContext
from onestack.core.errors import BadRequest, Conflict, NotFound
from onestack.network.models.security import (AddressGroup, AddressGroupAddress,
                                              SecurityGroupRule)
from onestack.network.resources.security import ADDRESS_GROUP, address
from onestack.network.service.engine import Collection


def ag_not_found(ident: str) -> NotFound:
    return NotFound(f"Address group {ident} could not be found.", kind="AddressGroupNotFound")


class AddressGroups(Collection):
    resource = ADDRESS_GROUP
    model = AddressGroup

    def not_found(self, ident: str) -> NotFound:
        return ag_not_found(ident)

    def visible(self, s: Session | None, ctx: RequestContext) -> Any:
        clauses = [AddressGroup.project_id == ctx.project_id]
        other = self.deps.collections.get("rbac_policies")
        shared = getattr(other, "shared_clause", None) if other is not None else None
        if shared is not None:
            clause = shared(ctx, AddressGroup)
            if clause is not None:
                clauses.append(clause)
        return sa.or_(*clauses)

    def after_create(self, s: Session, ctx: RequestContext, row: AddressGroup,
                     doc: dict[str, Any]) -> None:
        for value in dict.fromkeys(doc.get("addresses") or []):
            s.add(AddressGroupAddress(address_group_id=row.id, address=value))
        s.flush()

    def before_delete(self, s: Session, ctx: RequestContext, row: AddressGroup) -> None:
        used = s.scalar(sa.select(SecurityGroupRule.id).where(
            SecurityGroupRule.remote_address_group_id == row.id).limit(1))
        if used is not None:
            raise Conflict(f"Address group {row.id} is in use on one or more security group "
                           "rules.", kind="AddressGroupInUse")

    # after the commit: the network agents rewire ports whose rules name the group
    def updated(self, doc: dict[str, Any]) -> None:
        self.deps.wake("address_groups", doc["id"])

    def deleted(self, ident: str) -> None:
        self.deps.wake("address_groups", ident)

    def extras(self, s: Session, ctx: RequestContext, rows: list[AddressGroup]
               ) -> dict[str, dict[str, Any]]:
        found = self.addresses_of(s, [r.id for r in rows])
        return {r.id: {"addresses": found.get(r.id, [])} for r in rows}

    def addresses_of(self, s: Session, ids: list[str]) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for start in range(0, len(ids), 500):
            for group_id, value in s.execute(sa.select(
                    AddressGroupAddress.address_group_id, AddressGroupAddress.address).where(
                    AddressGroupAddress.address_group_id.in_(ids[start:start + 500]))):
                out.setdefault(group_id, []).append(value)
        return {k: sorted(v) for k, v in out.items()}

    def check_visible(self, s: Session, ctx: RequestContext, ident: str,
                      project_id: str) -> None:
        """404 AddressGroupNotFound unless the group exists for the caller or project."""
        stmt = sa.select(AddressGroup.id).where(AddressGroup.id == ident)
        if not self.deps.is_admin(ctx):
            stmt = stmt.where(sa.or_(AddressGroup.project_id == project_id,
                                     self.visible(s, ctx)))
        if s.scalar(stmt) is None:
            raise ag_not_found(ident)

    def change_addresses(self, ctx: RequestContext, ident: str, body: Any, *,
                         add: bool) -> dict[str, Any]:
        """``add_addresses``/``remove_addresses``: 400 AddressesAlreadyExist for an
        address the group has, 404 AddressesNotFound for one it lacks."""
        if not isinstance(body, dict) or not isinstance(body.get("addresses"), list):
            raise BadRequest("Invalid input for operation: addresses must be a list.",
                             kind="InvalidInput")
        wanted = list(dict.fromkeys(address(a) for a in body["addresses"]))

        def work(s: Session) -> dict[str, Any]:
            row = self.find(s, ctx, ident, lock=True)
            self.deps.policy.enforce(
                "add_addresses" if add else "remove_addresses", ctx, self.target(row))
            current = set(self.addresses_of(s, [row.id]).get(row.id, []))
            if add:
                clash = [a for a in wanted if a in current]
                if clash:
                    raise BadRequest(f"Addresses {clash} already exist in the address group "
                                     f"{row.id}.", kind="AddressesAlreadyExist")
                for value in wanted:
                    s.add(AddressGroupAddress(address_group_id=row.id, address=value))
            else:
                missing = [a for a in wanted if a not in current]
                if missing:
                    raise NotFound(f"Addresses {missing} not found in the address group "
                                   f"{row.id}.", kind="AddressesNotFound")
                s.execute(sa.delete(AddressGroupAddress).where(
                    AddressGroupAddress.address_group_id == row.id,
                    AddressGroupAddress.address.in_(wanted)))
            self.bump(row)
            s.flush()
            return self.render(s, ctx, [row])[0]
        doc = self.deps.db.write(work)
        self.updated(doc)
        return doc

"""Subnet pools: prefixes a project's subnets are carved from, the prefix lengths they may
take, a per-project quota in address units, one default pool per IP family, membership
of an address scope; and the allocation itself (``allocate``), done under a lock on the
pool's row so that two concurrent requests never receive overlapping CIDRs.
"""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.context import RequestContext
from onestack.core.errors import BadRequest, Conflict, Forbidden
from onestack.network.models.subnets import AddressScope, Subnet, SubnetPool, SubnetPoolPrefix
from onestack.network.resources.subnetpools import SUBNETPOOL
from onestack.network.service import subnet_math as m
from onestack.network.service.engine import Collection

DEFAULT_MIN = {4: 8, 6: 64}
MAX_LEN = {4: 32, 6: 128}


def bounds_error(kind: str, value: int, base_kind: str, base: int) -> BadRequest:
    return BadRequest(f"Illegal prefix bounds: {kind}={value}, {base_kind}={base}.",
                      kind="IllegalSubnetPoolPrefixBounds")


def check_bounds(version: int, low: int, high: int, default: int) -> None:
    if high > MAX_LEN[version]:
        raise bounds_error("max_prefixlen", high, "ip_version_max", MAX_LEN[version])
    if low > high:
        raise bounds_error("min_prefixlen", low, "max_prefixlen", high)
    if default < low:
        raise bounds_error("default_prefixlen", default, "min_prefixlen", low)
    if default > high:
        raise bounds_error("default_prefixlen", default, "max_prefixlen", high)


def pool_version(prefixes: list[str]) -> int:
    versions = {m.network(p).version for p in prefixes}
    if len(versions) > 1:
        raise BadRequest("Cannot mix IPv4 and IPv6 prefixes in a subnet pool.",
                         kind="PrefixVersionMismatch")
    return versions.pop()


class SubnetPools(Collection):
    resource = SUBNETPOOL
    model = SubnetPool
    quota = ""  # a pool limits what it hands out (default_quota), not how many pools

    def visible(self, s: Session | None, ctx: RequestContext) -> Any:
        clauses = [SubnetPool.project_id == ctx.project_id, SubnetPool.shared.is_(True)]
        rbac = self.deps.collections.get("rbac_policies")
        shared = getattr(rbac, "shared_clause", None) if rbac is not None else None
        if shared is not None:
            clause = shared(ctx, SubnetPool)
            if clause is not None:
                clauses.append(clause)
        return sa.or_(*clauses)

    # --- create / update -------------------------------------------------------------------
    def prepare_create(self, s: Session, ctx: RequestContext, doc: dict[str, Any]) -> None:
        prefixes = m.compact(doc["prefixes"])
        version = pool_version(prefixes)
        low = doc.get("min_prefixlen")
        low = DEFAULT_MIN[version] if low is None else low
        high = doc.get("max_prefixlen")
        high = MAX_LEN[version] if high is None else high
        default = doc.get("default_prefixlen")
        default = low if default is None else default
        check_bounds(version, low, high, default)
        doc.update(prefixes=prefixes, ip_version=version, min_prefixlen=low,
                   max_prefixlen=high, default_prefixlen=default)
        if doc.get("is_default"):
            self.check_no_default(s, version, None)
        if doc.get("address_scope_id"):
            self.check_scope(s, ctx, doc["address_scope_id"], version, prefixes, None)

    def after_create(self, s: Session, ctx: RequestContext, row: SubnetPool,
                     doc: dict[str, Any]) -> None:
        self.write_prefixes(s, row.id, doc["prefixes"])

    def check_no_default(self, s: Session, version: int, own_id: str | None) -> None:
        other = self.default_pool(s, version)
        if other is not None and other.id != own_id:
            raise BadRequest("Invalid input for operation: A default subnetpool for this IP "
                             "family has already been set. Only one default may exist per "
                             "IP family.", kind="InvalidInput")

    def check_scope(self, s: Session, ctx: RequestContext, scope_id: str, version: int,
                    prefixes: list[str], pool_id: str | None) -> None:
        scope = self.deps.get("address_scopes").find(s, ctx, scope_id)
        if scope.ip_version != version:
            raise BadRequest(f"Illegal subnetpool association: subnetpool {pool_id or 'new'} "
                             f"cannot associate with address scope {scope_id} because "
                             f"subnetpool ip_version is not {scope.ip_version}.",
                             kind="IllegalSubnetPoolIpVersionAssociationToAddressScope")
        if not scope.shared and scope.project_id != ctx.project_id and \
                not self.deps.is_admin(ctx):
            raise BadRequest(f"Illegal subnetpool association: subnetpool {pool_id or 'new'} "
                             f"cannot be associated with address scope {scope_id}.",
                             kind="IllegalSubnetPoolAssociationToAddressScope")
        others = s.scalars(sa.select(SubnetPool.id).where(
            SubnetPool.address_scope_id == scope_id))
        for other in others:
            if other == pool_id:
                continue
            theirs = self.prefixes_of(s, [other]).get(other, [])
            if any(m.overlaps(a, b) for a in theirs for b in prefixes):
                raise Conflict("Failed to associate address scope: subnetpools within an "
                               "address scope must have unique prefixes.",
                               kind="AddressScopePrefixConflict")

    def prepare_update(self, s: Session, ctx: RequestContext, row: SubnetPool,
                       changes: dict[str, Any]) -> None:
        prefixes = self.prefixes_of(s, [row.id]).get(row.id, [])
        if "prefixes" in changes:
            new = m.compact(changes["prefixes"])
            if pool_version(new) != row.ip_version:
                raise BadRequest("Cannot mix IPv4 and IPv6 prefixes in a subnet pool.",
                                 kind="PrefixVersionMismatch")
            if not m.covers(new, prefixes):
                raise BadRequest("Illegal update to prefixes: Existing prefixes must be a "
                                 "subset of the new prefixes.",
                                 kind="IllegalSubnetPoolPrefixUpdate")
            changes["prefixes"] = prefixes = new
        low = changes.get("min_prefixlen")
        low = row.min_prefixlen if low is None else low
        high = changes.get("max_prefixlen")
        high = row.max_prefixlen if high is None else high
        default = changes.get("default_prefixlen")
        default = row.default_prefixlen if default is None else default
        check_bounds(row.ip_version, low, high, default)
        for key, value in (("min_prefixlen", low), ("max_prefixlen", high),
                           ("default_prefixlen", default)):
            if key in changes:
                changes[key] = value
        if changes.get("is_default") and not row.is_default:
            self.check_no_default(s, row.ip_version, row.id)
        if row.address_scope_id and not self.deps.is_admin(ctx):
            owner = s.scalar(sa.select(AddressScope.project_id).where(
                AddressScope.id == row.address_scope_id))
            if owner is not None and owner != ctx.project_id:
                raise BadRequest(f"Illegal subnetpool update : subnetpool {row.id} cannot be "
                                 "updated when associated with shared address scope "
                                 f"{row.address_scope_id}.", kind="IllegalSubnetPoolUpdate")
        scope = changes.get("address_scope_id", row.address_scope_id)
        if scope and ("address_scope_id" in changes or "prefixes" in changes):
            self.check_scope(s, ctx, scope, row.ip_version, prefixes, row.id)
        if "address_scope_id" in changes and scope != row.address_scope_id:
            self.check_rescope(s, row)

    @staticmethod
    def check_rescope(s: Session, row: SubnetPool) -> None:
        """A pool may change scope only if no network mixes its subnets with other subnets
        of the family (they would end up in two scopes)."""
        networks = sa.select(Subnet.network_id).where(Subnet.subnetpool_id == row.id)
        mixed = s.scalar(sa.select(Subnet.id).where(
            Subnet.network_id.in_(networks), Subnet.ip_version == row.ip_version,
            sa.or_(Subnet.subnetpool_id.is_(None), Subnet.subnetpool_id != row.id)).limit(1))
        if mixed:
            raise BadRequest("Subnets of the same address family hosted on the same network "
                             "must all participate in the same address scope.",
                             kind="NetworkAddressScopeAffinityError")

    def after_update(self, s: Session, ctx: RequestContext, row: SubnetPool,
                     changes: dict[str, Any]) -> None:
        if "prefixes" in changes:
            self.write_prefixes(s, row.id, changes["prefixes"])

    def before_delete(self, s: Session, ctx: RequestContext, row: SubnetPool) -> None:
        if s.scalar(sa.select(Subnet.id).where(Subnet.subnetpool_id == row.id).limit(1)):
            raise BadRequest("Unable to delete subnet pool: Subnet pool has existing "
                             "allocations.", kind="SubnetPoolDeleteError")
        s.execute(sa.delete(SubnetPoolPrefix).where(SubnetPoolPrefix.subnetpool_id == row.id))
        rbac = getattr(self.deps.collections.get("rbac_policies"), "delete_for_object", None)
        if rbac is not None:
            rbac(s, ctx, row, "subnetpool")

    # --- prefixes --------------------------------------------------------------------------
    @staticmethod
    def write_prefixes(s: Session, pool_id: str, prefixes: list[str]) -> None:
        s.execute(sa.delete(SubnetPoolPrefix).where(SubnetPoolPrefix.subnetpool_id == pool_id))
        for cidr in prefixes:
            s.add(SubnetPoolPrefix(subnetpool_id=pool_id, cidr=cidr))
        s.flush()

    @staticmethod
    def prefixes_of(s: Session, ids: list[str]) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for pid, cidr in s.execute(sa.select(SubnetPoolPrefix.subnetpool_id,
                                             SubnetPoolPrefix.cidr).where(
                SubnetPoolPrefix.subnetpool_id.in_(ids))):
            out.setdefault(pid, []).append(cidr)
        return {k: sorted(v, key=lambda c: (m.network(c).version, m.network(c)))
                for k, v in out.items()}

    def view(self, row: Any, extra: dict[str, Any], tags: list[str],
             hidden: set[str]) -> dict[str, Any]:
        """Neutron shows a pool's prefix lengths as strings ("24")."""
        doc = super().view(row, extra, tags, hidden)
        for key in ("default_prefixlen", "min_prefixlen", "max_prefixlen"):
            if doc.get(key) is not None:
                doc[key] = str(doc[key])
        return doc

    def extras(self, s: Session, ctx: RequestContext, rows: list[SubnetPool]
               ) -> dict[str, dict[str, Any]]:
        prefixes = self.prefixes_of(s, [r.id for r in rows])
        return {r.id: {"prefixes": prefixes.get(r.id, [])} for r in rows}

    def change_prefixes(self, ctx: RequestContext, ident: str, body: Any,
                        add: bool) -> dict[str, Any]:
        """``add_prefixes`` / ``remove_prefixes`` (subnetpool-prefix-ops): the pool's
        prefixes after the change. A prefix in use by a subnet cannot be removed."""
        from onestack.network.resources.subnetpools import prefix_list

        if not isinstance(body, dict) or "prefixes" not in body:
            raise BadRequest("Invalid input for operation: prefixes must be given.",
                             kind="InvalidInput")
        given = prefix_list(body["prefixes"])

        def work(s: Session) -> dict[str, Any]:
            row = self.find(s, ctx, ident, lock=True)
            self.deps.policy.enforce(f"{'add' if add else 'remove'}_prefixes", ctx,
                                     self.target(row))
            current = self.prefixes_of(s, [row.id]).get(row.id, [])
            if pool_version(given) != row.ip_version:
                raise BadRequest("Cannot mix IPv4 and IPv6 prefixes in a subnet pool.",
                                 kind="PrefixVersionMismatch")
            if add:
                new = m.compact(current + given)
            else:
                used = list(s.scalars(sa.select(Subnet.cidr).where(
                    Subnet.subnetpool_id == row.id)))
                if any(m.overlaps(u, g) for u in used for g in given):
                    raise BadRequest("Illegal update to prefixes: Cannot remove prefixes "
                                     "that are in use by subnets.",
                                     kind="IllegalSubnetPoolPrefixUpdate")
                new = [str(n) for n in m.subtract(current, given)]
                new = m.compact(new)
            if row.address_scope_id:
                self.check_scope(s, ctx, row.address_scope_id, row.ip_version, new, row.id)
            self.write_prefixes(s, row.id, new)
            self.bump(row)
            return {"prefixes": self.prefixes_of(s, [row.id]).get(row.id, [])}
        return self.deps.db.write(work)

    def onboard(self, ctx: RequestContext, ident: str, body: Any) -> list[dict[str, str]]:
        """``onboard_network_subnets`` (subnet_onboard): a network's subnets of the pool's
        family join the pool, their CIDRs added to its prefixes. The caller must own the
        network (or be admin); a subnet overlapping what the pool already allocated is a
        400."""
        network_id = body.get("network_id") if isinstance(body, dict) else None
        if not network_id:
            raise BadRequest("Invalid input for operation: network_id must be specified.",
                             kind="InvalidInput")

        def work(s: Session) -> list[dict[str, str]]:
            row = self.find(s, ctx, ident, lock=True)
            self.deps.policy.enforce("onboard_network_subnets", ctx, self.target(row))
            network = self.deps.get("networks").find(s, ctx, network_id)
            if not self.deps.is_admin(ctx) and network.project_id != ctx.project_id:
                raise Forbidden("User is not authorized to perform this action.",
                                kind="NotAuthorized")
            joining = [sub for sub in self.deps.get("subnets").subnets_of(  # type: ignore
                s, network.id) if sub.ip_version == row.ip_version]
            allocated = list(s.scalars(sa.select(Subnet.cidr).where(
                Subnet.subnetpool_id == row.id)))
            for sub in joining:
                if any(m.overlaps(sub.cidr, taken) for taken in allocated):
                    raise BadRequest(f"Illegal subnetpool update : Onboarding subnet "
                                     f"{sub.id}: {sub.cidr} conflicts with allocated "
                                     f"prefixes in subnet pool {row.id}.",
                                     kind="IllegalSubnetPoolUpdate")
            current = self.prefixes_of(s, [row.id]).get(row.id, [])
            new = m.compact(current + [sub.cidr for sub in joining])
            if row.address_scope_id:
                self.check_scope(s, ctx, row.address_scope_id, row.ip_version, new, row.id)
            self.write_prefixes(s, row.id, new)
            for sub in joining:
                sub.subnetpool_id = row.id
                self.bump(sub)
            self.bump(row)
            s.flush()
            return [{"id": sub.id, "cidr": sub.cidr} for sub in joining]
        return self.deps.db.write(work)

    # --- allocation ------------------------------------------------------------------------
    def default_pool(self, s: Session, version: int) -> SubnetPool | None:
        return s.scalar(sa.select(SubnetPool).where(SubnetPool.is_default.is_(True),
                                                    SubnetPool.ip_version == version))

    def allocate(self, s: Session, ctx: RequestContext, pool_id: str, version: int,
                 project_id: str, cidr: str | None, prefixlen: int | None) -> str:
        """A CIDR for a new subnet from the pool: ``cidr`` if it lies in the pool's free
        space, else the first free prefix of ``prefixlen`` (default: the pool's)."""
        pool = self.find(s, ctx, pool_id, lock=True)
        if version != pool.ip_version:
            raise m.bad_subnets(f"Cannot allocate IPv{version} subnet from "
                                f"IPv{pool.ip_version} subnet pool")
        want = m.network(cidr).prefixlen if cidr else (
            pool.default_prefixlen if prefixlen is None else prefixlen)
        if want > pool.max_prefixlen:
            raise BadRequest(f"Unable to allocate subnet with prefix length {want}, maximum "
                             f"allowed prefix is {pool.max_prefixlen}.",
                             kind="MaxPrefixSubnetAllocationError")
        if want < pool.min_prefixlen:
            raise BadRequest(f"Unable to allocate subnet with prefix length {want}, minimum "
                             f"allowed prefix is {pool.min_prefixlen}.",
                             kind="MinPrefixSubnetAllocationError")
        used = list(s.scalars(sa.select(Subnet.cidr).where(Subnet.subnetpool_id == pool.id)))
        self.check_pool_quota(s, pool, project_id, want)
        prefixes = self.prefixes_of(s, [pool.id]).get(pool.id, [])
        if cidr:
            if not m.is_free(prefixes, used, cidr):
                raise Conflict("Failed to allocate subnet: Cannot allocate requested subnet "
                               "from the available set of prefixes.",
                               kind="SubnetAllocationError")
            return cidr
        found = m.first_free(prefixes, used, want)
        if found is None:
            raise Conflict(f"Failed to allocate subnet: Insufficient prefix space to "
                           f"allocate subnet size /{want}.", kind="SubnetAllocationError")
        return found

    @staticmethod
    def check_pool_quota(s: Session, pool: SubnetPool, project_id: str, prefixlen: int) -> None:
        if not pool.default_quota:
            return
        mine = s.scalars(sa.select(Subnet.cidr).where(Subnet.subnetpool_id == pool.id,
                                                      Subnet.project_id == project_id))
        used = sum(m.quota_units(c) for c in mine)
        unit = 32 if pool.ip_version == 4 else 64
        if used + 2 ** max(unit - prefixlen, 0) > pool.default_quota:
            raise Conflict("Per-project subnet pool prefix quota exceeded.",
                           kind="SubnetPoolQuotaExceeded")


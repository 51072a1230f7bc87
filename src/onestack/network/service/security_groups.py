"""Security groups: each project's ``default`` group (made on first use, once even when
replicas race), the rules a new group starts with, who sees a group, and what a group in
use refuses.

Used by other collections inside their transaction (exact names):
``check_groups(s, ctx, ids, project_id) -> [ids]`` (404 SecurityGroupNotFound for an
unknown or invisible id), ``default_group_id(s, ctx, project_id) -> id``,
``groups_of_ports(s, port_ids) -> {port_id: [group ids]}``,
``bind_port(s, port_id, ids)`` / ``unbind_port(s, port_id)`` (the binding rows),
``rules_of_groups(s, ids) -> {group_id: [rule dicts]}`` (for the network agent), and
``find``/``show``/``list``/``create``/``delete`` as for every collection (Nova's
``os-security-groups`` proxy).
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from onestack.core.context import RequestContext
from onestack.core.db import utcnow
from onestack.core.errors import Conflict, NotFound
from onestack.network.models.security import SecurityGroup, SecurityGroupRule
from onestack.network.resources.security import SECURITY_GROUP
from onestack.network.service.engine import Collection, new_uuid
from onestack.network.service.query import ListQuery

DEFAULT_NAME = "default"
DEFAULT_DESCRIPTION = "Default security group"


def _port_bindings(deps: Any) -> Any | None:
    """The ports' binding table (``models.ports.PortSecurityGroup``), None while no
    ports collection is served."""
    if "ports" not in deps.collections:
        return None
    try:
        from onestack.network.models.ports import PortSecurityGroup
    except ImportError:  # pragma: no cover - ports not built yet
        return None
    return PortSecurityGroup


def sg_not_found(ident: str) -> NotFound:
    return NotFound(f"Security group {ident} does not exist", kind="SecurityGroupNotFound")


def sg_in_use(ident: str) -> Conflict:
    return Conflict(f"Security Group {ident} in use.", kind="SecurityGroupInUse")


# Built once: every port create without groups asks it.
DEFAULT_OF = sa.select(SecurityGroup.id).where(
    SecurityGroup.default_for == sa.bindparam("project_id"))

class SecurityGroups(Collection):
    resource = SECURITY_GROUP
    model = SecurityGroup
    quota = "security_group"

    def optional(self, collection: str, method: str) -> Any | None:
        other = self.deps.collections.get(collection)
        return getattr(other, method, None) if other is not None else None

    @property
    def rules(self) -> Any:
        return self.deps.get("security_group_rules")

    def not_found(self, ident: str) -> NotFound:
        return sg_not_found(ident)

    # --- visibility ----------------------------------------------------------------------
    def visible(self, s: Session | None, ctx: RequestContext) -> Any:
        clauses = [SecurityGroup.project_id == ctx.project_id]
        shared = self.optional("rbac_policies", "shared_clause")
        if shared is not None:
            clause = shared(ctx, SecurityGroup)
            if clause is not None:
                clauses.append(clause)
        return sa.or_(*clauses)

    def shared_ids(self, s: Session, ctx: RequestContext, ids: list[str]) -> set[str]:
        """The groups among ``ids`` shared to the caller by an RBAC policy."""
        shared = self.optional("rbac_policies", "shared_clause")
        if shared is None or not ids:
            return set()
        clause = shared(ctx, SecurityGroup)
        if clause is None:
            return set()
        return set(s.scalars(sa.select(SecurityGroup.id).where(
            SecurityGroup.id.in_(ids), clause)))

    def list_statement(self, s: Session, ctx: RequestContext, q: ListQuery) -> Any:
        """``?shared=`` is about the caller: groups an RBAC policy shares with its
        project (the engine's filters know no caller, so it is answered here)."""
        if "shared" not in q.filters:
            return super().list_statement(s, ctx, q)
        wanted = {v.lower() in ("true", "1") for v in q.filters["shared"]}
        rest = replace(q, filters={k: v for k, v in q.filters.items() if k != "shared"})
        stmt = super().list_statement(s, ctx, rest)
        if len(wanted) == 2:
            return stmt
        shared = self.optional("rbac_policies", "shared_clause")
        clause = shared(ctx, SecurityGroup) if shared is not None else None
        if clause is None:
            clause = sa.false()
        return stmt.where(clause if True in wanted else sa.not_(clause))

    # --- the default group ---------------------------------------------------------------
    def default_id_of(self, s: Session, project_id: str) -> str | None:
        return s.scalar(DEFAULT_OF, {"project_id": project_id})

    def default_group_id(self, s: Session, ctx: RequestContext, project_id: str) -> str:
        """The project's ``default`` group, made with Neutron's default rules on first
        use. Two transactions racing to make it end with one group: the unique
        ``default_for`` refuses the second, which then reads the first."""
        found = self.default_id_of(s, project_id)
        if found is not None:
            return found
        try:
            with s.begin_nested():
                now = utcnow()
                group = SecurityGroup(id=new_uuid(), project_id=project_id,
                                      name=DEFAULT_NAME, description=DEFAULT_DESCRIPTION,
                                      stateful=True, default_for=project_id,
                                      created_at=now, updated_at=now, revision_number=0)
                s.add(group)
                s.flush()
                for ethertype in ("IPv4", "IPv6"):
                    self.rules.make(s, group, direction="ingress", ethertype=ethertype,
                                    remote_group_id=group.id, bump=False)
                    self.rules.make(s, group, direction="egress", ethertype=ethertype,
                                    bump=False)
                return group.id
        except IntegrityError:
            found = s.scalar(sa.select(SecurityGroup.id).where(
                SecurityGroup.default_for == project_id).with_for_update())
            if found is None:
                raise
            return found

    def ensure_default(self, ctx: RequestContext, project_id: str | None) -> None:
        """Make the project's default group unless it exists (its own transaction)."""
        if not project_id:
            return
        if self.deps.db.read(lambda s: self.default_id_of(s, project_id)) is not None:
            return
        self.deps.db.write(lambda s: self.default_group_id(s, ctx, project_id))

    def list(self, ctx: RequestContext, q: ListQuery) -> tuple[list[dict[str, Any]], bool]:
        self.ensure_default(ctx, self.listed_project(ctx, q))
        return super().list(ctx, q)

    def listed_project(self, ctx: RequestContext, q: ListQuery) -> str | None:
        """The project whose default group a list makes (Neutron makes it on the
        project's first list): the filtered project for an admin, else the caller's."""
        wanted = q.filters.get("project_id") or q.filters.get("tenant_id") or []
        if wanted and self.deps.is_admin(ctx):
            return wanted[0]
        return ctx.project_id

    # --- create / update / delete --------------------------------------------------------
    def check_create(self, ctx: RequestContext, item: Any) -> dict[str, Any]:
        doc = super().check_create(ctx, item)
        if str(doc.get("name", "")).lower() == DEFAULT_NAME:
            raise Conflict("Default security group already exists.",
                           kind="SecurityGroupDefaultAlreadyExists")
        return doc

    def prepare_create(self, s: Session, ctx: RequestContext, doc: dict[str, Any]) -> None:
        self.default_group_id(s, ctx, doc["project_id"])

    def after_create(self, s: Session, ctx: RequestContext, row: SecurityGroup,
                     doc: dict[str, Any]) -> None:
        # a new group lets everything out, as Neutron's default rule templates say
        for ethertype in ("IPv4", "IPv6"):
            self.rules.make(s, row, direction="egress", ethertype=ethertype, bump=False)

    def update(self, ctx: RequestContext, ident: str, item: Any,
               if_match: int | None = None) -> dict[str, Any]:
        if isinstance(item, dict) and isinstance(item.get("name"), str) and \
                item["name"].lower() == DEFAULT_NAME:
            raise Conflict("Default security group already exists.",
                           kind="SecurityGroupDefaultAlreadyExists")
        return super().update(ctx, ident, item, if_match)

    def prepare_update(self, s: Session, ctx: RequestContext, row: SecurityGroup,
                       changes: dict[str, Any]) -> None:
        if "stateful" in changes and changes["stateful"] != row.stateful and \
                self.in_use(s, row.id):
            raise sg_in_use(row.id)
        if row.name == DEFAULT_NAME and "name" in changes:
            raise Conflict("Updating default security group not allowed.",
                           kind="SecurityGroupCannotUpdateDefault")

    def before_delete(self, s: Session, ctx: RequestContext, row: SecurityGroup) -> None:
        if self.in_use(s, row.id):
            raise sg_in_use(row.id)
        if row.name == DEFAULT_NAME and not self.deps.is_admin(ctx):
            raise Conflict("Insufficient rights for removing default security group.",
                           kind="SecurityGroupCannotRemoveDefault")
        self.rules.delete_for_group(s, row)

    def in_use(self, s: Session, group_id: str) -> bool:
        binding = _port_bindings(self.deps)
        if binding is None:
            return False
        return s.scalar(sa.select(binding.port_id).where(
            binding.security_group_id == group_id).limit(1)) is not None

    # after the commit: the network agents rewire the ports the group applies to
    def created(self, doc: dict[str, Any]) -> None:
        self.deps.wake("security_groups", doc["id"])

    def updated(self, doc: dict[str, Any]) -> None:
        self.deps.wake("security_groups", doc["id"])

    def deleted(self, ident: str) -> None:
        self.deps.wake("security_groups", ident)

    # --- rendering -----------------------------------------------------------------------
    def extras(self, s: Session, ctx: RequestContext, rows: list[SecurityGroup]
               ) -> dict[str, dict[str, Any]]:
        ids = [r.id for r in rows]
        rules = self.rules.rendered_by_group(s, ctx, ids)
        shared = self.shared_ids(s, ctx, ids)
        return {r.id: {"security_group_rules": rules.get(r.id, []),
                       "shared": r.id in shared} for r in rows}

    # --- what other collections call -----------------------------------------------------
    def check_groups(self, s: Session, ctx: RequestContext, ids: list[str],
                     project_id: str) -> list[str]:
        """``ids`` without repeats, each an existing group the caller (or the port's
        project) may use; 404 SecurityGroupNotFound otherwise, 409 SecurityGroupConflict
        for stateful and stateless groups together (one port cannot have both)."""
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return []
        stmt = sa.select(SecurityGroup.id, SecurityGroup.stateful).where(
            SecurityGroup.id.in_(wanted))
        if not self.deps.is_admin(ctx):
            stmt = stmt.where(sa.or_(SecurityGroup.project_id == project_id,
                                     self.visible(s, ctx)))
        found = {row[0]: row[1] for row in s.execute(stmt)}
        missing = [i for i in wanted if i not in found]
        if missing:
            raise sg_not_found(", ".join(missing))
        if len(set(found.values())) > 1:
            raise Conflict("Error Cannot apply both stateful and stateless security groups "
                           "on the same port at the same time while attempting the "
                           "operation.", kind="SecurityGroupConflict")
        return wanted

    def groups_of_ports(self, s: Session, port_ids: list[str]) -> dict[str, list[str]]:
        binding = _port_bindings(self.deps)
        out: dict[str, list[str]] = {}
        if binding is None or not port_ids:
            return out
        for start in range(0, len(port_ids), 500):
            for port_id, group_id in s.execute(sa.select(
                    binding.port_id, binding.security_group_id).where(
                    binding.port_id.in_(port_ids[start:start + 500])).order_by(
                    binding.port_id, binding.security_group_id)):
                out.setdefault(port_id, []).append(group_id)
        return out

    def bind_port(self, s: Session, port_id: str, ids: list[str]) -> None:
        """Make ``ids`` the port's groups (checked by ``check_groups`` first)."""
        binding = _port_bindings(self.deps)
        s.execute(sa.delete(binding).where(binding.port_id == port_id))
        for group_id in dict.fromkeys(ids):
            s.add(binding(port_id=port_id, security_group_id=group_id))
        s.flush()

    def unbind_port(self, s: Session, port_id: str) -> None:
        binding = _port_bindings(self.deps)
        s.execute(sa.delete(binding).where(binding.port_id == port_id))

    def rules_of_groups(self, s: Session, ids: list[str]) -> dict[str, list[dict]]:
        """The rules of each group as plain dicts (the agent resolves remote groups)."""
        out: dict[str, list[dict]] = {i: [] for i in ids}
        if not ids:
            return out
        for rule in s.scalars(sa.select(SecurityGroupRule).where(
                SecurityGroupRule.security_group_id.in_(ids)).order_by(
                SecurityGroupRule.created_at, SecurityGroupRule.id)):
            out[rule.security_group_id].append({
                "id": rule.id, "direction": rule.direction, "ethertype": rule.ethertype,
                "protocol": rule.protocol, "port_range_min": rule.port_range_min,
                "port_range_max": rule.port_range_max,
                "remote_ip_prefix": rule.remote_ip_prefix,
                "remote_group_id": rule.remote_group_id,
                "remote_address_group_id": rule.remote_address_group_id})
        return out

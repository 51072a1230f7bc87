"""Security group rules: Neutron's checks of a rule (port ranges per protocol, ICMP type
and code, ethertype against the remote prefix and the protocol, one remote at most), its
canonical form, and duplicates refused by the database (a unique fingerprint), so two
racing requests cannot both add one rule. A rule belongs to its group: adding or deleting
one bumps the group's revision."""
from __future__ import annotations

import ipaddress
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from onestack.core.context import RequestContext
from onestack.core.db import utcnow
from onestack.core.errors import BadRequest, Conflict, NotFound
from onestack.network.models.security import SecurityGroup, SecurityGroupRule
from onestack.network.resources.security import (PORT_PROTOCOLS, PROTOCOLS,
                                                 SECURITY_GROUP_RULE)
from onestack.network.service.engine import Collection, new_uuid
from onestack.network.service.query import ListQuery

ICMP_NUMBERS = (1, 58)
IPV6_ONLY = ("ipv6-encap", "ipv6-frag", "ipv6-icmp", "icmpv6", "ipv6-nonxt", "ipv6-opts",
             "ipv6-route", "41", "43", "44", "58", "59", "60")
ANY_PREFIXES = ("0.0.0.0/0", "::/0")
MATCH_FIELDS = ("direction", "ethertype", "protocol", "port_range_min", "port_range_max",
                "remote_ip_prefix", "remote_group_id", "remote_address_group_id")


def invalid_input(message: str, kind: str) -> BadRequest:
    return BadRequest(message, kind=kind)


def protocol_number(protocol: str | None) -> int | None:
    if protocol is None:
        return None
    return PROTOCOLS[protocol] if protocol in PROTOCOLS else int(protocol)


def canonical(rule: dict[str, Any]) -> None:
    """Neutron's canonical rule: legacy IPv6 ICMP names become ``ipv6-icmp`` (and 1
    becomes 58) on IPv6 rules; the whole port range 1-65535 becomes no range."""
    if rule["ethertype"] == "IPv6":
        if rule["protocol"] in ("icmp", "icmpv6"):
            rule["protocol"] = "ipv6-icmp"
        elif rule["protocol"] == "1":
            rule["protocol"] = "58"
    if rule["port_range_min"] == 1 and rule["port_range_max"] == 65535:
        rule["port_range_min"] = rule["port_range_max"] = None


def check(rule: dict[str, Any]) -> None:
    """Neutron's validation of a rule's match (400s with its fault types)."""
    check_ports(rule)
    prefix = rule["remote_ip_prefix"]
    if prefix is not None:
        version = ipaddress.ip_interface(prefix).version
        if rule["ethertype"] != f"IPv{version}":
            raise invalid_input(f"Conflicting value ethertype {rule['ethertype']} for CIDR "
                                f"{prefix}", "SecurityGroupRuleParameterConflict")
    if rule["protocol"] in IPV6_ONLY and rule["ethertype"] == "IPv4":
        raise invalid_input(f"Invalid ethertype {rule['ethertype']} for protocol "
                            f"{rule['protocol']}.",
                            "SecurityGroupEthertypeConflictWithProtocol")
    remotes = [k for k in ("remote_ip_prefix", "remote_group_id", "remote_address_group_id")
               if rule.get(k)]
    if len(remotes) > 1:
        raise invalid_input("Only one of remote_ip_prefix or remote_group_id or "
                            "remote_address_group_id may be provided.",
                            "SecurityGroupMultipleRemoteEntites")


def check_ports(rule: dict[str, Any]) -> None:
    low, high = rule["port_range_min"], rule["port_range_max"]
    if low is None and high is None:
        return
    if rule["protocol"] is None:
        raise invalid_input("Must also specify protocol if port range is given.",
                            "SecurityGroupProtocolRequiredWithPorts")
    number = protocol_number(rule["protocol"])
    if rule["protocol"] in PORT_PROTOCOLS or number in (PROTOCOLS[p] for p in PORT_PROTOCOLS):
        if low == 0 or high == 0:
            raise invalid_input("Invalid value for port 0", "SecurityGroupInvalidPortValue")
        if low is None or high is None or low > high:
            raise invalid_input("For TCP/UDP protocols, port_range_min must be <= "
                                "port_range_max", "SecurityGroupInvalidPortRange")
    elif number in ICMP_NUMBERS:
        for name, field, value in (("port_range_min", "type", low),
                                   ("port_range_max", "code", high)):
            if value is not None and not 0 <= value <= 255:
                raise invalid_input(f"Invalid value for ICMP {field} ({name}) {value}. It "
                                    "must be 0 to 255.", "SecurityGroupInvalidIcmpValue")
        if low is None and high is not None:
            raise invalid_input(f"ICMP code (port-range-max) {high} is provided but ICMP "
                                "type (port-range-min) is missing.",
                                "SecurityGroupMissingIcmpType")
    else:
        names = ", ".join(p.upper() for p in PORT_PROTOCOLS)
        raise invalid_input(f"Ports cannot be specified for protocol {number}. Ports are "
                            f"only supported for {names}.",
                            "SecurityGroupInvalidProtocolForPort")


def fingerprint(group_id: str, rule: dict[str, Any]) -> str:
    """What makes two rules of a group the same rule (Neutron's comparison): a protocol
    by name or number alike, any-address prefixes alike no prefix."""
    parts = [group_id]
    for key in MATCH_FIELDS:
        value = rule.get(key)
        if key == "protocol" and value is not None:
            value = protocol_number(value)
        if key == "remote_ip_prefix" and value in ANY_PREFIXES:
            value = None
        parts.append("+" if value is None else str(value))
    return "_".join(parts)


class SecurityGroupRules(Collection):
    resource = SECURITY_GROUP_RULE
    model = SecurityGroupRule
    quota = "security_group_rule"

    def not_found(self, ident: str) -> NotFound:
        return NotFound(f"Security group rule {ident} does not exist",
                        kind="SecurityGroupRuleNotFound")

    @property
    def groups(self) -> Any:
        return self.deps.get("security_groups")

    def visible(self, s: Session | None, ctx: RequestContext) -> Any:
        """Own rules and every rule of a group the caller sees."""
        groups = sa.select(SecurityGroup.id).where(self.groups.visible(s, ctx))
        return sa.or_(SecurityGroupRule.project_id == ctx.project_id,
                      SecurityGroupRule.security_group_id.in_(groups))

    def list(self, ctx: RequestContext, q: ListQuery) -> tuple[list[dict[str, Any]], bool]:
        self.groups.ensure_default(ctx, self.groups.listed_project(ctx, q))
        return super().list(ctx, q)

    # --- create --------------------------------------------------------------------------
    def create(self, ctx: RequestContext, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if len(items) > 1:
            groups = {i.get("security_group_id") for i in items if isinstance(i, dict)}
            if len(groups) > 1:
                raise invalid_input("Only allowed to update rules for one security profile "
                                    "at a time", "SecurityGroupNotSingleGroupRules")
        return super().create(ctx, items)

    def check_create(self, ctx: RequestContext, item: Any) -> dict[str, Any]:
        doc = super().check_create(ctx, item)
        canonical(doc)
        check(doc)
        return doc

    def create_in(self, s: Session, ctx: RequestContext, doc: dict[str, Any]) -> Any:
        group = self.groups.find(s, ctx, doc["security_group_id"], lock=True)
        if not doc["_given"] & {"project_id", "tenant_id"}:
            doc["project_id"] = doc["tenant_id"] = group.project_id
        if doc["remote_group_id"]:
            self.groups.check_groups(s, ctx, [doc["remote_group_id"]], doc["project_id"])
        if doc["remote_address_group_id"]:
            self.deps.get("address_groups").check_visible(
                s, ctx, doc["remote_address_group_id"], doc["project_id"])
        self.check_quota(s, doc["project_id"])
        return self.make(s, group, **{k: doc[k] for k in (
            "direction", "ethertype", "protocol", "port_range_min", "port_range_max",
            "remote_ip_prefix", "remote_group_id", "remote_address_group_id",
            "description", "project_id")})

    def make(self, s: Session, group: SecurityGroup, *, direction: str,
             ethertype: str = "IPv4", protocol: str | None = None,
             port_range_min: int | None = None, port_range_max: int | None = None,
             remote_ip_prefix: str | None = None, remote_group_id: str | None = None,
             remote_address_group_id: str | None = None, description: str = "",
             project_id: str | None = None, bump: bool = True) -> SecurityGroupRule:
        """Add one checked rule to ``group`` (409 SecurityGroupRuleExists for a rule the
        group has, naming it); bumps the group's revision unless the group is being
        made (``bump=False``)."""
        match = {"direction": direction, "ethertype": ethertype, "protocol": protocol,
                 "port_range_min": port_range_min, "port_range_max": port_range_max,
                 "remote_ip_prefix": remote_ip_prefix, "remote_group_id": remote_group_id,
                 "remote_address_group_id": remote_address_group_id}
        key = fingerprint(group.id, match)
        existing = s.scalar(sa.select(SecurityGroupRule.id).where(
            SecurityGroupRule.fingerprint == key))
        if existing is not None:
            raise self.exists(existing)
        now = utcnow()
        row = SecurityGroupRule(id=new_uuid(), project_id=project_id or group.project_id,
                                description=description or "", created_at=now,
                                updated_at=now, revision_number=0,
                                security_group_id=group.id, fingerprint=key, **match)
        try:
            with s.begin_nested():
                s.add(row)
                s.flush()
        except IntegrityError:
            # another transaction added the same rule meanwhile
            existing = s.scalar(sa.select(SecurityGroupRule.id).where(
                SecurityGroupRule.fingerprint == key))
            if existing is None:
                raise
            raise self.exists(existing) from None
        if bump:
            self.bump(group)
        return row

    @staticmethod
    def exists(rule_id: str) -> Conflict:
        return Conflict(f"Security group rule already exists. Rule id is {rule_id}.",
                        kind="SecurityGroupRuleExists")

    # after the commit: the network agents rewire the ports the rule's group applies to
    def created(self, doc: dict[str, Any]) -> None:
        self.deps.wake("security_group_rules", doc["id"])

    def deleted(self, ident: str) -> None:
        self.deps.wake("security_group_rules", ident)

    # --- delete --------------------------------------------------------------------------
    def before_delete(self, s: Session, ctx: RequestContext, row: SecurityGroupRule) -> None:
        group = s.get(SecurityGroup, row.security_group_id, with_for_update=True)
        if group is not None:
            self.bump(group)

    def delete_for_group(self, s: Session, group: SecurityGroup) -> None:
        """The group's rules, and other groups' rules naming it as their remote (those
        groups change: their revisions are bumped)."""
        others = set(s.scalars(sa.select(SecurityGroupRule.security_group_id).where(
            SecurityGroupRule.remote_group_id == group.id,
            SecurityGroupRule.security_group_id != group.id)))
        s.execute(sa.delete(SecurityGroupRule).where(sa.or_(
            SecurityGroupRule.security_group_id == group.id,
            SecurityGroupRule.remote_group_id == group.id)))
        for other in s.scalars(sa.select(SecurityGroup).where(SecurityGroup.id.in_(others))):
            self.bump(other)

    # --- rendering -----------------------------------------------------------------------
    def extras(self, s: Session, ctx: RequestContext, rows: list[SecurityGroupRule]
               ) -> dict[str, dict[str, Any]]:
        group_ids = {r.security_group_id for r in rows}
        defaults = set(s.scalars(sa.select(SecurityGroup.id).where(
            SecurityGroup.id.in_(group_ids), SecurityGroup.default_for.is_not(None))))
        return {r.id: {"normalized_cidr": normalized(r.remote_ip_prefix),
                       "belongs_to_default_sg": r.security_group_id in defaults}
                for r in rows}

    def computed_filter(self, name: str, values: list[str]) -> Any | None:
        if name == "belongs_to_default_sg":
            wanted = {v.lower() in ("true", "1") for v in values}
            defaults = sa.select(SecurityGroup.id).where(
                SecurityGroup.default_for.is_not(None))
            if wanted == {True}:
                return SecurityGroupRule.security_group_id.in_(defaults)
            if wanted == {False}:
                return SecurityGroupRule.security_group_id.not_in(defaults)
        if name == "normalized_cidr":
            return SecurityGroupRule.remote_ip_prefix.in_(values)
        return None

    def rendered_by_group(self, s: Session, ctx: RequestContext, group_ids: list[str]
                          ) -> dict[str, list[dict[str, Any]]]:
        out: dict[str, list[dict[str, Any]]] = {}
        if not group_ids:
            return out
        rows = list(s.scalars(sa.select(SecurityGroupRule).where(
            SecurityGroupRule.security_group_id.in_(group_ids)).order_by(
            SecurityGroupRule.created_at, SecurityGroupRule.id)))
        for doc in self.render(s, ctx, rows):
            out.setdefault(doc["security_group_id"], []).append(doc)
        return out


def normalized(prefix: str | None) -> str | None:
    if prefix is None:
        return None
    return str(ipaddress.ip_interface(prefix).network)

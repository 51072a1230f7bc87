"""QoS policies and their rules (bandwidth limit, DSCP marking, minimum bandwidth).

Policies are made, changed and deleted by admins (Neutron's defaults); any project sees
its own, shared ones and those an RBAC policy shares with it, and may attach a visible
one to its networks. A project's ``is_default`` policy (one per project: a unique column)
is given to its new networks that name none. A rule is unique per type and direction
within a policy (409 QoSRulesConflict), a bandwidth limit may not be below a minimum
bandwidth of the same direction (409 QoSRuleParameterConflict); a policy in use by a
network or port cannot be deleted (409 QosPolicyInUse).

Hooks the networks collection calls: ``check_attachment(s, ctx, policy_id)`` and
``default_policy_id(s, project_id)``.
"""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.context import RequestContext
from onestack.core.errors import BadRequest, Conflict, NotFound
from onestack.network.models.qos import QosPolicy, QosRule
from onestack.network.resources.qos import (KIND_BY_COLLECTION, KIND_BY_TYPE, QOS_POLICY,
                                            RULE_KINDS, RuleKind)
from onestack.network.service.engine import Collection, new_uuid


def default_exists(project_id: str) -> Conflict:
    return Conflict(f"A default QoS policy exists for project {project_id}.",
                    kind="QoSPolicyDefaultAlreadyExists")


def rule_not_found(rule_id: str, policy_id: str) -> NotFound:
    return NotFound(f"QoS rule {rule_id} for policy {policy_id} could not be found.",
                    kind="QosRuleNotFound")


def bad(message: str) -> BadRequest:
    return BadRequest(message, kind="HTTPBadRequest")


class QosPolicies(Collection):
    resource = QOS_POLICY
    model = QosPolicy

    # --- policies ------------------------------------------------------------------------
    def visible(self, s: Session | None, ctx: RequestContext) -> Any:
        clauses = [QosPolicy.project_id == ctx.project_id, QosPolicy.shared.is_(True)]
        rbac = self.deps.collections.get("rbac_policies")
        shared = getattr(rbac, "shared_clause", None)
        clause = shared(ctx, QosPolicy) if shared is not None else None
        if clause is not None:
            clauses.append(clause)
        return sa.or_(*clauses)

    def _sync_default(self, s: Session, row: QosPolicy) -> None:
        row.default_for = row.project_id if row.is_default else None
        try:
            with s.begin_nested():
                s.flush()
        except sa.exc.IntegrityError:
            raise default_exists(row.project_id) from None

    def _other_default(self, s: Session, project_id: str, own_id: str = "") -> bool:
        return s.scalar(sa.select(QosPolicy.id).where(
            QosPolicy.default_for == project_id, QosPolicy.id != own_id)) is not None

    def _sync_rbac(self, s: Session, row: QosPolicy) -> None:
        sync = getattr(self.deps.collections.get("rbac_policies"), "sync_object", None)
        if sync is not None:
            sync(s, row, "qos_policy")

    def prepare_create(self, s: Session, ctx: RequestContext, doc: dict[str, Any]) -> None:
        if doc.get("is_default") and self._other_default(s, doc["project_id"]):
            raise default_exists(doc["project_id"])

    def after_create(self, s: Session, ctx: RequestContext, row: QosPolicy,
                     doc: dict[str, Any]) -> None:
        if row.is_default:
            self._sync_default(s, row)
        if row.shared:
            self._sync_rbac(s, row)

    def prepare_update(self, s: Session, ctx: RequestContext, row: QosPolicy,
                       changes: dict[str, Any]) -> None:
        if changes.get("is_default") and not row.is_default and \
                self._other_default(s, row.project_id, row.id):
            raise default_exists(row.project_id)

    def after_update(self, s: Session, ctx: RequestContext, row: QosPolicy,
                     changes: dict[str, Any]) -> None:
        if "is_default" in changes:
            self._sync_default(s, row)
        if "shared" in changes:
            self._sync_rbac(s, row)

    def before_delete(self, s: Session, ctx: RequestContext, row: QosPolicy) -> None:
        for name, kind in (("networks", "network"), ("ports", "port")):
            model = getattr(self.deps.collections.get(name), "model", None)
            column = getattr(model, "qos_policy_id", None)
            if column is None:
                continue
            user = s.scalar(sa.select(model.id).where(column == row.id).limit(1))
            if user is not None:
                raise Conflict(f"QoS Policy {row.id} is used by {kind} {user}.",
                               kind="QosPolicyInUse")
        s.execute(sa.delete(QosRule).where(QosRule.qos_policy_id == row.id))
        rbac = getattr(self.deps.collections.get("rbac_policies"), "delete_for_object", None)
        if rbac is not None:
            rbac(s, ctx, row, "qos_policy")

    def extras(self, s: Session, ctx: RequestContext, rows: list[QosPolicy]
               ) -> dict[str, dict[str, Any]]:
        rules: dict[str, list[dict[str, Any]]] = {r.id: [] for r in rows}
        ids = list(rules)
        for start in range(0, len(ids), 500):
            for rule in s.scalars(sa.select(QosRule).where(
                    QosRule.qos_policy_id.in_(ids[start:start + 500])).order_by(
                    QosRule.type, QosRule.direction, QosRule.id)):
                rules[rule.qos_policy_id].append(self.rule_view(rule, full=True))
        return {pid: {"rules": items} for pid, items in rules.items()}

    # --- what networks (and ports) call --------------------------------------------------
    def check_attachment(self, s: Session, ctx: RequestContext, policy_id: str) -> None:
        """404 QosPolicyNotFound unless the caller may see the policy."""
        self.find(s, ctx, policy_id)

    def default_policy_id(self, s: Session, project_id: str) -> str | None:
        return s.scalar(sa.select(QosPolicy.id).where(QosPolicy.default_for == project_id))

    # --- rules ---------------------------------------------------------------------------
    @staticmethod
    def rule_view(rule: QosRule, full: bool = False) -> dict[str, Any]:
        kind = KIND_BY_TYPE[rule.type]
        doc: dict[str, Any] = {"id": rule.id}
        for name, _, _ in kind.params:
            doc[name] = getattr(rule, name)
        if full:
            doc.update(type=rule.type, qos_policy_id=rule.qos_policy_id)
        return doc

    @staticmethod
    def kind(collection: str) -> RuleKind:
        kind = KIND_BY_COLLECTION.get(collection)
        if kind is None:
            raise NotFound(f"Resource {collection} could not be found.")
        return kind

    def _rule_of(self, s: Session, ctx: RequestContext, kind: RuleKind,
                 policy_id: str | None, rule_id: str, *, lock: bool = False
                 ) -> tuple[QosPolicy, QosRule]:
        """The (visible) policy and its rule; ``policy_id`` None: the rule's own policy
        (the alias URLs)."""
        rule = s.get(QosRule, rule_id)
        if policy_id is None:
            if rule is None or rule.type != kind.type:
                raise rule_not_found(rule_id, "")
            policy_id = rule.qos_policy_id
            try:
                policy = self.find(s, ctx, policy_id, lock=lock)
            except NotFound:
                raise rule_not_found(rule_id, "") from None
        else:
            policy = self.find(s, ctx, policy_id, lock=lock)
        if rule is None or rule.type != kind.type or rule.qos_policy_id != policy.id:
            raise rule_not_found(rule_id, policy.id)
        return policy, rule

    def _body(self, kind: RuleKind, item: Any, *, create: bool) -> dict[str, Any]:
        if not isinstance(item, dict):
            raise bad(f"Invalid input for operation: {kind.member} must be an object.")
        names = {name for name, _, _ in kind.params}
        for key in item:
            if key == "id" or key == "qos_policy_id":
                raise bad(f"Attribute '{key}' not allowed in {'POST' if create else 'PUT'}")
            if key not in names:
                raise bad(f"Unrecognized attribute(s) '{key}'")
        out = {}
        for name, default, convert in kind.params:
            if name in item:
                out[name] = convert(item[name])
            elif create:
                if name in kind.required:
                    raise bad(f"Failed to parse request. Required attribute '{name}' not "
                              "specified")
                out[name] = default
        return out

    def _check_conflicts(self, s: Session, policy: QosPolicy, kind: RuleKind,
                         values: dict[str, Any], own_id: str = "") -> None:
        rules = [r for r in s.scalars(sa.select(QosRule).where(
            QosRule.qos_policy_id == policy.id)) if r.id != own_id]
        direction = values.get("direction", "")
        for rule in rules:
            if rule.type == kind.type and rule.direction == direction:
                raise Conflict(f"Rule {kind.type} conflicts with rule {rule.id} which already "
                               f"exists in QoS Policy {policy.id}.", kind="QoSRulesConflict")
        for rule in rules:
            if rule.direction != direction:
                continue
            if kind.type == "bandwidth_limit" and rule.type == "minimum_bandwidth" and \
                    (rule.min_kbps or 0) > values["max_kbps"]:
                existing = (rule.type, rule.min_kbps, values["max_kbps"])
            elif kind.type == "minimum_bandwidth" and rule.type == "bandwidth_limit" and \
                    (rule.max_kbps or 0) < values["min_kbps"]:
                existing = (rule.type, rule.max_kbps, values["min_kbps"])
            else:
                continue
            raise Conflict(f"Unable to add the rule with value {existing[2]} to the policy "
                           f"{policy.id} as the existing rule of type {existing[0]} has value "
                           f"{existing[1]}.", kind="QoSRuleParameterConflict")

    def _enforce(self, action: str, ctx: RequestContext, kind: RuleKind,
                 policy: QosPolicy) -> None:
        self.deps.policy.enforce(f"{action}_policy_{kind.member}", ctx, self.target(policy))

    def list_rules(self, ctx: RequestContext, policy_id: str, collection: str,
                   filters: dict[str, list[str]] | None = None) -> list[dict[str, Any]]:
        kind = self.kind(collection)

        def work(s: Session) -> list[dict[str, Any]]:
            policy = self.find(s, ctx, policy_id)
            self._enforce("get", ctx, kind, policy)
            rows = s.scalars(sa.select(QosRule).where(
                QosRule.qos_policy_id == policy.id, QosRule.type == kind.type)
                .order_by(QosRule.direction, QosRule.id))
            items = [self.rule_view(r) for r in rows]
            for key, values in (filters or {}).items():
                items = [i for i in items if str(i.get(key)) in values]
            return items
        return self.deps.db.read(work)

    def create_rule(self, ctx: RequestContext, policy_id: str, collection: str,
                    item: Any) -> dict[str, Any]:
        kind = self.kind(collection)
        values = self._body(kind, item, create=True)

        def work(s: Session) -> dict[str, Any]:
            policy = self.find(s, ctx, policy_id, lock=True)
            self._enforce("create", ctx, kind, policy)
            self._check_conflicts(s, policy, kind, values)
            rule = QosRule(id=new_uuid(), qos_policy_id=policy.id, type=kind.type,
                           direction=values.get("direction", ""),
                           **{k: v for k, v in values.items() if k != "direction"})
            try:
                with s.begin_nested():
                    s.add(rule)
                    s.flush()
            except sa.exc.IntegrityError:
                raise Conflict(f"Rule {kind.type} conflicts with a rule which already exists "
                               f"in QoS Policy {policy.id}.", kind="QoSRulesConflict") from None
            self.bump(policy)
            s.flush()
            return self.rule_view(rule)
        return self.deps.db.write(work)

    def show_rule(self, ctx: RequestContext, policy_id: str | None, collection: str,
                  rule_id: str) -> dict[str, Any]:
        kind = self.kind(collection)

        def work(s: Session) -> dict[str, Any]:
            policy, rule = self._rule_of(s, ctx, kind, policy_id, rule_id)
            self._enforce("get", ctx, kind, policy)
            return self.rule_view(rule)
        return self.deps.db.read(work)

    def update_rule(self, ctx: RequestContext, policy_id: str | None, collection: str,
                    rule_id: str, item: Any) -> dict[str, Any]:
        kind = self.kind(collection)
        changes = self._body(kind, item, create=False)

        def work(s: Session) -> dict[str, Any]:
            policy, rule = self._rule_of(s, ctx, kind, policy_id, rule_id, lock=True)
            self._enforce("update", ctx, kind, policy)
            values = {name: getattr(rule, name) for name, _, _ in kind.params}
            values.update(changes)
            self._check_conflicts(s, policy, kind, values, own_id=rule.id)
            for key, value in changes.items():
                setattr(rule, key, value)
            self.bump(policy)
            s.flush()
            return self.rule_view(rule)
        return self.deps.db.write(work)

    def delete_rule(self, ctx: RequestContext, policy_id: str | None, collection: str,
                    rule_id: str) -> None:
        kind = self.kind(collection)

        def work(s: Session) -> None:
            policy, rule = self._rule_of(s, ctx, kind, policy_id, rule_id, lock=True)
            self._enforce("delete", ctx, kind, policy)
            s.delete(rule)
            self.bump(policy)
            s.flush()
        self.deps.db.write(work)

    # --- rule types ----------------------------------------------------------------------
    def rule_types(self, ctx: RequestContext) -> list[dict[str, str]]:
        self.deps.policy.enforce("get_rule_type", ctx, {})
        return [{"type": k.type} for k in RULE_KINDS]

    def rule_type(self, ctx: RequestContext, name: str) -> dict[str, Any]:
        self.deps.policy.enforce("get_rule_type", ctx, {})
        kind = KIND_BY_TYPE.get(name)
        if kind is None:
            raise NotFound(f"QoS rule type {name} could not be found.",
                           kind="QosRuleTypeNotFound")
        return {"type": kind.type, "drivers": [{"name": "onestack", "supported_parameters": [
            {"parameter_name": p, "parameter_type": "range" if p != "direction"
             else "choices"} for p, _, _ in kind.params]}]}

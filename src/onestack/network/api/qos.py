"""``/v2.0/qos/policies`` with their rules (``…/{policy_id}/<type>_rules``), the rule
aliases (``/v2.0/qos/alias_<type>_rules/{rule_id}``) and ``/v2.0/qos/rule-types``."""
from __future__ import annotations

from typing import cast

from onestack.core.http import Call, Reply, RouteTable, no_content
from onestack.network.api.common import V2, bad, crud_routes
from onestack.network.resources.qos import RULE_KINDS
from onestack.network.service.engine import Deps
from onestack.network.service.qos import QosPolicies


def routes(deps: Deps) -> RouteTable:
    qos = cast(QosPolicies, deps.get("policies"))
    r = crud_routes(qos, path="qos/policies")
    for kind in RULE_KINDS:
        rule_routes(r, qos, kind.collection, kind.member)

    @r.get(f"{V2}/qos/rule-types")
    def list_rule_types(call: Call) -> Reply:
        return Reply(200, {"rule_types": qos.rule_types(call.ctx)})

    @r.get(f"{V2}/qos/rule-types/{{type}}")
    def show_rule_type(call: Call) -> Reply:
        return Reply(200, {"rule_type": qos.rule_type(call.ctx, call.params["type"])})

    return r


def body_of(call: Call, member: str) -> object:
    body = call.json
    if not isinstance(body, dict) or member not in body:
        raise bad(f"Unable to find '{member}' in request body")
    return body[member]


def rule_routes(r: RouteTable, qos: QosPolicies, collection: str, member: str) -> None:
    base = f"{V2}/qos/policies/{{policy_id}}/{collection}"
    alias = f"{V2}/qos/alias_{collection}/{{rule_id}}"

    @r.get(base)
    def list_rules(call: Call) -> Reply:
        filters: dict[str, list[str]] = {}
        for key, value in call.query.multi_items():
            if key != "fields":
                filters.setdefault(key, []).append(value)
        return Reply(200, {collection: qos.list_rules(call.ctx, call.params["policy_id"],
                                                      collection, filters)})

    @r.post(base)
    def create_rule(call: Call) -> Reply:
        return Reply(201, {member: qos.create_rule(call.ctx, call.params["policy_id"],
                                                   collection, body_of(call, member))})

    @r.get(base + "/{rule_id}")
    def show_rule(call: Call) -> Reply:
        return Reply(200, {member: qos.show_rule(call.ctx, call.params["policy_id"],
                                                 collection, call.params["rule_id"])})

    @r.put(base + "/{rule_id}")
    def update_rule(call: Call) -> Reply:
        return Reply(200, {member: qos.update_rule(
            call.ctx, call.params["policy_id"], collection, call.params["rule_id"],
            body_of(call, member))})

    @r.delete(base + "/{rule_id}")
    def delete_rule(call: Call) -> Reply:
        qos.delete_rule(call.ctx, call.params["policy_id"], collection,
                        call.params["rule_id"])
        return no_content()

    @r.get(alias)
    def show_alias(call: Call) -> Reply:
        return Reply(200, {member: qos.show_rule(call.ctx, None, collection,
                                                 call.params["rule_id"])})

    @r.put(alias)
    def update_alias(call: Call) -> Reply:
        return Reply(200, {member: qos.update_rule(call.ctx, None, collection,
                                                   call.params["rule_id"],
                                                   body_of(call, member))})

    @r.delete(alias)
    def delete_alias(call: Call) -> Reply:
        qos.delete_rule(call.ctx, None, collection, call.params["rule_id"])
        return no_content()

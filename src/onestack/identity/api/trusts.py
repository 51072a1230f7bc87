"""Trusts (OS-TRUST): parse, call ``service.trusts``, render."""
from __future__ import annotations

from onestack.core.http import Call, Reply, RouteTable
from onestack.identity import schemas, views
from onestack.identity.api.common import Identity, self_url, v3
from onestack.identity.api.credentials import parse_time
from onestack.identity.service.trusts import NewTrust, Trusts

BASE = "/v3/OS-TRUST/trusts"


def parse_new_trust(call: Call) -> NewTrust:
    body = schemas.validate(schemas.TRUST_CREATE, call.body("trust"))
    return NewTrust(
        trustor_user_id=body["trustor_user_id"], trustee_user_id=body["trustee_user_id"],
        project_id=body.get("project_id"), impersonation=body["impersonation"],
        expires_at=parse_time(body.get("expires_at"), "expires_at"),
        remaining_uses=body.get("remaining_uses"),
        allow_redelegation=bool(body.get("allow_redelegation")),
        redelegation_count=body.get("redelegation_count"), roles=body.get("roles") or [])


def routes(ident: Identity) -> RouteTable:
    r = RouteTable()
    trusts = Trusts(ident.db, ident.policy, ident.settings.trust_max_redelegation_count)

    @r.post(BASE)
    def create(call: Call) -> Reply:
        return Reply(201, {"trust": trusts.create(call.ctx, parse_new_trust(call), v3(call))})

    @r.get(BASE)
    def list_(call: Call) -> Reply:
        items = trusts.list(call.ctx, call.q("trustor_user_id"), call.q("trustee_user_id"),
                            v3(call))
        return Reply(200, views.collection("trusts", items, self_url(call)))

    @r.get(BASE + "/{trust_id}")
    def show(call: Call) -> Reply:
        return Reply(200, {"trust": trusts.show(call.ctx, call.params["trust_id"], v3(call))})

    @r.delete(BASE + "/{trust_id}")
    def delete(call: Call) -> Reply:
        trusts.delete(call.ctx, call.params["trust_id"])
        return Reply(204)

    @r.get(BASE + "/{trust_id}/roles")
    def roles(call: Call) -> Reply:
        items = trusts.roles(call.ctx, call.params["trust_id"], v3(call))
        return Reply(200, views.collection("roles", items, self_url(call)))

    @r.get(BASE + "/{trust_id}/roles/{role_id}")
    def role(call: Call) -> Reply:
        return Reply(200, {"role": trusts.role(call.ctx, call.params["trust_id"],
                                               call.params["role_id"], v3(call))})

    return r

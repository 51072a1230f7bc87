"""Credentials, EC2 credentials, application credentials and their access rules: parse, call
``service.credentials`` / ``service.app_credentials``, render."""
from __future__ import annotations

from datetime import datetime, timezone

from onestack.core.errors import BadRequest
from onestack.core.http import Call, Reply, RouteTable
from onestack.identity import schemas, views
from onestack.identity.api.common import Identity, self_url, v3
from onestack.identity.service.app_credentials import AppCredentials, NewAppCredential
from onestack.identity.service.credentials import Credentials

EC2 = "/v3/users/{user_id}/credentials/OS-EC2"
APPS = "/v3/users/{user_id}/application_credentials"
RULES = "/v3/users/{user_id}/access_rules"


def parse_time(value: str | None, field: str) -> datetime | None:
    if value is None:
        return None
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise BadRequest(f"Invalid {field}: {value}") from exc
    if dt.tzinfo is not None:
        dt = dt.astimezone(timezone.utc).replace(tzinfo=None)
    return dt


def parse_app_credential(call: Call) -> NewAppCredential:
    body = schemas.validate(schemas.APP_CREDENTIAL_CREATE, call.body("application_credential"))
    return NewAppCredential(
        name=body["name"], description=body.get("description"), secret=body.get("secret"),
        expires_at=parse_time(body.get("expires_at"), "expires_at"),
        roles=body.get("roles") or [], unrestricted=bool(body.get("unrestricted")),
        access_rules=body.get("access_rules") or [], system=body.get("system"))


def routes(ident: Identity) -> RouteTable:
    r = RouteTable()
    creds = Credentials(ident.db, ident.policy)
    apps = AppCredentials(ident.db, ident.policy, ident.settings.password_hash_rounds)

    # --- /v3/credentials -----------------------------------------------------------------
    @r.post("/v3/credentials")
    def create_cred(call: Call) -> Reply:
        body = schemas.validate(schemas.CREDENTIAL_CREATE, call.body("credential"))
        return Reply(201, {"credential": creds.create(call.ctx, body, v3(call))})

    @r.get("/v3/credentials")
    def list_creds(call: Call) -> Reply:
        filters = {k: call.q(k) for k in ("user_id", "type") if call.q(k) is not None}
        items = creds.list(call.ctx, filters, v3(call))  # type: ignore[arg-type]
        return Reply(200, views.collection("credentials", items, self_url(call)))

    @r.get("/v3/credentials/{cred_id}")
    def show_cred(call: Call) -> Reply:
        return Reply(200, {"credential": creds.show(call.ctx, call.params["cred_id"],
                                                    v3(call))})

    @r.patch("/v3/credentials/{cred_id}")
    def update_cred(call: Call) -> Reply:
        body = schemas.validate(schemas.CREDENTIAL_UPDATE, call.body("credential"))
        return Reply(200, {"credential": creds.update(call.ctx, call.params["cred_id"], body,
                                                      v3(call))})

    @r.delete("/v3/credentials/{cred_id}")
    def delete_cred(call: Call) -> Reply:
        creds.delete(call.ctx, call.params["cred_id"])
        return Reply(204)

    # --- EC2 -----------------------------------------------------------------------------
    @r.post(EC2)
    def create_ec2(call: Call) -> Reply:
        return Reply(201, {"credential": creds.ec2_create(
            call.ctx, call.params["user_id"], call.body().get("tenant_id"), v3(call))})

    @r.get(EC2)
    def list_ec2(call: Call) -> Reply:
        items = creds.ec2_list(call.ctx, call.params["user_id"], v3(call))
        return Reply(200, views.collection("credentials", items, self_url(call)))

    @r.get(EC2 + "/{access}")
    def show_ec2(call: Call) -> Reply:
        return Reply(200, {"credential": creds.ec2_show(
            call.ctx, call.params["user_id"], call.params["access"], v3(call))})

    @r.delete(EC2 + "/{access}")
    def delete_ec2(call: Call) -> Reply:
        creds.ec2_delete(call.ctx, call.params["user_id"], call.params["access"])
        return Reply(204)

    # --- application credentials ---------------------------------------------------------
    @r.post(APPS)
    def create_app(call: Call) -> Reply:
        uid = call.params["user_id"]
        apps.require_self(call.ctx, uid)  # before the body: another user's id is a 403
        return Reply(201, {"application_credential": apps.create(
            call.ctx, uid, parse_app_credential(call), v3(call))})

    @r.get(APPS)
    def list_apps(call: Call) -> Reply:
        items = apps.list(call.ctx, call.params["user_id"], call.q("name"), v3(call))
        return Reply(200, views.collection("application_credentials", items, self_url(call)))

    @r.get(APPS + "/{cred_id}")
    def show_app(call: Call) -> Reply:
        return Reply(200, {"application_credential": apps.show(
            call.ctx, call.params["user_id"], call.params["cred_id"], v3(call))})

    @r.delete(APPS + "/{cred_id}")
    def delete_app(call: Call) -> Reply:
        apps.delete(call.ctx, call.params["user_id"], call.params["cred_id"])
        return Reply(204)

    # --- access rules --------------------------------------------------------------------
    @r.get(RULES)
    def list_rules(call: Call) -> Reply:
        items = apps.list_rules(call.ctx, call.params["user_id"], v3(call))
        return Reply(200, views.collection("access_rules", items, self_url(call)))

    @r.get(RULES + "/{rule_id}")
    def show_rule(call: Call) -> Reply:
        return Reply(200, {"access_rule": apps.show_rule(
            call.ctx, call.params["user_id"], call.params["rule_id"], v3(call))})

    @r.delete(RULES + "/{rule_id}")
    def delete_rule(call: Call) -> Reply:
        apps.delete_rule(call.ctx, call.params["user_id"], call.params["rule_id"])
        return Reply(204)

    return r

"""Version discovery and ``/v3/auth/*``: tokens, catalog and the scopes a token may reach."""
from __future__ import annotations

from typing import Any

from onestack.core.errors import Unauthorized
from onestack.core.http import Call, Reply, RouteTable
from onestack.identity.api.common import Identity, self_url, v3
from onestack.identity.service import auth_scopes

MEDIA = [{"base": "application/json", "type": "application/vnd.openstack.identity-v3+json"}]


def version_doc(call: Call) -> dict[str, Any]:
    return {"id": "v3.14", "status": "stable", "updated": "2020-04-07T00:00:00Z",
            "links": [{"rel": "self", "href": v3(call) + "/"}], "media-types": MEDIA}


def routes(ident: Identity) -> RouteTable:
    r = RouteTable()

    @r.get("", auth=False)
    @r.get("/", auth=False)
    def versions(call: Call) -> Reply:
        return Reply(300, {"versions": {"values": [version_doc(call)]}},
                     {"Location": v3(call) + "/"})

    @r.get("/v3", auth=False)
    @r.get("/v3/", auth=False)
    def version(call: Call) -> Reply:
        return Reply(200, {"version": version_doc(call)})

    @r.post("/v3/auth/tokens", auth=False)
    def issue(call: Call) -> Reply:
        auth = call.body("auth")
        token, v = ident.auth.issue(auth)
        body = ident.tokens.body(v, with_catalog=not call.flag("nocatalog"))
        return Reply(201, body, {"X-Subject-Token": token})

    def _subject(call: Call):
        subject = call.headers.get("x-subject-token", "")
        if not subject:
            raise Unauthorized() if not call.ctx.authenticated else \
                _missing_subject()
        v = ident.tokens.subject(subject, allow_expired=call.flag("allow_expired"))
        ident.enforce(call, "identity:validate_token",
                      {"token": {"user_id": v.data["user"]["id"]}})
        return subject, v

    @r.get("/v3/auth/tokens")
    def validate(call: Call) -> Reply:
        subject, v = _subject(call)
        return Reply(200, ident.tokens.body(v, with_catalog=not call.flag("nocatalog")),
                     {"X-Subject-Token": subject})

    @r.head("/v3/auth/tokens")
    def check(call: Call) -> Reply:
        subject, _ = _subject(call)
        return Reply(200, None, {"X-Subject-Token": subject})

    @r.delete("/v3/auth/tokens")
    def revoke(call: Call) -> Reply:
        subject = call.headers.get("x-subject-token", "")
        if not subject:
            _missing_subject()
        v = ident.tokens.subject(subject)
        ident.enforce(call, "identity:revoke_token", {"token": {"user_id": v.data["user"]["id"]}})
        ident.tokens.revoke_token(subject)
        return Reply(204)

    @r.get("/v3/auth/catalog")
    def auth_catalog(call: Call) -> Reply:
        if not call.ctx.project_id and not call.ctx.domain_id and not call.ctx.system_scope:
            raise Unauthorized("The service catalog is empty.")
        return Reply(200, {"catalog": ident.tokens.catalog(call.ctx.project_id),
                           "links": {"self": self_url(call), "previous": None, "next": None}})

    @r.get("/v3/auth/projects")
    @r.get("/v3/OS-FEDERATION/projects")
    def auth_projects(call: Call) -> Reply:
        return Reply(200, {"projects": auth_scopes.projects(ident.db, call.ctx.user_id, v3(call)),
                           "links": {"self": self_url(call), "previous": None, "next": None}})

    @r.get("/v3/auth/domains")
    @r.get("/v3/OS-FEDERATION/domains")
    def auth_domains(call: Call) -> Reply:
        return Reply(200, {"domains": auth_scopes.domains(ident.db, call.ctx.user_id, v3(call)),
                           "links": {"self": self_url(call), "previous": None, "next": None}})

    @r.get("/v3/auth/system")
    def auth_system(call: Call) -> Reply:
        has = auth_scopes.has_system_role(ident.db, call.ctx.user_id)
        return Reply(200, {"system": [{"all": True}] if has else [],
                           "links": {"self": self_url(call), "previous": None, "next": None}})

    return r


def _missing_subject() -> None:
    from onestack.core.errors import BadRequest
    raise BadRequest("X-Subject-Token header is required.")

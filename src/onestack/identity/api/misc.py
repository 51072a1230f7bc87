"""Unified limits, policy documents, OAuth1 consumers and domain-specific configuration."""
from __future__ import annotations

import os
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.db import new_id
from onestack.core.errors import BadRequest, Conflict, Forbidden, NotFound, not_found
from onestack.core.http import Call, Reply, RouteTable
from onestack.identity import catalog_models as cm
from onestack.identity import schemas, views
from onestack.identity.api.common import Identity, self_url, v3
from onestack.identity.api.crud import Resource, add_crud
from onestack.identity.service import store

ADMIN_READ, ADMIN_WRITE = "identity:read_admin_resource", "identity:manage_admin_resource"


def policy_view(p: cm.PolicyBlob, base: str) -> dict[str, Any]:
    body = dict(p.extra or {})
    body.update({"id": p.id, "type": p.type, "blob": p.blob,
                 "links": {"self": f"{base}/policies/{p.id}"}})
    return body


def consumer_view(c: cm.Consumer, base: str) -> dict[str, Any]:
    body = dict(c.extra or {})
    body.update({"id": c.id, "description": c.description,
                 "links": {"self": f"{base}/OS-OAUTH1/consumers/{c.id}"}})
    return body


def _consumer_prepare(s: Session, body: dict, row: Any, call: Call) -> None:
    if row is None:
        body["secret"] = os.urandom(16).hex()
    elif "secret" in body:
        raise BadRequest("The consumer secret cannot be updated.")


def registered_limit_view(x: cm.RegisteredLimit, base: str) -> dict[str, Any]:
    return {"id": x.id, "service_id": x.service_id, "region_id": x.region_id,
            "resource_name": x.resource_name, "default_limit": x.default_limit,
            "description": x.description, "links": {"self": f"{base}/registered_limits/{x.id}"}}


def limit_view(x: cm.Limit, base: str) -> dict[str, Any]:
    return {"id": x.id, "project_id": x.project_id, "domain_id": x.domain_id,
            "service_id": x.service_id, "region_id": x.region_id,
            "resource_name": x.resource_name, "resource_limit": x.resource_limit,
            "description": x.description, "links": {"self": f"{base}/limits/{x.id}"}}


CONFIG_GROUPS = {"identity": {"driver", "list_limit"},
                 "ldap": {"url", "user", "password", "suffix", "user_tree_dn", "group_tree_dn",
                          "use_tls", "page_size", "query_scope", "user_filter",
                          "group_filter", "user_objectclass", "group_objectclass"}}
SENSITIVE = {("ldap", "password")}
DEFAULTS = {"identity": {"driver": "sql", "list_limit": None},
            "ldap": {"url": "ldap://localhost", "user": None, "suffix": "cn=example,cn=com",
                     "user_tree_dn": None, "group_tree_dn": None, "use_tls": False,
                     "page_size": 0, "query_scope": "one", "user_filter": None,
                     "group_filter": None, "user_objectclass": "inetOrgPerson",
                     "group_objectclass": "groupOfNames"}}


def routes(ident: Identity) -> RouteTable:
    r = RouteTable()
    add_crud(r, ident, Resource("/v3/policies", "policy", "policies", cm.PolicyBlob,
                                policy_view, schemas.POLICY_CREATE, schemas.POLICY_UPDATE,
                                {"type", "blob"}, ADMIN_READ, ADMIN_WRITE, ("type",)))
    add_crud(r, ident, Resource("/v3/OS-OAUTH1/consumers", "consumer", "consumers", cm.Consumer,
                                consumer_view, schemas.CONSUMER, schemas.CONSUMER,
                                {"description", "secret"}, ADMIN_READ, ADMIN_WRITE,
                                prepare=_consumer_prepare))
    _limits(r, ident)
    _domain_config(r, ident)

    @r.get("/v3/OS-REVOKE/events")
    def revoke_events(call: Call) -> Reply:
        ident.enforce(call, "identity:list_revoke_events")
        events = ident.read(lambda s: [
            {k: v for k, v in {"audit_id": e.audit_id, "user_id": e.user_id,
                               "project_id": e.project_id, "domain_id": e.domain_id,
                               "trust_id": e.trust_id, "issued_before": views.iso(e.revoked_at)
                               }.items() if v is not None}
            for e in s.scalars(sa.select(cm.RevocationEvent))])
        return Reply(200, {"events": events, "links": {"self": self_url(call)}})

    return r


def _limits(r: RouteTable, ident: Identity) -> None:
    @r.get("/v3/limits/model")
    def model(call: Call) -> Reply:
        return Reply(200, {"model": {"name": "flat", "description": (
            "Limit enforcement and validation does not take project hierarchy into "
            "consideration.")}})

    def check_refs(s: Session, item: dict) -> None:
        if s.get(cm.Service, item["service_id"]) is None:
            raise BadRequest(f"Invalid service_id {item['service_id']}")
        if item.get("region_id") and s.get(cm.Region, item["region_id"]) is None:
            raise BadRequest(f"Invalid region_id {item['region_id']}")

    @r.post("/v3/registered_limits")
    def create_registered(call: Call) -> Reply:
        items = schemas.validate(schemas.REGISTERED_LIMITS, call.body().get("registered_limits"))
        ident.enforce(call, "identity:manage_limits")

        def work(s: Session) -> list[dict]:
            out = []
            for item in items:
                check_refs(s, item)
                if s.scalar(sa.select(cm.RegisteredLimit.id).where(
                        cm.RegisteredLimit.service_id == item["service_id"],
                        cm.RegisteredLimit.region_id == item.get("region_id"),
                        cm.RegisteredLimit.resource_name == item["resource_name"])):
                    raise Conflict("Duplicate registered limit.")
                x = cm.RegisteredLimit(id=new_id(), **item)
                s.add(x)
                out.append(registered_limit_view(x, v3(call)))
            return out
        return Reply(201, {"registered_limits": ident.write(work)})

    @r.post("/v3/limits")
    def create_limits(call: Call) -> Reply:
        items = schemas.validate(schemas.LIMITS, call.body().get("limits"))
        ident.enforce(call, "identity:manage_limits")

        def work(s: Session) -> list[dict]:
            out = []
            for item in items:
                check_refs(s, item)
                if bool(item.get("project_id")) == bool(item.get("domain_id")):
                    raise BadRequest("A limit names a project or a domain.")
                if item.get("project_id"):
                    store.get_project(s, item["project_id"])
                if s.scalar(sa.select(cm.Limit.id).where(
                        cm.Limit.service_id == item["service_id"],
                        cm.Limit.region_id == item.get("region_id"),
                        cm.Limit.resource_name == item["resource_name"],
                        cm.Limit.project_id == item.get("project_id"),
                        cm.Limit.domain_id == item.get("domain_id"))):
                    raise Conflict("Duplicate limit.")
                x = cm.Limit(id=new_id(), **item)
                s.add(x)
                out.append(limit_view(x, v3(call)))
            return out
        return Reply(201, {"limits": ident.write(work)})

    for path, member, model_, view, upd in (
            ("/v3/registered_limits", "registered_limit", cm.RegisteredLimit,
             registered_limit_view, schemas.REGISTERED_LIMIT_UPDATE),
            ("/v3/limits", "limit", cm.Limit, limit_view, schemas.LIMIT_UPDATE)):
        _limit_rud(r, ident, path, member, model_, view, upd)


def _limit_rud(r: RouteTable, ident: Identity, path: str, member: str, model: type, view,
               update_schema: dict) -> None:
    plural = member + "s"

    def list_(call: Call) -> Reply:
        ident.enforce(call, "identity:get_limit")

        def work(s: Session) -> list[dict]:
            q = sa.select(model)
            for name in ("service_id", "region_id", "resource_name", "project_id", "domain_id"):
                if call.q(name) is not None and hasattr(model, name):
                    q = q.where(getattr(model, name) == call.q(name))
            if model is cm.Limit and not ident.allowed(call, "identity:read_admin_resource"):
                q = q.where(cm.Limit.project_id == call.ctx.project_id)
            return [view(x, v3(call)) for x in s.scalars(q)]
        return Reply(200, views.collection(plural, ident.read(work), self_url(call)))

    def get(s: Session, call: Call) -> Any:
        x = s.get(model, call.params["item_id"])
        if x is None:
            raise not_found(member.replace("_", " "), call.params["item_id"])
        return x

    def show(call: Call) -> Reply:
        ident.enforce(call, "identity:get_limit")
        return Reply(200, {member: ident.read(lambda s: view(get(s, call), v3(call)))})

    def update(call: Call) -> Reply:
        body = schemas.validate(update_schema, call.body(member))
        ident.enforce(call, "identity:manage_limits")

        def work(s: Session) -> dict:
            x = get(s, call)
            for k, v in body.items():
                setattr(x, k, v)
            return view(x, v3(call))
        return Reply(200, {member: ident.write(work)})

    def delete(call: Call) -> Reply:
        ident.enforce(call, "identity:manage_limits")
        ident.write(lambda s: s.delete(get(s, call)))
        return Reply(204)

    r.add("GET", path, list_)
    r.add("GET", path + "/{item_id}", show)
    r.add("PATCH", path + "/{item_id}", update)
    r.add("DELETE", path + "/{item_id}", delete)


def _domain_config(r: RouteTable, ident: Identity) -> None:
    base = "/v3/domains/{domain_id}/config"

    def validate_config(config: Any) -> dict[str, dict[str, Any]]:
        if not isinstance(config, dict) or not config:
            raise BadRequest("'config' must be a non-empty object.")
        for group, options in config.items():
            if group not in CONFIG_GROUPS or not isinstance(options, dict):
                raise Forbidden(f"Group {group} is not supported for domain specific "
                                "configurations.")
            for option in options:
                if option not in CONFIG_GROUPS[group]:
                    raise Forbidden(f"Option {option} in group {group} is not supported for "
                                    "domain specific configurations.")
        return config

    def load(s: Session, domain_id: str, group: str | None = None,
             option: str | None = None) -> dict[str, dict[str, Any]]:
        q = sa.select(cm.DomainConfig).where(cm.DomainConfig.domain_id == domain_id)
        if group:
            q = q.where(cm.DomainConfig.group == group)
        if option:
            q = q.where(cm.DomainConfig.option == option)
        out: dict[str, dict[str, Any]] = {}
        for row in s.scalars(q):
            if not row.sensitive:
                out.setdefault(row.group, {})[row.option] = row.value
        return out

    def store_config(s: Session, domain_id: str, config: dict[str, dict[str, Any]]) -> None:
        for group, options in config.items():
            for option, value in options.items():
                row = s.get(cm.DomainConfig, (domain_id, group, option))
                if row is None:
                    s.add(cm.DomainConfig(domain_id=domain_id, group=group, option=option,
                                          value=value, sensitive=(group, option) in SENSITIVE))
                else:
                    row.value = value

    def scoped(call: Call) -> tuple[str, str | None, str | None]:
        return call.params["domain_id"], call.params.get("group"), call.params.get("option")

    @r.put(base)
    def create(call: Call) -> Reply:
        ident.enforce(call, ADMIN_WRITE)
        config = validate_config(call.body().get("config"))

        def work(s: Session) -> tuple[int, dict]:
            domain_id = call.params["domain_id"]
            store.get_domain(s, domain_id)
            existed = bool(load(s, domain_id))
            s.execute(sa.delete(cm.DomainConfig).where(cm.DomainConfig.domain_id == domain_id))
            store_config(s, domain_id, config)
            s.flush()
            return (200 if existed else 201), load(s, domain_id)
        status, body = ident.write(work)
        return Reply(status, {"config": body})

    def read(call: Call) -> Reply:
        ident.enforce(call, ADMIN_READ)
        domain_id, group, option = scoped(call)

        def work(s: Session) -> Any:
            store.get_domain(s, domain_id)
            if group and group not in CONFIG_GROUPS:
                raise NotFound(f"Could not find config group: {group}.")
            cfg = load(s, domain_id, group, option)
            if not cfg:
                raise NotFound(f"Could not find domain config: {domain_id}.")
            if option:
                return {option: cfg[group][option]}
            return {group: cfg[group]} if group else cfg
        return Reply(200, {"config": ident.read(work)})

    def update(call: Call) -> Reply:
        ident.enforce(call, ADMIN_WRITE)
        domain_id, group, option = scoped(call)
        patch = call.body().get("config")
        if option:
            if not isinstance(patch, dict) or option not in patch:
                raise BadRequest("The option to update is missing from the body.")
            patch = {group: {option: patch[option]}}
        elif group:
            if not isinstance(patch, dict) or set(patch) != {group}:
                raise BadRequest("The body must name only the group in the URL.")
        validate_config(patch)

        def work(s: Session) -> Any:
            store.get_domain(s, domain_id)
            if not load(s, domain_id, group, option):
                raise NotFound(f"Could not find domain config: {domain_id}.")
            store_config(s, domain_id, patch)
            s.flush()
            return load(s, domain_id, group)
        return Reply(200, {"config": ident.write(work)})

    def delete(call: Call) -> Reply:
        ident.enforce(call, ADMIN_WRITE)
        domain_id, group, option = scoped(call)

        def work(s: Session) -> None:
            store.get_domain(s, domain_id)
            q = sa.delete(cm.DomainConfig).where(cm.DomainConfig.domain_id == domain_id)
            if group:
                q = q.where(cm.DomainConfig.group == group)
            if option:
                q = q.where(cm.DomainConfig.option == option)
            if not s.execute(q).rowcount:
                raise NotFound(f"Could not find domain config: {domain_id}.")
        ident.write(work)
        return Reply(204)

    def default(call: Call) -> Reply:
        ident.enforce(call, ADMIN_READ)
        group, option = call.params.get("group"), call.params.get("option")
        if group and group not in DEFAULTS:
            raise Forbidden(f"Group {group} is not supported for domain specific "
                            "configurations.")
        if option:
            if option not in DEFAULTS[group]:
                raise Forbidden(f"Option {option} is not supported.")
            return Reply(200, {"config": {option: DEFAULTS[group][option]}})
        return Reply(200, {"config": {group: DEFAULTS[group]} if group else DEFAULTS})

    r.add("GET", "/v3/domains/config/default", default)
    r.add("GET", "/v3/domains/config/{group}/default", default)
    r.add("GET", "/v3/domains/config/{group}/{option}/default", default)
    for path in (base, base + "/{group}", base + "/{group}/{option}"):
        r.add("GET", path, read)
        r.add("PATCH", path, update)
        r.add("DELETE", path, delete)

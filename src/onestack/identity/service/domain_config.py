"""Domain-specific configuration (``/v3/domains/{id}/config``): the identity and LDAP options
an operator may set per domain. Sensitive options are stored but never read back."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.context import RequestContext
from onestack.core.errors import BadRequest, Forbidden, NotFound
from onestack.identity import catalog_models as cm
from onestack.identity.service import store
from onestack.identity.service.container import Identity

ADMIN_READ, ADMIN_WRITE = "identity:read_admin_resource", "identity:manage_admin_resource"
Config = dict[str, dict[str, Any]]
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


def validate_config(config: Any) -> Config:
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


def _load(s: Session, domain_id: str, group: str | None = None,
          option: str | None = None) -> Config:
    q = sa.select(cm.DomainConfig).where(cm.DomainConfig.domain_id == domain_id)
    if group:
        q = q.where(cm.DomainConfig.group == group)
    if option:
        q = q.where(cm.DomainConfig.option == option)
    out: Config = {}
    for row in s.scalars(q):
        if not row.sensitive:
            out.setdefault(row.group, {})[row.option] = row.value
    return out


def _store(s: Session, domain_id: str, config: Config) -> None:
    for group, options in config.items():
        for option, value in options.items():
            row = s.get(cm.DomainConfig, (domain_id, group, option))
            if row is None:
                s.add(cm.DomainConfig(domain_id=domain_id, group=group, option=option,
                                      value=value, sensitive=(group, option) in SENSITIVE))
            else:
                row.value = value


def _config_of(body: Any) -> Any:
    """The ``config`` member of a request body (read after the policy check)."""
    if not isinstance(body, dict):
        raise BadRequest("Expecting a JSON object in the request body.")
    return body.get("config")


def replace(ident: Identity, ctx: RequestContext, domain_id: str,
            body: Any) -> tuple[bool, Config]:
    """Replace the whole configuration; returns (created, what is now readable)."""
    ident.check(ctx, ADMIN_WRITE)
    config = validate_config(_config_of(body))

    def work(s: Session) -> tuple[bool, Config]:
        store.get_domain(s, domain_id)
        existed = bool(_load(s, domain_id))
        s.execute(sa.delete(cm.DomainConfig).where(cm.DomainConfig.domain_id == domain_id))
        _store(s, domain_id, config)
        s.flush()
        return not existed, _load(s, domain_id)
    return ident.write(work)


def show(ident: Identity, ctx: RequestContext, domain_id: str, group: str | None,
         option: str | None) -> Any:
    ident.check(ctx, ADMIN_READ)

    def work(s: Session) -> Any:
        store.get_domain(s, domain_id)
        if group and group not in CONFIG_GROUPS:
            raise NotFound(f"Could not find config group: {group}.")
        cfg = _load(s, domain_id, group, option)
        if not cfg:
            raise NotFound(f"Could not find domain config: {domain_id}.")
        if option:
            return {option: cfg[group][option]}
        return {group: cfg[group]} if group else cfg
    return ident.read(work)


def update(ident: Identity, ctx: RequestContext, domain_id: str, group: str | None,
           option: str | None, body: Any) -> Config:
    ident.check(ctx, ADMIN_WRITE)
    patch = _config_of(body)
    if option:
        if not isinstance(patch, dict) or option not in patch:
            raise BadRequest("The option to update is missing from the body.")
        patch = {group: {option: patch[option]}}
    elif group:
        if not isinstance(patch, dict) or set(patch) != {group}:
            raise BadRequest("The body must name only the group in the URL.")
    validate_config(patch)

    def work(s: Session) -> Config:
        store.get_domain(s, domain_id)
        if not _load(s, domain_id, group, option):
            raise NotFound(f"Could not find domain config: {domain_id}.")
        _store(s, domain_id, patch)
        s.flush()
        return _load(s, domain_id, group)
    return ident.write(work)


def delete(ident: Identity, ctx: RequestContext, domain_id: str, group: str | None,
           option: str | None) -> None:
    ident.check(ctx, ADMIN_WRITE)

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


def defaults(ident: Identity, ctx: RequestContext, group: str | None,
             option: str | None) -> Any:
    ident.check(ctx, ADMIN_READ)
    if group and group not in DEFAULTS:
        raise Forbidden(f"Group {group} is not supported for domain specific configurations.")
    if option:
        if option not in DEFAULTS[group]:
            raise Forbidden(f"Option {option} is not supported.")
        return {option: DEFAULTS[group][option]}
    return {group: DEFAULTS[group]} if group else DEFAULTS

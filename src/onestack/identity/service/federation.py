"""OS-FEDERATION records: identity providers (with their remote ids and the domain their users
land in), the protocols they speak and the mapping each uses, mappings, and service providers.
Federated login itself is not served; these are what an operator sets up for it.

Every resource is created with ``PUT`` on an id the caller chooses (409 when taken)."""
from __future__ import annotations

from typing import Any, Mapping

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.context import RequestContext
from onestack.core.errors import BadRequest, conflict, not_found
from onestack.identity import catalog_models as cm
from onestack.identity.service import store
from onestack.identity.service.container import Identity
from onestack.identity.service.domains import create_domain_row
from onestack.identity.service.filters import parse_bool

FED = "/OS-FEDERATION"


def rule(verb: str, noun: str) -> str:
    """Keystone's policy name for an OS-FEDERATION action: ``identity:list_mappings`` …"""
    return f"identity:{verb}_{noun}{'s' if verb == 'list' else ''}"


# --- views ------------------------------------------------------------------------------
def _remote_ids(s: Session, idp_id: str) -> list[str]:
    return list(s.scalars(sa.select(cm.IdpRemoteId.remote_id)
                          .where(cm.IdpRemoteId.idp_id == idp_id)
                          .order_by(cm.IdpRemoteId.remote_id)))


def idp_view(s: Session, idp: cm.IdentityProvider, base: str) -> dict[str, Any]:
    url = f"{base}{FED}/identity_providers/{idp.id}"
    return {"id": idp.id, "domain_id": idp.domain_id, "description": idp.description,
            "enabled": idp.enabled, "authorization_ttl": idp.authorization_ttl,
            "remote_ids": _remote_ids(s, idp.id),
            "links": {"self": url, "protocols": url + "/protocols"}}


def protocol_view(p: cm.FederationProtocol, base: str) -> dict[str, Any]:
    idp_url = f"{base}{FED}/identity_providers/{p.idp_id}"
    return {"id": p.id, "mapping_id": p.mapping_id,
            "remote_id_attribute": p.remote_id_attribute,
            "links": {"self": f"{idp_url}/protocols/{p.id}", "identity_provider": idp_url}}


def mapping_view(x: cm.Mapping, base: str) -> dict[str, Any]:
    return {"id": x.id, "rules": x.rules, "schema_version": x.schema_version,
            "links": {"self": f"{base}{FED}/mappings/{x.id}"}}


def sp_view(x: cm.ServiceProvider, base: str) -> dict[str, Any]:
    return {"id": x.id, "auth_url": x.auth_url, "sp_url": x.sp_url,
            "description": x.description, "enabled": x.enabled,
            "relay_state_prefix": x.relay_state_prefix,
            "links": {"self": f"{base}{FED}/service_providers/{x.id}"}}


# --- identity providers -----------------------------------------------------------------
def _get(s: Session, model: type, key: Any, kind: str, shown: str) -> Any:
    row = s.get(model, key)
    if row is None:
        raise not_found(kind, shown)
    return row


def _set_remote_ids(s: Session, idp_id: str, remote_ids: list[str]) -> None:
    """Replace the provider's remote ids; one taken by another provider is a 409."""
    taken = s.scalars(sa.select(cm.IdpRemoteId).where(
        cm.IdpRemoteId.remote_id.in_(remote_ids), cm.IdpRemoteId.idp_id != idp_id)).first()
    if taken is not None:
        raise conflict("identity_provider", f"Duplicate remote ID: {taken.remote_id}")
    s.execute(sa.delete(cm.IdpRemoteId).where(cm.IdpRemoteId.idp_id == idp_id))
    s.flush()
    for remote_id in remote_ids:
        s.add(cm.IdpRemoteId(remote_id=remote_id, idp_id=idp_id))


def _idp_domain(s: Session, idp_id: str, domain_id: str | None) -> str:
    """The given domain (which must exist) or, as Keystone does, a new one for the provider."""
    if domain_id:
        return store.get_domain(s, domain_id).id
    return create_domain_row(s, {"name": idp_id, "description": (
        f"Auto generated federated domain for Identity Provider: {idp_id}")}).id


def create_idp(ident: Identity, ctx: RequestContext, idp_id: str, body: dict[str, Any],
               base: str) -> dict:
    ident.check(ctx, rule("create", "identity_provider"))

    def work(s: Session) -> dict:
        if s.get(cm.IdentityProvider, idp_id) is not None:
            raise conflict("identity_provider", f"Duplicate ID, {idp_id}")
        idp = cm.IdentityProvider(
            id=idp_id, domain_id=_idp_domain(s, idp_id, body.get("domain_id")),
            description=body.get("description"), enabled=body.get("enabled", False),
            authorization_ttl=body.get("authorization_ttl"))
        s.add(idp)
        s.flush()
        _set_remote_ids(s, idp.id, body.get("remote_ids") or [])
        s.flush()
        return idp_view(s, idp, base)
    return ident.write(work)


def list_idps(ident: Identity, ctx: RequestContext, query: Mapping[str, str],
              base: str) -> list[dict]:
    ident.check(ctx, rule("list", "identity_provider"))

    def work(s: Session) -> list[dict]:
        q = sa.select(cm.IdentityProvider)
        if query.get("id") is not None:
            q = q.where(cm.IdentityProvider.id == query["id"])
        enabled = parse_bool(query, "enabled")
        if enabled is not None:
            q = q.where(cm.IdentityProvider.enabled.is_(enabled))
        return [idp_view(s, x, base) for x in s.scalars(q.order_by(cm.IdentityProvider.id))]
    return ident.read(work)


def show_idp(ident: Identity, ctx: RequestContext, idp_id: str, base: str) -> dict:
    ident.check(ctx, rule("get", "identity_provider"))
    return ident.read(lambda s: idp_view(
        s, _get(s, cm.IdentityProvider, idp_id, "identity_provider", idp_id), base))


def update_idp(ident: Identity, ctx: RequestContext, idp_id: str, body: dict[str, Any],
               base: str) -> dict:
    ident.check(ctx, rule("update", "identity_provider"))

    def work(s: Session) -> dict:
        idp = _get(s, cm.IdentityProvider, idp_id, "identity_provider", idp_id)
        for attr in ("description", "enabled", "authorization_ttl"):
            if attr in body:
                setattr(idp, attr, body[attr])
        if "remote_ids" in body:
            _set_remote_ids(s, idp.id, body["remote_ids"] or [])
        s.flush()
        return idp_view(s, idp, base)
    return ident.write(work)


def delete_idp(ident: Identity, ctx: RequestContext, idp_id: str) -> None:
    ident.check(ctx, rule("delete", "identity_provider"))

    def work(s: Session) -> None:
        idp = _get(s, cm.IdentityProvider, idp_id, "identity_provider", idp_id)
        for model in (cm.FederationProtocol, cm.IdpRemoteId):
            s.execute(sa.delete(model).where(model.idp_id == idp.id))
        s.delete(idp)
    ident.write(work)


# --- protocols --------------------------------------------------------------------------
def _check_mapping(s: Session, mapping_id: str) -> None:
    if s.get(cm.Mapping, mapping_id) is None:
        raise BadRequest(f"Invalid mapping id: {mapping_id}")


def _protocol(s: Session, idp_id: str, protocol_id: str) -> cm.FederationProtocol:
    _get(s, cm.IdentityProvider, idp_id, "identity_provider", idp_id)
    return _get(s, cm.FederationProtocol, (protocol_id, idp_id), "federation_protocol",
                protocol_id)


def create_protocol(ident: Identity, ctx: RequestContext, idp_id: str, protocol_id: str,
                    body: dict[str, Any], base: str) -> dict:
    ident.check(ctx, rule("create", "protocol"))

    def work(s: Session) -> dict:
        _get(s, cm.IdentityProvider, idp_id, "identity_provider", idp_id)
        if s.get(cm.FederationProtocol, (protocol_id, idp_id)) is not None:
            raise conflict("federation_protocol", f"Duplicate ID, {protocol_id}")
        _check_mapping(s, body["mapping_id"])
        p = cm.FederationProtocol(id=protocol_id, idp_id=idp_id, mapping_id=body["mapping_id"],
                                  remote_id_attribute=body.get("remote_id_attribute"))
        s.add(p)
        return protocol_view(p, base)
    return ident.write(work)


def list_protocols(ident: Identity, ctx: RequestContext, idp_id: str, base: str) -> list[dict]:
    ident.check(ctx, rule("list", "protocol"))

    def work(s: Session) -> list[dict]:
        _get(s, cm.IdentityProvider, idp_id, "identity_provider", idp_id)
        rows = s.scalars(sa.select(cm.FederationProtocol).where(
            cm.FederationProtocol.idp_id == idp_id).order_by(cm.FederationProtocol.id))
        return [protocol_view(p, base) for p in rows]
    return ident.read(work)


def show_protocol(ident: Identity, ctx: RequestContext, idp_id: str, protocol_id: str,
                  base: str) -> dict:
    ident.check(ctx, rule("get", "protocol"))
    return ident.read(lambda s: protocol_view(_protocol(s, idp_id, protocol_id), base))


def update_protocol(ident: Identity, ctx: RequestContext, idp_id: str, protocol_id: str,
                    body: dict[str, Any], base: str) -> dict:
    ident.check(ctx, rule("update", "protocol"))

    def work(s: Session) -> dict:
        p = _protocol(s, idp_id, protocol_id)
        if "mapping_id" in body:
            _check_mapping(s, body["mapping_id"])
            p.mapping_id = body["mapping_id"]
        if "remote_id_attribute" in body:
            p.remote_id_attribute = body["remote_id_attribute"]
        return protocol_view(p, base)
    return ident.write(work)


def delete_protocol(ident: Identity, ctx: RequestContext, idp_id: str,
                    protocol_id: str) -> None:
    ident.check(ctx, rule("delete", "protocol"))
    ident.write(lambda s: s.delete(_protocol(s, idp_id, protocol_id)))

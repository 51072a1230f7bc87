"""Model rows → the JSON shapes of the Identity v3 API."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from onestack.identity import catalog_models as cm
from onestack.identity import models as m


def iso(dt: datetime | None) -> str | None:
    """Keystone's timestamp form: ``2026-11-26T01:52:01.000000Z``."""
    return dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ") if dt else None


def collection(name: str, items: list[dict], self_url: str) -> dict[str, Any]:
    return {name: items, "links": {"self": self_url, "previous": None, "next": None}}


def project(p: m.Project, tags: list[str], base: str) -> dict[str, Any]:
    body = dict(p.extra or {})
    body.update({
        "id": p.id, "name": p.name, "domain_id": None if p.is_domain else p.domain_id,
        "description": p.description or "", "enabled": p.enabled,
        "parent_id": p.parent_id if not p.is_domain else None, "is_domain": p.is_domain,
        "tags": tags, "options": p.options or {},
        "links": {"self": f"{base}/projects/{p.id}"},
    })
    if p.is_domain:
        body["parent_id"] = None
    return body


def domain(p: m.Project, tags: list[str], base: str) -> dict[str, Any]:
    body = dict(p.extra or {})
    body.update({"id": p.id, "name": p.name, "description": p.description or "",
                 "enabled": p.enabled, "tags": tags, "options": p.options or {},
                 "links": {"self": f"{base}/domains/{p.id}"}})
    return body


def user(u: m.User, base: str) -> dict[str, Any]:
    body = dict(u.extra or {})
    body.update({"id": u.id, "name": u.name, "domain_id": u.domain_id, "enabled": u.enabled,
                 "password_expires_at": iso(u.password_expires_at), "options": u.options or {},
                 "links": {"self": f"{base}/users/{u.id}"}})
    if u.default_project_id:
        body["default_project_id"] = u.default_project_id
    if u.description is not None:
        body["description"] = u.description
    return body


def group(g: m.Group, base: str) -> dict[str, Any]:
    body = dict(g.extra or {})
    body.update({"id": g.id, "name": g.name, "domain_id": g.domain_id,
                 "description": g.description or "", "links": {"self": f"{base}/groups/{g.id}"}})
    return body


def role(r: m.Role, base: str) -> dict[str, Any]:
    body = dict(r.extra or {})
    body.update({"id": r.id, "name": r.name,
                 "domain_id": None if r.domain_id == m.GLOBAL_ROLE else r.domain_id,
                 "description": r.description, "options": r.options or {},
                 "links": {"self": f"{base}/roles/{r.id}"}})
    return body


def role_ref(r: m.Role, base: str) -> dict[str, Any]:
    return {"id": r.id, "name": r.name, "links": {"self": f"{base}/roles/{r.id}"}}


def region(r: cm.Region, base: str) -> dict[str, Any]:
    body = dict(r.extra or {})
    body.update({"id": r.id, "description": r.description or "",
                 "parent_region_id": r.parent_region_id,
                 "links": {"self": f"{base}/regions/{r.id}"}})
    return body


def service(s: cm.Service, base: str) -> dict[str, Any]:
    body = dict(s.extra or {})
    body.update({"id": s.id, "type": s.type, "enabled": s.enabled,
                 "links": {"self": f"{base}/services/{s.id}"}})
    return body


def endpoint(e: cm.Endpoint, base: str) -> dict[str, Any]:
    body = dict(e.extra or {})
    body.update({"id": e.id, "interface": e.interface, "url": e.url, "region_id": e.region_id,
                 "region": e.region_id, "service_id": e.service_id, "enabled": e.enabled,
                 "links": {"self": f"{base}/endpoints/{e.id}"}})
    return body


def endpoint_group(g: cm.EndpointGroup, base: str) -> dict[str, Any]:
    return {"id": g.id, "name": g.name, "description": g.description or "",
            "filters": g.filters or {}, "links": {"self": f"{base}/OS-EP-FILTER/endpoint_groups/{g.id}"}}


def policy(p: cm.PolicyBlob, base: str) -> dict[str, Any]:
    body = dict(p.extra or {})
    body.update({"id": p.id, "type": p.type, "blob": p.blob,
                 "links": {"self": f"{base}/policies/{p.id}"}})
    return body


def consumer(c: cm.Consumer, base: str) -> dict[str, Any]:
    body = dict(c.extra or {})
    body.update({"id": c.id, "description": c.description,
                 "links": {"self": f"{base}/OS-OAUTH1/consumers/{c.id}"}})
    return body

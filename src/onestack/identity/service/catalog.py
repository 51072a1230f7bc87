"""The service catalog as tokens carry it, filtered per project when endpoint filtering
(OS-EP-FILTER) associates endpoints with that project."""
from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.identity import catalog_models as cm


_TEMPLATE = re.compile(r"\$\((\w+)\)s")


def render_url(url: str, project_id: str) -> str | None:
    """An endpoint URL for one token: ``$(project_id)s`` (or the older ``$(tenant_id)s``)
    becomes the token's project, as object storage and older volume URLs expect. A URL this
    token cannot fill (no project, or an unknown name) is left out of its catalog, as
    Keystone leaves it out."""
    if "$(" not in url:
        return url
    values = {"project_id": project_id, "tenant_id": project_id} if project_id else {}
    names = _TEMPLATE.findall(url)
    if not names or any(name not in values for name in names):
        return None
    return _TEMPLATE.sub(lambda m: values[m.group(1)], url)


def _group_matches(filters: dict[str, Any], e: cm.Endpoint) -> bool:
    return all(getattr(e, k, None) == v for k, v in (filters or {}).items())


def filtered_endpoint_ids(s: Session, project_id: str) -> set[str] | None:
    """Endpoint ids associated with the project, or None when it has no associations."""
    rows = list(s.execute(sa.select(cm.ProjectEndpoint.endpoint_id,
                                    cm.ProjectEndpoint.endpoint_group_id)
                          .where(cm.ProjectEndpoint.project_id == project_id)))
    if not rows:
        return None
    ids = {e for e, g in rows if e}
    group_ids = [g for e, g in rows if g]
    if group_ids:
        groups = s.scalars(sa.select(cm.EndpointGroup).where(cm.EndpointGroup.id.in_(group_ids)))
        endpoints = list(s.scalars(sa.select(cm.Endpoint)))
        for g in groups:
            ids |= {e.id for e in endpoints if _group_matches(g.filters, e)}
    return ids


def build(s: Session, project_id: str = "") -> list[dict[str, Any]]:
    only = filtered_endpoint_ids(s, project_id) if project_id else None
    services = {sv.id: sv for sv in s.scalars(sa.select(cm.Service).where(
        cm.Service.enabled.is_(True)))}
    by_service: dict[str, list[dict[str, Any]]] = {sid: [] for sid in services}
    for e in s.scalars(sa.select(cm.Endpoint).where(cm.Endpoint.enabled.is_(True))
                       .order_by(cm.Endpoint.id)):
        if e.service_id not in services or (only is not None and e.id not in only):
            continue
        url = render_url(e.url, project_id)
        if url is None:
            continue
        by_service[e.service_id].append({"id": e.id, "interface": e.interface,
                                         "region_id": e.region_id, "url": url,
                                         "region": e.region_id})
    catalog = []
    for sid, sv in services.items():
        if not by_service[sid] and only is not None:
            continue
        catalog.append({"endpoints": by_service[sid], "id": sid, "type": sv.type,
                        "name": (sv.extra or {}).get("name", "")})
    return catalog

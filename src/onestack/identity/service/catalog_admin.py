"""Catalog administration rules: regions form a tree without cycles and keep their children,
an endpoint names an existing service (its region is made on the fly, as Keystone does), and
a service takes its endpoints with it."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.context import RequestContext
from onestack.core.errors import BadRequest, Forbidden, conflict, not_found
from onestack.identity import catalog_models as cm
from onestack.identity import views
from onestack.identity.service.container import Identity


def region_prepare(s: Session, body: dict, row: Any) -> None:
    parent = body.get("parent_region_id")
    if not parent:
        return
    if s.get(cm.Region, parent) is None:
        raise not_found("region", parent)
    rid = row.id if row is not None else body.get("id")
    seen = set()
    cursor = parent
    while cursor and cursor not in seen:  # walk up: the new parent must not be below us
        if cursor == rid:
            raise BadRequest("The parent region would make the hierarchy circular.")
        seen.add(cursor)
        above = s.get(cm.Region, cursor)
        cursor = above.parent_region_id if above is not None else None


def region_delete(s: Session, row: cm.Region) -> None:
    if s.scalar(sa.select(cm.Region.id).where(cm.Region.parent_region_id == row.id)):
        raise Forbidden(f"Unable to delete region {row.id} because it has child regions.")


def endpoint_prepare(s: Session, body: dict, row: Any) -> None:
    if "region" in body and "region_id" not in body:
        body["region_id"] = body["region"]
    body.pop("region", None)
    if body.get("service_id") and s.get(cm.Service, body["service_id"]) is None:
        raise BadRequest(f"Invalid service_id {body['service_id']}")
    if body.get("region_id") and s.get(cm.Region, body["region_id"]) is None:
        # Keystone creates a region named by an endpoint on the fly.
        s.add(cm.Region(id=body["region_id"], description="", extra={}))


def service_delete(s: Session, row: cm.Service) -> None:
    s.execute(sa.delete(cm.Endpoint).where(cm.Endpoint.service_id == row.id))


def create_region_with_id(ident: Identity, ctx: RequestContext, region_id: str,
                          body: dict[str, Any], base: str) -> dict:
    """``PUT /v3/regions/{id}``: the caller names the id."""
    ident.check(ctx, "identity:manage_region")

    def work(s: Session) -> dict:
        if s.get(cm.Region, region_id) is not None:
            raise conflict("region", f"Duplicate ID, {region_id}")
        region_prepare(s, body, None)
        region = cm.Region(id=region_id, description=body.get("description") or "",
                           parent_region_id=body.get("parent_region_id"),
                           extra={k: v for k, v in body.items()
                                  if k not in ("id", "description", "parent_region_id")})
        s.add(region)
        return views.region(region, base)
    return ident.write(work)

"""Server metadata: read by project readers, written by members; the item count is a quota
(Nova's 403) and a locked server refuses writes from all but an admin."""
from __future__ import annotations

from typing import Any, Callable

from sqlalchemy.orm import Session

from onestack.compute import quotas
from onestack.compute.service.servers import (Deps, check_lock, read_server,
                                              visible_instance)
from onestack.core.context import RequestContext
from onestack.core.db import utcnow
from onestack.core.errors import Forbidden, NotFound

RULE = "os_compute_api:server-metadata:"


def check_items_quota(s: Session, project_id: str, meta: dict[str, Any]) -> None:
    limit = quotas.limits_for(s, project_id)["metadata_items"]
    if limit >= 0 and len(meta) > limit:
        raise Forbidden("Quota exceeded for metadata_items: Maximum number of metadata "
                        f"items exceeds {limit}")


def _write(deps: Deps, ctx: RequestContext, ident: str, rule: str,
           change: Callable[[dict[str, Any]], Any]) -> Any:
    def work(s: Session) -> Any:
        inst = visible_instance(deps, s, ctx, ident, RULE + rule, lock=True)
        check_lock(deps, ctx, inst)
        meta = dict(inst.metadata_ or {})
        result = change(meta)
        check_items_quota(s, inst.project_id, meta)
        inst.metadata_ = meta
        inst.updated_at = utcnow()
        return result
    return deps.db.write(work)


def index(deps: Deps, ctx: RequestContext, ident: str) -> dict[str, Any]:
    return read_server(deps, ctx, ident, RULE + "index",
                       lambda s, inst: dict(inst.metadata_ or {}))


def show(deps: Deps, ctx: RequestContext, ident: str, key: str) -> dict[str, Any]:
    meta = read_server(deps, ctx, ident, RULE + "show",
                       lambda s, inst: dict(inst.metadata_ or {}))
    if key not in meta:
        raise NotFound("Metadata item was not found")
    return {key: meta[key]}


def merge(deps: Deps, ctx: RequestContext, ident: str, new: dict[str, Any]) -> dict[str, Any]:
    def change(meta: dict[str, Any]) -> dict[str, Any]:
        meta.update(new)
        return dict(meta)
    return _write(deps, ctx, ident, "create", change)


def replace(deps: Deps, ctx: RequestContext, ident: str, new: dict[str, Any]
            ) -> dict[str, Any]:
    def change(meta: dict[str, Any]) -> dict[str, Any]:
        meta.clear()
        meta.update(new)
        return dict(meta)
    return _write(deps, ctx, ident, "update_all", change)


def set_item(deps: Deps, ctx: RequestContext, ident: str, key: str, value: Any
             ) -> dict[str, Any]:
    def change(meta: dict[str, Any]) -> dict[str, Any]:
        meta[key] = value
        return {key: value}
    return _write(deps, ctx, ident, "update", change)


def delete_item(deps: Deps, ctx: RequestContext, ident: str, key: str) -> None:
    def change(meta: dict[str, Any]) -> None:
        if key not in meta:
            raise NotFound("Metadata item was not found")
        del meta[key]
    _write(deps, ctx, ident, "delete", change)

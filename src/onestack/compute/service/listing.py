"""``GET /servers`` and ``/servers/detail``: the caller's project's servers (every project's
for an admin who asks), filtered, sorted and paged. The name filter is the bounded one of
``core.name_filter``; tag filters take at most ``MAX_TAGS`` tags."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.compute import models as cm
from onestack.compute import records
from onestack.compute import states as st
from onestack.compute.service import networking
from onestack.compute.service.servers import Deps, ServerView, require_project_scope
from onestack.core.context import RequestContext
from onestack.core.errors import BadRequest
from onestack.core.name_filter import name_matcher

MAX_TAGS = 50  # Nova's per-server tag limit: a filter naming more can match nothing real
TAG_FILTERS = ("tags", "tags-any", "not-tags", "not-tags-any")
SORT_COLUMNS = {"created_at": cm.Instance.created_at, "display_name": cm.Instance.name,
                "updated_at": cm.Instance.updated_at, "uuid": cm.Instance.id,
                "vm_state": cm.Instance.vm_state, "host": cm.Instance.host}
EQUAL_FILTERS = (("image", cm.Instance.image_ref), ("flavor", cm.Instance.flavor_id),
                 ("reservation_id", cm.Instance.reservation_id),
                 ("availability_zone", cm.Instance.availability_zone),
                 ("key_name", cm.Instance.key_name))


@dataclass
class ListQuery:
    """The parsed query string of a server list."""

    filters: dict[str, str] = field(default_factory=dict)
    limit: int | None = None
    marker: str | None = None
    detailed: bool = False


@dataclass
class Page:
    servers: list[ServerView]
    next_marker: str | None


def ref_id(ref: Any) -> str:
    """The id at the end of a reference that may be a URL."""
    return str(ref).rstrip("/").rsplit("/", 1)[-1]


def tag_sets(filters: dict[str, str]) -> dict[str, set[str]]:
    """The tag filters as sets; more than ``MAX_TAGS`` tags is a 400, not a slow query."""
    out = {}
    for name in TAG_FILTERS:
        value = filters.get(name)
        if value is None:
            continue
        tags = [t for t in value.split(",")]
        if len(tags) > MAX_TAGS or any(len(t) > 60 for t in tags):
            raise BadRequest(f"Invalid filter field: {name}. At most {MAX_TAGS} tags of "
                             "at most 60 characters.")
        out[name] = set(tags)
    return out


def tags_match(tags: list[str], wanted: dict[str, set[str]]) -> bool:
    have = set(tags or [])
    if "tags" in wanted and not wanted["tags"] <= have:
        return False
    if "tags-any" in wanted and not wanted["tags-any"] & have:
        return False
    if "not-tags" in wanted and wanted["not-tags"] <= have:
        return False
    return not ("not-tags-any" in wanted and wanted["not-tags-any"] & have)


def _since(value: str) -> datetime:
    try:
        since = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise BadRequest("Invalid filter field: changes-since.") from exc
    if since.tzinfo:
        since = since.astimezone(timezone.utc).replace(tzinfo=None)
    return since


def build_query(f: dict[str, str], ctx: RequestContext, all_tenants: bool,
                admin: bool) -> sa.Select | None:
    """The SQL part of the filters; None when the filters can match nothing. Every
    project's servers need ``all_tenants`` (and its rule); ``deleted`` and ``host`` are
    filters for ``admin`` callers only (``allow_all_filters``)."""
    q = sa.select(cm.Instance)
    if f.get("all_tenants") is not None and all_tenants:
        project = f.get("project_id") or f.get("tenant_id")
        if project:
            q = q.where(cm.Instance.project_id == project)
    else:
        q = q.where(cm.Instance.project_id == ctx.project_id)
    deleted = f.get("deleted")
    if f.get("changes-since"):
        q = q.where(cm.Instance.updated_at >= _since(f["changes-since"]))
    elif deleted is not None and admin and deleted.lower() in ("true", "1", "yes"):
        q = q.where(cm.Instance.deleted.is_(True))
    else:
        q = q.where(cm.Instance.deleted.is_(False))
    if f.get("status"):
        vm_states = st.vm_states_for_status(f["status"])
        if not vm_states:
            return None
        q = q.where(cm.Instance.vm_state.in_(vm_states))
    for param, column in EQUAL_FILTERS:
        value = f.get(param)
        if value:
            q = q.where(column == (ref_id(value) if param in ("image", "flavor") else value))
    if admin and f.get("host"):
        q = q.where(cm.Instance.host == f["host"])
    column = SORT_COLUMNS.get(f.get("sort_key") or "created_at", cm.Instance.created_at)
    desc = (f.get("sort_dir") or "desc") != "asc"
    return q.order_by(column.desc() if desc else column.asc(), cm.Instance.id)


def list_servers(deps: Deps, ctx: RequestContext, query: ListQuery) -> Page:
    rule = "os_compute_api:servers:detail" if query.detailed else \
        "os_compute_api:servers:index"
    require_project_scope(ctx, rule)
    deps.enforce(rule, ctx)
    allowed = partial(deps.policy.allowed, ctx=ctx,
                      target={"project_id": ctx.project_id, "user_id": ctx.user_id})
    all_tenants = allowed(rule + ":get_all_tenants")
    admin = allowed("os_compute_api:servers:allow_all_filters")
    f = query.filters
    match = name_matcher(f["name"]) if f.get("name") else None
    tags = tag_sets(f)

    def work(s: Session) -> Page:
        q = build_query(f, ctx, all_tenants, admin)
        if q is None:
            return Page([], None)
        rows = [i for i in s.scalars(q) if (match is None or match(i.name)) and
                (not tags or tags_match(i.tags, tags))]
        if f.get("ip") or f.get("ip6"):
            rows = networking.with_ip(s, deps.network, rows, f.get("ip"), f.get("ip6"))
        if query.marker:
            idx = next((n for n, i in enumerate(rows) if i.id == query.marker), None)
            if idx is None:
                raise BadRequest(f"marker [{query.marker}] not found")
            rows = rows[idx + 1:]
        next_marker = None
        if query.limit is not None and len(rows) > query.limit:
            rows = rows[:query.limit]
            next_marker = rows[-1].id if rows else None
        views = [ServerView(i, records.latest_fault(s, i.id)
                            if query.detailed and i.vm_state in (st.ERROR, st.DELETED)
                            else None) for i in rows]
        return Page(views, next_marker)
    return deps.db.read(work)

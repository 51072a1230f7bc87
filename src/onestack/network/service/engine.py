"""The generic resource service every Networking collection is built on.

A ``Collection`` owns one resource: it validates bodies against the resource's
attributes, checks policy (the action's rule, then a rule per admin-only attribute), runs
each use case in one transaction and renders rows as the API shows them. Resources add
their own rules through the hooks (``prepare_create``, ``after_create``,
``prepare_update``, ``before_delete``, ``extras``, ``computed_filter``, ``visible``).

Visibility comes before policy: a resource the caller may not see is a 404, never a 403.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.context import RequestContext
from onestack.core.db import Database, utcnow
from onestack.core.errors import BadRequest, NotFound, PreconditionFailed
from onestack.core.policy import Policy
from onestack.network.attributes import Attr, Resource
from onestack.network.models.base import Tag
from onestack.network.service import query as qry
from onestack.network.service.query import ListQuery


@dataclass
class Deps:
    """What every network use case is built from."""

    db: Database
    policy: Policy
    notify: Any = None  # callable(topic, id): wakes the network agents; None: nobody local
    settings: Any = None
    collections: dict[str, Collection] = field(default_factory=dict)  # name → service

    def is_admin(self, ctx: RequestContext) -> bool:
        return self.policy.allowed("context_is_admin", ctx)

    def wake(self, topic: str, ident: str) -> None:
        if self.notify is not None:
            self.notify(topic, ident)

    def wake_host(self, host: str, ident: str) -> None:
        """Wake only the network agent of ``host`` (its topic is
        ``network.agent.<host>``, ``agent.runner.host_topic``)."""
        self.wake(f"agent.{host}", ident)

    def get(self, name: str) -> Collection:
        return self.collections[name]


def iso(moment: datetime | None) -> str | None:
    """``2026-11-27T19:07:05Z`` (``%`` formatting: several times cheaper than strftime,
    which a list of a few hundred rows calls twice per row)."""
    if not moment:
        return None
    return "%04d-%02d-%02dT%02d:%02d:%02dZ" % (moment.year, moment.month, moment.day,
                                               moment.hour, moment.minute, moment.second)


def new_uuid() -> str:
    return str(uuid.uuid4())


def parse_if_match(header: str | None) -> int | None:
    """``If-Match: revision_number=N`` → N (None without one)."""
    if not header:
        return None
    for part in header.split(","):
        key, sep, value = part.strip().partition("=")
        if sep and key == "revision_number":
            try:
                return int(value)
            except ValueError:
                break
    raise BadRequest(f"Unsupported If-Match header value: {header}", kind="HTTPBadRequest")


class PlainRow:
    """A listed row's column values as attributes, without ORM state (read-only use)."""


class Collection:
    """One resource's use cases. Subclasses set ``resource`` and ``model``."""

    resource: ClassVar[Resource]
    model: ClassVar[type]
    # quota resource name counted on create ("" → no quota)
    quota: ClassVar[str] = ""
    # a list reads plain column values instead of ORM instances (the identity map and
    # instance state cost a quarter of a long list); for collections whose ``extras`` and
    # ``view`` only read column attributes of the rows
    plain_list_rows: ClassVar[bool] = False

    def __init__(self, deps: Deps) -> None:
        self.deps = deps
        deps.collections[self.resource.collection] = self

    # --- hooks (override) ----------------------------------------------------------------
    def visible(self, s: Session | None, ctx: RequestContext) -> Any | None:
        """A WHERE clause limiting what a non-admin sees (None: everything)."""
        return self.model.project_id == ctx.project_id

    def prepare_create(self, s: Session, ctx: RequestContext, doc: dict[str, Any]) -> None:
        """Check and complete ``doc`` (defaults applied) before the row is made."""

    def after_create(self, s: Session, ctx: RequestContext, row: Any,
                     doc: dict[str, Any]) -> None:
        """Make dependent rows (the row is flushed)."""

    def prepare_update(self, s: Session, ctx: RequestContext, row: Any,
                       changes: dict[str, Any]) -> None:
        """Check ``changes`` (converted) before they are applied to ``row``."""

    def after_update(self, s: Session, ctx: RequestContext, row: Any,
                     changes: dict[str, Any]) -> None:
        """Apply what the generic column copy does not (computed attributes)."""

    def before_delete(self, s: Session, ctx: RequestContext, row: Any) -> None:
        """Refuse (409) or clean up dependents before the row goes."""

    def extras(self, s: Session, ctx: RequestContext, rows: list[Any]) -> dict[str, dict]:
        """Computed attributes per row id (tags are added by the engine)."""
        return {}

    def created_extras(self, s: Session, ctx: RequestContext, rows: list[Any],
                       docs: list[dict[str, Any]]) -> dict[str, dict]:
        """``extras`` of rows made in this transaction from ``docs`` (same order): a
        collection that knows them from the docs can skip its reads; default ``extras``."""
        return self.extras(s, ctx, rows)

    def computed_filter(self, name: str, values: list[str]) -> Any | None:
        """A WHERE clause for a filter on a computed attribute (None: ignored)."""
        return None

    def target(self, row: Any) -> dict[str, Any]:
        """What the policy rules see of a row."""
        project = getattr(row, "project_id", "")
        return {"project_id": project, "tenant_id": project}

    # --- errors --------------------------------------------------------------------------
    def not_found(self, ident: str) -> NotFound:
        r = self.resource
        return NotFound(f"{r.title} {ident} could not be found.", kind=r.not_found_kind)

    # --- reading -------------------------------------------------------------------------
    def find(self, s: Session, ctx: RequestContext, ident: str, *,
             lock: bool = False) -> Any:
        """The row if the caller may see it; 404 otherwise (an id that is not a string,
        from a body's attribute, included: no database binds a list or an object)."""
        if not isinstance(ident, str):
            raise self.not_found(str(ident))
        stmt = sa.select(self.model).where(self.model.id == ident)
        if not self.deps.is_admin(ctx):
            clause = self.visible(s, ctx)
            if clause is not None:
                stmt = stmt.where(clause)
        if lock:
            stmt = stmt.with_for_update()
        row = s.scalar(stmt)
        if row is None:
            raise self.not_found(ident)
        return row

    def show(self, ctx: RequestContext, ident: str, fields: list[str] | None = None
             ) -> dict[str, Any]:
        def work(s: Session) -> dict[str, Any]:
            row = self.find(s, ctx, ident)
            self.deps.policy.enforce(f"get_{self.resource.name}", ctx, self.target(row))
            return self.render(s, ctx, [row], fields)[0]
        return self.deps.db.read(work)

    def list(self, ctx: RequestContext, q: ListQuery) -> tuple[list[dict[str, Any]], bool]:
        """The page and whether more rows follow it. A caller whose rule refuses reading
        this kind of resource gets an empty list, not a 403: Neutron drops the items a
        caller may not read."""
        if not self.deps.policy.allowed(f"get_{self.resource.name}", ctx, {
                "project_id": ctx.project_id, "tenant_id": ctx.project_id}):
            return [], False

        def work(s: Session) -> tuple[list[dict[str, Any]], bool]:
            stmt = self.list_statement(s, ctx, q)
            rows = self.plain_rows(s, stmt) if self.plain_list_rows else list(s.scalars(stmt))
            if q.limit is None and len(rows) > qry.SCOPE_MIN:  # (MariaDB: no LIMIT in IN)
                s.info[qry.LIST_SCOPE] = ({r.id for r in rows},
                                      stmt.with_only_columns(self.model.id).order_by(None))
            more = q.limit is not None and len(rows) > q.limit
            rows = rows[:q.limit] if q.limit is not None else rows
            if q.page_reverse:
                rows.reverse()
            return self.render(s, ctx, rows, q.fields), more
        return self.deps.db.read(work)

    def plain_rows(self, s: Session, stmt: Any) -> list[PlainRow]:
        """The rows of ``stmt`` as ``PlainRow``s with the model's attribute names."""
        columns = self.__dict__.get("_plain_columns")
        if columns is None:
            mapper = sa.inspect(self.model)
            columns = self.__dict__["_plain_columns"] = [
                attr.columns[0].label(attr.key) for attr in mapper.column_attrs]
        out = []
        for values in s.execute(stmt.with_only_columns(*columns)).mappings():
            row = PlainRow()
            row.__dict__.update(values)
            out.append(row)
        return out

    def list_statement(self, s: Session, ctx: RequestContext, q: ListQuery) -> Any:
        stmt = sa.select(self.model)
        if not self.deps.is_admin(ctx):
            clause = self.visible(s, ctx)
            if clause is not None:
                stmt = stmt.where(clause)
        for clause in qry.filter_clauses(self.model, self.resource, q, self.computed_filter):
            stmt = stmt.where(clause)
        columns = qry.sort_columns(self.model, self.resource, q)
        if q.marker:
            marker = s.get(self.model, q.marker)
            if marker is None:
                raise self.not_found(q.marker)
            stmt = stmt.where(qry.after_marker(columns, marker))
        stmt = stmt.order_by(*qry.order_by(columns))
        if q.limit is not None:
            stmt = stmt.limit(q.limit + 1)
        return stmt

    def render(self, s: Session, ctx: RequestContext, rows: list[Any],
               fields: list[str] | None = None, *,
               fresh: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
        """The rows as the API shows them. ``fresh``: the docs the rows were just made
        from in this transaction (same order), whose tags and (``created_extras``)
        computed attributes need no read."""
        if not rows:
            return []
        if fresh is not None:
            extras = self.created_extras(s, ctx, rows, fresh)
            tags = {row.id: sorted(set(doc.get("tags") or ()))
                    for row, doc in zip(rows, fresh)}
        else:
            extras = self.extras(s, ctx, rows)
            tags = self.tags_of(s, [r.id for r in rows]) if self.resource.taggable else {}
        hidden = self.hidden_attrs(ctx)
        if type(self).view is not Collection.view:  # a collection that adds to its view
            out = [self.view(row, extras.get(row.id, {}), tags.get(row.id, []), hidden)
                   for row in rows]
            return [{k: v for k, v in doc.items() if k in fields} for doc in out] \
                if fields else out
        plan = self.view_plan(frozenset(hidden))
        if fields:
            wanted = set(fields)
            plan = tuple(step for step in plan if step[0] in wanted)
        return [self.view_with(plan, row, extras.get(row.id, {}), tags.get(row.id, []))
                for row in rows]

    def hidden_attrs(self, ctx: RequestContext) -> set[str]:
        r = self.resource
        return {a.name for a in r.attrs if a.admin_get and not self.deps.policy.allowed(
            f"get_{r.name}:{a.name}", ctx)}

    # (name, model attribute key, kind): 0 column, 1 computed, 2 tags
    _plans: dict[frozenset[str], tuple[tuple[str, str, int], ...]]

    def view_plan(self, hidden: frozenset[str]) -> tuple[tuple[str, str, int], ...]:
        """The shown attributes in order, worked out once per set of hidden ones."""
        plans = self.__dict__.setdefault("_plans", {})
        plan = plans.get(hidden)
        if plan is None:
            plan = plans[hidden] = tuple(
                (a.name, a.key, 2 if a.name == "tags" else 1 if a.computed else 0)
                for a in self.resource.attrs if a.visible and a.name not in hidden)
        return plan

    @staticmethod
    def view_with(plan: tuple[tuple[str, str, int], ...], row: Any, extra: dict[str, Any],
                  tags: list[str]) -> dict[str, Any]:
        # loaded columns are in the instance's __dict__: reading them there skips the
        # ORM's attribute descriptor (a third of a long list's rendering)
        loaded = getattr(row, "__dict__", {})
        doc: dict[str, Any] = {}
        for name, key, kind in plan:
            if kind == 0:
                value = loaded[key] if key in loaded else getattr(row, key)
                doc[name] = iso(value) if isinstance(value, datetime) else value
            elif kind == 1:
                if name in extra:
                    doc[name] = extra[name]
            else:
                doc["tags"] = tags
        return doc

    def view(self, row: Any, extra: dict[str, Any], tags: list[str],
             hidden: set[str]) -> dict[str, Any]:
        return self.view_with(self.view_plan(frozenset(hidden)), row, extra, tags)

    def tags_of(self, s: Session, ids: list[str]) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for start in range(0, len(ids), 500):
            for rid, tag in s.execute(sa.select(Tag.resource_id, Tag.tag).where(
                    Tag.resource_type == self.resource.name,
                    qry.ids_clause(s, Tag.resource_id, ids[start:start + 500]))
                    .order_by(Tag.tag)):
                out.setdefault(rid, []).append(tag)
        return out

    # --- writing -------------------------------------------------------------------------
    def create(self, ctx: RequestContext, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Create every item in one transaction (a bulk create is all or nothing)."""
        docs = [self.check_create(ctx, item) for item in items]

        def work(s: Session) -> list[dict[str, Any]]:
            rows = [self.create_in(s, ctx, doc) for doc in docs]
            return self.render(s, ctx, rows, fresh=docs)
        created = self.deps.db.write(work)
        for doc in created:
            self.created(doc)
        return created

    def created(self, doc: dict[str, Any]) -> None:
        """After the commit (wake agents); default: nothing."""

    def check_create(self, ctx: RequestContext, item: Any) -> dict[str, Any]:
        """The body item converted and completed with defaults; policy checked."""
        r = self.resource
        if not isinstance(item, dict):
            raise BadRequest(f"Invalid input for operation: {r.name} must be an object.",
                             kind="InvalidInput")
        unknown = [k for k in item if k not in r.by_name]
        if unknown:
            raise BadRequest(f"Unrecognized attribute(s) '{', '.join(unknown)}'",
                             kind="HTTPBadRequest")
        for key in item:
            if not r.by_name[key].post:
                raise BadRequest(f"Attribute '{key}' not allowed in POST",
                                 kind="HTTPBadRequest")
        doc: dict[str, Any] = {}
        for attr in r.attrs:
            if attr.name in item:
                value = item[attr.name]
                doc[attr.name] = attr.convert(value) if attr.convert else value
            elif attr.required:
                raise BadRequest(f"Failed to parse request. Required attribute "
                                 f"'{attr.name}' not specified", kind="HTTPBadRequest")
        if r.project_scoped:
            self.settle_project(ctx, doc)
        self.deps.policy.enforce(f"create_{r.name}", ctx, self.target_of_doc(doc))
        for attr in r.attrs:
            if attr.admin_post and attr.name in item:
                self.deps.policy.enforce(f"create_{r.name}:{attr.name}", ctx,
                                         self.target_of_doc(doc))
        for attr in r.attrs:
            if attr.name not in doc and attr.post and not attr.required and \
                    attr.name not in ("project_id", "tenant_id"):
                doc[attr.name] = attr.default_value()
        doc["_given"] = set(item)
        return doc

    def target_of_doc(self, doc: dict[str, Any]) -> dict[str, Any]:
        project = doc.get("project_id", "")
        return {"project_id": project, "tenant_id": project}

    @staticmethod
    def settle_project(ctx: RequestContext, doc: dict[str, Any]) -> None:
        project, tenant = doc.get("project_id"), doc.get("tenant_id")
        if project and tenant and project != tenant:
            raise BadRequest("'project_id' and 'tenant_id' do not match",
                             kind="HTTPBadRequest")
        doc["project_id"] = doc["tenant_id"] = project or tenant or ctx.project_id

    def create_in(self, s: Session, ctx: RequestContext, doc: dict[str, Any]) -> Any:
        """Make one row from a checked ``doc`` inside the caller's transaction."""
        self.check_quota(s, doc.get("project_id", ""))
        self.prepare_create(s, ctx, doc)
        now = utcnow()
        row = self.model(id=doc.get("id") or new_uuid(), created_at=now, updated_at=now,
                         revision_number=0)
        for attr in self.resource.attrs:
            if attr.computed or attr.name in ("id", "tenant_id") or attr.name not in doc:
                continue
            if hasattr(self.model, attr.key):
                setattr(row, attr.key, doc[attr.name])
        s.add(row)
        s.flush()
        self.after_create(s, ctx, row, doc)
        if doc.get("tags"):
            self.set_tags(s, row, doc["tags"], bump=False)
        return row

    def check_quota(self, s: Session, project_id: str) -> None:
        if self.quota and project_id:
            quotas = self.deps.collections.get("quotas")
            if quotas is not None:
                quotas.check(s, project_id, self.quota, self.model)  # type: ignore[attr-defined]

    def update(self, ctx: RequestContext, ident: str, item: Any,
               if_match: int | None = None) -> dict[str, Any]:
        r = self.resource
        if not isinstance(item, dict):
            raise BadRequest(f"Invalid input for operation: {r.name} must be an object.",
                             kind="InvalidInput")
        unknown = [k for k in item if k not in r.by_name]
        if unknown:
            raise BadRequest(f"Unrecognized attribute(s) '{', '.join(unknown)}'",
                             kind="HTTPBadRequest")
        changes: dict[str, Any] = {}
        for key, value in item.items():
            attr = r.by_name[key]
            if not attr.put:
                raise BadRequest(f"Cannot update read-only attribute {key}",
                                 kind="HTTPBadRequest")
            changes[key] = attr.convert(value) if attr.convert else value

        def work(s: Session) -> dict[str, Any]:
            row = self.find(s, ctx, ident, lock=True)
            self.deps.policy.enforce(f"update_{r.name}", ctx, self.target(row))
            for key in changes:
                if r.by_name[key].admin_put:
                    self.deps.policy.enforce(f"update_{r.name}:{key}", ctx, self.target(row))
            self.check_revision(row, if_match)
            self.prepare_update(s, ctx, row, changes)
            for key, value in changes.items():
                attr = r.by_name[key]
                if not attr.computed and hasattr(self.model, attr.key) and key != "tags":
                    setattr(row, attr.key, value)
            self.after_update(s, ctx, row, changes)
            self.bump(row)
            s.flush()
            return self.render(s, ctx, [row])[0]
        doc = self.deps.db.write(work)
        self.updated(doc)
        return doc

    def updated(self, doc: dict[str, Any]) -> None:
        """After the commit (wake agents); default: nothing."""

    def check_revision(self, row: Any, if_match: int | None) -> None:
        if if_match is not None and row.revision_number != if_match:
            raise PreconditionFailed(
                f"Constrained to {if_match}, but current revision is {row.revision_number}",
                kind="RevisionNumberConstraintFailed")

    @staticmethod
    def bump(row: Any) -> None:
        """A change to the resource (or to what it shows): new revision, new updated_at."""
        row.revision_number = (row.revision_number or 0) + 1
        row.updated_at = utcnow()

    def delete(self, ctx: RequestContext, ident: str, if_match: int | None = None) -> None:
        def work(s: Session) -> None:
            row = self.find(s, ctx, ident, lock=True)
            self.deps.policy.enforce(f"delete_{self.resource.name}", ctx, self.target(row))
            self.check_revision(row, if_match)
            self.before_delete(s, ctx, row)
            self.delete_row(s, row)
        self.deps.db.write(work)
        self.deleted(ident)

    def delete_row(self, s: Session, row: Any) -> None:
        s.execute(sa.delete(Tag).where(Tag.resource_type == self.resource.name,
                                       Tag.resource_id == row.id))
        s.delete(row)
        s.flush()

    def deleted(self, ident: str) -> None:
        """After the commit (wake agents); default: nothing."""

    # --- tags ----------------------------------------------------------------------------
    def set_tags(self, s: Session, row: Any, tags: list[str], *, bump: bool = True) -> None:
        s.execute(sa.delete(Tag).where(Tag.resource_type == self.resource.name,
                                       Tag.resource_id == row.id))
        for tag in dict.fromkeys(tags):
            s.add(Tag(resource_type=self.resource.name, resource_id=row.id, tag=tag))
        if bump:
            self.bump(row)
        s.flush()

    def tags(self, ctx: RequestContext, ident: str) -> list[str]:
        def work(s: Session) -> list[str]:
            row = self.find(s, ctx, ident)
            self.deps.policy.enforce(f"get_{self.resource.name}", ctx, self.target(row))
            return self.tags_of(s, [row.id]).get(row.id, [])
        return self.deps.db.read(work)

    def change_tags(self, ctx: RequestContext, ident: str, *, replace: list[str] | None = None,
                    add: str | None = None, remove: str | None = None,
                    clear: bool = False) -> list[str]:
        """One tag operation under the resource's update rule; 404 for removing a tag the
        resource does not have."""
        if replace is not None:
            if not isinstance(replace, list):
                raise BadRequest("Invalid input for operation: tags must be a list.",
                                 kind="InvalidInput")
            replace = [check_tag(t) for t in replace]
        if add is not None:
            check_tag(add)

        def work(s: Session) -> list[str]:
            row = self.find(s, ctx, ident, lock=True)
            self.deps.policy.enforce(f"update_{self.resource.name}", ctx, self.target(row))
            current = self.tags_of(s, [row.id]).get(row.id, [])
            if replace is not None:
                wanted = replace
            elif add is not None:
                wanted = current + [add]
            elif remove is not None:
                if remove not in current:
                    raise NotFound(f"Tag {remove} could not be found for {self.resource.name}"
                                   f" {row.id}.", kind="TagNotFound")
                wanted = [t for t in current if t != remove]
            else:
                wanted = []
            if sorted(set(wanted)) != sorted(current):
                self.set_tags(s, row, wanted)
            return sorted(set(wanted))
        return self.deps.db.write(work)


def check_tag(tag: Any) -> str:
    if not isinstance(tag, str) or not tag or len(tag) > 255 or "," in tag:
        raise BadRequest(f"Invalid input for operation: '{tag}' is not a valid tag.",
                         kind="InvalidInput")
    return tag


def attr_names(attrs: tuple[Attr, ...]) -> list[str]:
    return [a.name for a in attrs]

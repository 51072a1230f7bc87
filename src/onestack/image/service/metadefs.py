"""Metadata definitions (metadefs): namespaces of property, object and tag definitions that
clients use to offer well-known image, volume and flavor properties. Plain catalog data;
public namespaces are readable by everyone, private ones by their owner; only admins
change them (``image:manage_metadefs``)."""
from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.context import RequestContext
from onestack.core.db import utcnow
from onestack.core.errors import BadRequest, Conflict, Forbidden, NotFound
from onestack.image import metadef_schemas as ms
from onestack.image import models as m
from onestack.image import schemas
from onestack.image.service.common import Deps
from onestack.image.views import iso

T = TypeVar("T")
_NS_FIELDS = ("display_name", "description", "visibility", "protected", "owner")
CHILDREN = {"objects": m.MetadefObject, "properties": m.MetadefProperty,
            "tags": m.MetadefTag}
_KIND = {m.MetadefObject: "object", m.MetadefProperty: "property", m.MetadefTag: "tag"}


def ns_path(name: str) -> str:
    return f"/v2/metadefs/namespaces/{name}"


class Metadefs:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    # --- helpers ------------------------------------------------------------------------
    def _read(self, ctx: RequestContext, fn: Callable[[Session], T]) -> T:
        self.deps.policy.enforce("image:get_metadefs", ctx, {})
        return self.deps.db.read(fn)

    def _write(self, ctx: RequestContext, fn: Callable[[Session], T]) -> T:
        self.deps.policy.enforce("image:manage_metadefs", ctx, {})
        return self.deps.db.write(fn)

    def _visible(self, ctx: RequestContext, ns: m.MetadefNamespace) -> bool:
        return (ns.visibility == "public" or self.deps.is_admin(ctx)
                or (bool(ns.owner) and ns.owner == ctx.project_id))

    def _namespace(self, s: Session, ctx: RequestContext, name: str) -> m.MetadefNamespace:
        ns = s.scalar(sa.select(m.MetadefNamespace).where(m.MetadefNamespace.namespace == name))
        if ns is None or not self._visible(ctx, ns):
            raise NotFound(f"Metadata definition namespace={name} was not found.")
        return ns

    def _view(self, s: Session, ns: m.MetadefNamespace, full: bool) -> dict[str, Any]:
        body: dict[str, Any] = {"namespace": ns.namespace, "visibility": ns.visibility,
                                "protected": ns.protected, "owner": ns.owner,
                                "created_at": iso(ns.created_at),
                                "updated_at": iso(ns.updated_at),
                                "schema": "/v2/schemas/metadefs/namespace",
                                "self": ns_path(ns.namespace)}
        for key in ("display_name", "description"):
            if getattr(ns, key) is not None:
                body[key] = getattr(ns, key)
        assocs = self._associations(s, ns)
        if assocs:
            body["resource_type_associations"] = assocs
        if full:
            props = {p.name: _property_view(p) for p in self._children(s, ns, m.MetadefProperty)}
            if props:
                body["properties"] = props
            objects = [_object_view(ns, o) for o in self._children(s, ns, m.MetadefObject)]
            if objects:
                body["objects"] = objects
            tags = [_tag_view(t) for t in self._children(s, ns, m.MetadefTag)]
            if tags:
                body["tags"] = tags
        return body

    @staticmethod
    def _children(s: Session, ns: m.MetadefNamespace, model: Any) -> list[Any]:
        return list(s.scalars(sa.select(model).where(model.namespace_id == ns.id)
                              .order_by(model.name)))

    @staticmethod
    def _associations(s: Session, ns: m.MetadefNamespace) -> list[dict[str, Any]]:
        rows = s.execute(sa.select(m.MetadefAssociation, m.MetadefResourceType.name)
                         .join(m.MetadefResourceType, m.MetadefResourceType.id ==
                               m.MetadefAssociation.resource_type_id)
                         .where(m.MetadefAssociation.namespace_id == ns.id)
                         .order_by(m.MetadefResourceType.name))
        return [_association_view(a, name) for a, name in rows]

    # --- namespaces ---------------------------------------------------------------------
    def list_namespaces(self, ctx: RequestContext, visibility: str | None,
                        resource_types: list[str]) -> list[dict[str, Any]]:
        def work(s: Session) -> list[dict[str, Any]]:
            q = sa.select(m.MetadefNamespace).order_by(m.MetadefNamespace.namespace)
            if visibility:
                q = q.where(m.MetadefNamespace.visibility == visibility)
            if resource_types:
                q = q.where(m.MetadefNamespace.id.in_(
                    sa.select(m.MetadefAssociation.namespace_id).join(
                        m.MetadefResourceType, m.MetadefResourceType.id ==
                        m.MetadefAssociation.resource_type_id)
                    .where(m.MetadefResourceType.name.in_(resource_types))))
            return [self._view(s, ns, False) for ns in s.scalars(q) if self._visible(ctx, ns)]

        return self._read(ctx, work)

    def show_namespace(self, ctx: RequestContext, name: str) -> dict[str, Any]:
        return self._read(ctx, lambda s: self._view(s, self._namespace(s, ctx, name), True))

    def create_namespace(self, ctx: RequestContext, body: Any) -> dict[str, Any]:
        body = _validate(ms.NAMESPACE, body, "namespace")

        def work(s: Session) -> dict[str, Any]:
            name = body["namespace"]
            if s.scalar(sa.select(m.MetadefNamespace.id)
                        .where(m.MetadefNamespace.namespace == name)):
                raise Conflict(f"A metadata definition namespace with name={name} already "
                               "exists.")
            now = utcnow()
            ns = m.MetadefNamespace(id=str(uuid.uuid4()), namespace=name,
                                    display_name=body.get("display_name"),
                                    description=body.get("description"),
                                    visibility=body.get("visibility", "private"),
                                    protected=body.get("protected", False),
                                    owner=body.get("owner") or ctx.project_id or None,
                                    created_at=now, updated_at=now)
            s.add(ns)
            s.flush()
            for assoc in body.get("resource_type_associations", []):
                self._associate(s, ns, assoc, now)
            for pname, definition in (body.get("properties") or {}).items():
                self._add_child(s, ns, m.MetadefProperty, pname, definition, now)
            for obj in body.get("objects", []):
                self._add_child(s, ns, m.MetadefObject, obj["name"],
                                {k: v for k, v in obj.items() if k != "name"}, now)
            for tag in body.get("tags", []):
                self._add_child(s, ns, m.MetadefTag, tag["name"], {}, now)
            s.flush()
            return self._view(s, ns, True)

        return self._write(ctx, work)

    def update_namespace(self, ctx: RequestContext, name: str, body: Any) -> dict[str, Any]:
        body = _validate(ms.NAMESPACE, body, "namespace")

        def work(s: Session) -> dict[str, Any]:
            ns = self._namespace(s, ctx, name)
            new_name = body["namespace"]
            if new_name != ns.namespace and s.scalar(sa.select(m.MetadefNamespace.id).where(
                    m.MetadefNamespace.namespace == new_name)):
                raise Conflict(f"A metadata definition namespace with name={new_name} "
                               "already exists.")
            ns.namespace = new_name
            for key in _NS_FIELDS:
                if key in body:
                    setattr(ns, key, body[key])
            ns.updated_at = utcnow()
            s.flush()
            return self._view(s, ns, False)

        return self._write(ctx, work)

    def delete_namespace(self, ctx: RequestContext, name: str) -> None:
        def work(s: Session) -> None:
            ns = self._namespace(s, ctx, name)
            _unprotected(ns)
            for model in (*CHILDREN.values(), m.MetadefAssociation):
                s.execute(sa.delete(model).where(model.namespace_id == ns.id))
            s.delete(ns)

        self._write(ctx, work)

    def delete_all(self, ctx: RequestContext, name: str, kind: str) -> None:
        """``DELETE …/objects``, ``…/properties`` or ``…/tags``: every one of that kind."""
        model = CHILDREN[kind]

        def work(s: Session) -> None:
            ns = self._namespace(s, ctx, name)
            _unprotected(ns)
            s.execute(sa.delete(model).where(model.namespace_id == ns.id))

        self._write(ctx, work)

    # --- objects, properties, tags ------------------------------------------------------
    def _add_child(self, s: Session, ns: m.MetadefNamespace, model: Any, name: str,
                   body: dict[str, Any], now: Any) -> Any:
        if s.scalar(sa.select(model.id).where(model.namespace_id == ns.id,
                                              model.name == name)):
            raise Conflict(f"A metadata definition {_KIND[model]} with name={name} already "
                           f"exists in namespace={ns.namespace}.")
        row = model(id=str(uuid.uuid4()), namespace_id=ns.id, name=name, body=body,
                    created_at=now, updated_at=now)
        s.add(row)
        s.flush()
        return row

    @staticmethod
    def _child(s: Session, ns: m.MetadefNamespace, model: Any, name: str) -> Any:
        row = s.scalar(sa.select(model).where(model.namespace_id == ns.id, model.name == name))
        if row is None:
            raise NotFound(f"Metadata definition {_KIND[model]} not found for namespace="
                           f"{ns.namespace} and name={name}.")
        return row

    def list_children(self, ctx: RequestContext, name: str, kind: str) -> Any:
        model = CHILDREN[kind]

        def work(s: Session) -> Any:
            ns = self._namespace(s, ctx, name)
            rows = self._children(s, ns, model)
            if model is m.MetadefProperty:
                return {r.name: _property_view(r) for r in rows}
            if model is m.MetadefObject:
                return [_object_view(ns, r) for r in rows]
            return [_tag_view(r) for r in rows]

        return self._read(ctx, work)

    def show_child(self, ctx: RequestContext, name: str, kind: str, child: str
                   ) -> dict[str, Any]:
        model = CHILDREN[kind]

        def work(s: Session) -> dict[str, Any]:
            ns = self._namespace(s, ctx, name)
            return _child_view(ns, self._child(s, ns, model, child))

        return self._read(ctx, work)

    def create_child(self, ctx: RequestContext, name: str, kind: str, body: Any
                     ) -> dict[str, Any]:
        model = CHILDREN[kind]
        doc = _validate_child(model, body)

        def work(s: Session) -> dict[str, Any]:
            ns = self._namespace(s, ctx, name)
            row = self._add_child(s, ns, model, doc.pop("name"), doc, utcnow())
            return _child_view(ns, row)

        return self._write(ctx, work)

    def update_child(self, ctx: RequestContext, name: str, kind: str, child: str, body: Any
                     ) -> dict[str, Any]:
        model = CHILDREN[kind]
        doc = _validate_child(model, body)

        def work(s: Session) -> dict[str, Any]:
            ns = self._namespace(s, ctx, name)
            row = self._child(s, ns, model, child)
            new_name = doc.pop("name")
            if new_name != row.name and s.scalar(sa.select(model.id).where(
                    model.namespace_id == ns.id, model.name == new_name)):
                raise Conflict(f"A metadata definition {_KIND[model]} with name={new_name} "
                               f"already exists in namespace={ns.namespace}.")
            row.name, row.body, row.updated_at = new_name, doc, utcnow()
            s.flush()
            return _child_view(ns, row)

        return self._write(ctx, work)

    def delete_child(self, ctx: RequestContext, name: str, kind: str, child: str) -> None:
        model = CHILDREN[kind]

        def work(s: Session) -> None:
            ns = self._namespace(s, ctx, name)
            _unprotected(ns)
            s.delete(self._child(s, ns, model, child))

        self._write(ctx, work)

    def create_tag(self, ctx: RequestContext, name: str, tag: str) -> dict[str, Any]:
        return self.create_child(ctx, name, "tags", {"name": tag})

    def create_tags(self, ctx: RequestContext, name: str, body: Any, append: bool
                    ) -> list[dict[str, Any]]:
        body = _validate({"type": "object", "properties": {"tags": {
            "type": "array", "items": ms.TAG}}, "required": ["tags"]}, body, "tags")
        names = [t["name"] for t in body["tags"]]
        if len(set(names)) != len(names):
            raise Conflict("Duplicate tags in the request.")

        def work(s: Session) -> list[dict[str, Any]]:
            ns = self._namespace(s, ctx, name)
            if not append:
                s.execute(sa.delete(m.MetadefTag).where(m.MetadefTag.namespace_id == ns.id))
                s.flush()
            now = utcnow()
            return [_tag_view(self._add_child(s, ns, m.MetadefTag, n, {}, now))
                    for n in names]

        return self._write(ctx, work)

    # --- resource types -----------------------------------------------------------------
    def list_resource_types(self, ctx: RequestContext) -> list[dict[str, Any]]:
        def work(s: Session) -> list[dict[str, Any]]:
            return [{"name": r.name, "created_at": iso(r.created_at),
                     "updated_at": iso(r.updated_at)}
                    for r in s.scalars(sa.select(m.MetadefResourceType)
                                       .order_by(m.MetadefResourceType.name))]

        return self._read(ctx, work)

    def list_associations(self, ctx: RequestContext, name: str) -> list[dict[str, Any]]:
        return self._read(ctx, lambda s: self._associations(s, self._namespace(s, ctx, name)))

    def associate(self, ctx: RequestContext, name: str, body: Any) -> dict[str, Any]:
        body = _validate(ms.RESOURCE_TYPE_ASSOCIATION, body, "resource_type")

        def work(s: Session) -> dict[str, Any]:
            ns = self._namespace(s, ctx, name)
            return self._associate(s, ns, body, utcnow())

        return self._write(ctx, work)

    def _associate(self, s: Session, ns: m.MetadefNamespace, body: dict[str, Any], now: Any
                   ) -> dict[str, Any]:
        rtype = s.scalar(sa.select(m.MetadefResourceType)
                         .where(m.MetadefResourceType.name == body["name"]))
        if rtype is None:
            rtype = m.MetadefResourceType(id=str(uuid.uuid4()), name=body["name"],
                                          protected=False, created_at=now, updated_at=now)
            s.add(rtype)
            s.flush()
        if s.get(m.MetadefAssociation, (ns.id, rtype.id)) is not None:
            raise Conflict(f"The metadata definition resource-type association of "
                           f"resource-type={rtype.name} to namespace={ns.namespace}, "
                           "already exists.")
        assoc = m.MetadefAssociation(namespace_id=ns.id, resource_type_id=rtype.id,
                                     prefix=body.get("prefix"),
                                     properties_target=body.get("properties_target"),
                                     created_at=now, updated_at=now)
        s.add(assoc)
        s.flush()
        return _association_view(assoc, rtype.name)

    def dissociate(self, ctx: RequestContext, name: str, resource_type: str) -> None:
        def work(s: Session) -> None:
            ns = self._namespace(s, ctx, name)
            _unprotected(ns)
            assoc = s.scalar(sa.select(m.MetadefAssociation).join(
                m.MetadefResourceType,
                m.MetadefResourceType.id == m.MetadefAssociation.resource_type_id).where(
                m.MetadefAssociation.namespace_id == ns.id,
                m.MetadefResourceType.name == resource_type))
            if assoc is None:
                raise NotFound(f"The metadata definition resource-type association of "
                               f"resource-type={resource_type} to namespace={name}, was not "
                               "found.")
            s.delete(assoc)

        self._write(ctx, work)


def _unprotected(ns: m.MetadefNamespace) -> None:
    if ns.protected:
        raise Forbidden(f"Metadata definition namespace {ns.namespace} is protected and "
                        "cannot be changed or deleted.")


def _validate(schema: dict[str, Any], body: Any, name: str) -> dict[str, Any]:
    """Every metadef write takes a JSON object: anything else is a 400 before any schema
    (a list or a string would otherwise reach code that indexes it by key)."""
    if not isinstance(body, dict):
        raise BadRequest(f"Provided object does not match schema '{name}': the request body "
                         "must be a JSON object.")
    return schemas.validate(schema, body, name)


def _validate_child(model: Any, body: Any) -> dict[str, Any]:
    schema = {m.MetadefObject: ms.OBJECT, m.MetadefProperty: ms.PROPERTY,
              m.MetadefTag: ms.TAG}[model]
    doc = dict(_validate(schema, body, _KIND[model]))
    for key in ("created_at", "updated_at", "schema", "self"):
        doc.pop(key, None)
    return doc


def _property_view(row: m.MetadefProperty) -> dict[str, Any]:
    return {"name": row.name, **(row.body or {})}


def _object_view(ns: m.MetadefNamespace, row: m.MetadefObject) -> dict[str, Any]:
    body = row.body or {}
    return {"name": row.name, "description": body.get("description"),
            "required": body.get("required", []), "properties": body.get("properties", {}),
            "created_at": iso(row.created_at), "updated_at": iso(row.updated_at),
            "schema": "/v2/schemas/metadefs/object",
            "self": f"{ns_path(ns.namespace)}/objects/{row.name}"}


def _tag_view(row: m.MetadefTag) -> dict[str, Any]:
    return {"name": row.name, "created_at": iso(row.created_at),
            "updated_at": iso(row.updated_at)}


def _child_view(ns: m.MetadefNamespace, row: Any) -> dict[str, Any]:
    if isinstance(row, m.MetadefProperty):
        return _property_view(row)
    if isinstance(row, m.MetadefObject):
        return _object_view(ns, row)
    return _tag_view(row)


def _association_view(assoc: m.MetadefAssociation, name: str) -> dict[str, Any]:
    body: dict[str, Any] = {"name": name, "created_at": iso(assoc.created_at),
                            "updated_at": iso(assoc.updated_at)}
    if assoc.prefix is not None:
        body["prefix"] = assoc.prefix
    if assoc.properties_target is not None:
        body["properties_target"] = assoc.properties_target
    return body

"""Volume types: the lookups other areas call (``resolve_type``, ``default_type``,
``extra_specs``, ``is_encrypted``), the ``__DEFAULT__`` type every deployment has, and
``TypeService`` — list, show, create, update, delete, private-type access and the 3.62
per-project default types, with Cinder's policies and messages.

A type belongs to no project: non-admins see public types and the private ones whose
access list names their project; anything else is a 404, as in Cinder. Extra specs and
encryption live in ``type_extras``; QoS specs in ``qos_specs``.
"""
from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.context import RequestContext
from onestack.core.db import Database, utcnow
from onestack.core.errors import BadRequest, Conflict, Forbidden, NotFound
from onestack.core.platform import Platform
from onestack.volume.models.types import (DefaultType, Encryption, VolumeType,
                                          VolumeTypeExtraSpec, VolumeTypeProject)
from onestack.volume.service.listing import ListParams, page, sort_columns

DEFAULT_TYPE = "__DEFAULT__"
# extra specs every reader may see (Cinder's USER_VISIBLE_EXTRA_SPECS)
USER_VISIBLE_EXTRA_SPECS = ("RESKEY:availability_zones", "multiattach", "replication_enabled")
ACCESS_KEY = "os-volume-type-access:is_public"
SORT_KEYS = {"id": VolumeType.id, "name": VolumeType.name,
             "description": VolumeType.description, "is_public": VolumeType.is_public,
             "qos_specs_id": VolumeType.qos_specs_id, "created_at": VolumeType.created_at,
             "updated_at": VolumeType.updated_at}


def ensure_default_type(db: Database) -> None:
    """``__DEFAULT__`` (Cinder creates it in its first migration); idempotent."""
    def work(s: Session) -> None:
        if s.scalar(sa.select(VolumeType.id).where(VolumeType.name == DEFAULT_TYPE)) is None:
            s.add(VolumeType(id=str(uuid.uuid4()), name=DEFAULT_TYPE,
                             description="Default Volume Type", is_public=True,
                             created_at=utcnow()))
    db.write(work)


# --- lookups other areas call -----------------------------------------------------------
def type_not_found(ident: str) -> NotFound:
    return NotFound(f"Volume type {ident} could not be found.")


def can_use(s: Session, ctx: RequestContext | None, row: VolumeType) -> bool:
    """Public types are everyone's; a private one is its access list's (and admins')."""
    if row.is_public or ctx is None or ctx.is_admin:
        return True
    return s.get(VolumeTypeProject, (row.id, ctx.project_id)) is not None


def resolve_type(s: Session, ctx: RequestContext | None, name_or_id: str) -> VolumeType:
    """The type with this id, else this name (Cinder's ``get_by_name_or_id``); a private
    type the caller has no access to is not found (404)."""
    ident = str(name_or_id)
    row = s.get(VolumeType, ident) if len(ident) <= 36 else None
    if row is None:
        row = s.scalar(sa.select(VolumeType).where(VolumeType.name == ident))
        if row is None:
            raise NotFound(f"Volume type with name {ident} could not be found.")
    if not can_use(s, ctx, row):
        raise type_not_found(ident)
    return row


def visible_type(s: Session, ctx: RequestContext | None, type_id: str,
                 lock: bool = False) -> VolumeType:
    """The type with this id the caller may see (Cinder's ``get_volume_type``), else 404."""
    query = sa.select(VolumeType).where(VolumeType.id == str(type_id)[:64])
    row = s.scalar(query.with_for_update() if lock else query)
    if row is None or not can_use(s, ctx, row):
        raise type_not_found(type_id)
    return row


def default_type(s: Session, project_id: str | None) -> VolumeType:
    """The project's default type (``/default-types``), else ``__DEFAULT__``."""
    # one query: the project's choice and ``__DEFAULT__`` together, the choice first
    chosen = DefaultType.project_id.is_not(None)
    row = s.execute(sa.select(VolumeType).outerjoin(DefaultType, sa.and_(
        DefaultType.volume_type_id == VolumeType.id,
        DefaultType.project_id == (project_id or ""))).where(
        sa.or_(chosen, VolumeType.name == DEFAULT_TYPE))
        .order_by(sa.case((chosen, 0), else_=1)).limit(1)).scalar()
    if row is None:
        raise NotFound(f"Volume type with name {DEFAULT_TYPE} could not be found.")
    return row


def extra_specs(s: Session, type_id: str | None) -> dict[str, str]:
    """A type's extra specs (``{}`` for no type)."""
    return specs_of(s, [type_id]).get(type_id or "", {}) if type_id else {}


def specs_of(s: Session, type_ids: list[str | None]) -> dict[str, dict[str, Any]]:
    ids = [t for t in type_ids if t]
    out: dict[str, dict[str, Any]] = {t: {} for t in ids}
    if ids:
        for tid, key, value in s.execute(sa.select(
                VolumeTypeExtraSpec.volume_type_id, VolumeTypeExtraSpec.key,
                VolumeTypeExtraSpec.value).where(VolumeTypeExtraSpec.volume_type_id.in_(ids))):
            out[tid][key] = value
    return out


def is_encrypted(s: Session, type_id: str | None) -> bool:
    """Whether volumes of this type are ``encrypted`` (the type has an encryption)."""
    return bool(type_id) and s.get(Encryption, type_id) is not None


def in_use(s: Session, type_id: str) -> bool:
    """Whether any volume has this type (Cinder refuses spec changes then)."""
    from onestack.volume.models.volumes import Volume

    return s.scalar(sa.select(Volume.id).where(Volume.volume_type_id == type_id)
                    .limit(1)) is not None


def in_groups(s: Session, type_id: str) -> bool:
    """Whether a generic group names this type (Cinder refuses deleting it then)."""
    from onestack.volume.models.groups import GroupVolumeType

    return s.scalar(sa.select(GroupVolumeType.group_id).where(
        GroupVolumeType.volume_type_id == type_id).limit(1)) is not None


# --- the API's service ------------------------------------------------------------------
class Authorizer:
    """Cinder's policy checks for type routes: the caller's own project is the target."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.db = platform.db

    def allowed(self, ctx: RequestContext, rule: str, project_id: str | None = None) -> bool:
        return self.platform.policy.allowed(
            rule, ctx, {"project_id": project_id or ctx.project_id})

    def authorize(self, ctx: RequestContext, rule: str, project_id: str | None = None,
                  message: str | None = None) -> None:
        if not self.allowed(ctx, rule, project_id):
            raise Forbidden(message or f"Policy doesn't allow {rule} to be performed.")

    def render(self, s: Session, ctx: RequestContext, rows: list[VolumeType],
               legacy: bool = False, access: bool = True) -> list[dict[str, Any]]:
        """Cinder's views: v3 (extra specs for readers — only the user-visible ones unless
        sensitive ones are allowed —, ``qos_specs_id`` for admins) or the legacy view
        create/update answer with (every extra spec); ``os-volume-type-access:is_public``
        where the access extension extends the answer."""
        specs = specs_of(s, [r.id for r in rows])
        see_specs = legacy or self.allowed(ctx, "volume_extension:access_types_extra_specs")
        sensitive = legacy or self.allowed(
            ctx, "volume_extension:types_extra_specs:read_sensitive")
        see_qos = not legacy and self.allowed(
            ctx, "volume_extension:access_types_qos_specs_id")
        see_access = access and self.allowed(ctx, "volume_extension:volume_type_access")
        out = []
        for row in rows:
            doc: dict[str, Any] = {"id": row.id, "name": row.name, "is_public": row.is_public,
                                   "description": row.description}
            if see_specs:
                mine = specs[row.id]
                doc["extra_specs"] = mine if sensitive else {
                    k: mine[k] for k in USER_VISIBLE_EXTRA_SPECS if k in mine}
            if see_qos:
                doc["qos_specs_id"] = row.qos_specs_id
            if see_access:
                doc[ACCESS_KEY] = row.is_public
            out.append(doc)
        return out


class TypeService(Authorizer):
    # --- list / show --------------------------------------------------------------------
    def list(self, ctx: RequestContext, p: ListParams, general_filtering: bool = False
             ) -> list[dict[str, Any]]:
        """``GET /types``: non-admins see public types and their private ones and may
        filter by ``is_public`` only (``extra_specs`` too from 3.52, where any other
        filter is a 400); admins see public ones unless ``is_public=false|none`` and may
        filter by any column and by ``extra_specs``."""
        self.authorize(ctx, "volume_extension:type_get_all")
        filters = dict(p.filters)
        if not ctx.is_admin:
            allowed = ("is_public", "extra_specs") if general_filtering else ("is_public",)
            bad = [k for k in filters if k not in allowed]
            if bad and general_filtering:
                raise BadRequest(f"Invalid filters {','.join(bad)} are found in query "
                                 "options.")
            filters = {k: v for k, v in filters.items() if k in allowed}
        raw_public = filters.pop("is_public", None)
        is_public = parse_is_public(raw_public) if ctx.is_admin else True
        searched = parse_extra_specs(filters.pop("extra_specs", None))
        order = sort_columns(p.sort, SORT_KEYS, VolumeType)
        if searched and not self.allowed(
                ctx, "volume_extension:types_extra_specs:read_sensitive"):
            if any(k not in USER_VISIBLE_EXTRA_SPECS for k in searched):
                return []  # a sensitive spec is no filter for them: nothing matches
        if any(k not in SORT_KEYS for k in filters):
            return []  # Cinder: a filter naming no column matches nothing

        def work(s: Session) -> list[dict[str, Any]]:
            stmt = sa.select(VolumeType)
            access = sa.exists().where(VolumeTypeProject.volume_type_id == VolumeType.id,
                                       VolumeTypeProject.project_id == ctx.project_id)
            if not ctx.is_admin or is_public is True:
                stmt = stmt.where(sa.or_(VolumeType.is_public.is_(True), access))
            if is_public is False:
                stmt = stmt.where(VolumeType.is_public.is_(False))
            for key, value in filters.items():
                stmt = stmt.where(SORT_KEYS[key] == _column_value(key, value))
            for key, value in (searched or {}).items():
                spec = sa.select(VolumeTypeExtraSpec.volume_type_id).where(
                    VolumeTypeExtraSpec.key == key)
                spec = spec.where(VolumeTypeExtraSpec.value.like(f"%{value}%")
                                  if key == "RESKEY:availability_zones"
                                  else VolumeTypeExtraSpec.value == str(value))
                stmt = stmt.where(VolumeType.id.in_(spec))
            rows = page(s, stmt, VolumeType, order, p,
                        not_found="Volume type {marker} could not be found.")
            return self.render(s, ctx, rows)

        return self.db.read(work)

    def show(self, ctx: RequestContext, type_id: str) -> dict[str, Any]:
        def work(s: Session) -> dict[str, Any]:
            if type_id == "default":
                row = default_type(s, ctx.project_id)
            else:
                row = visible_type(s, ctx, type_id)
            self.authorize(ctx, "volume_extension:type_get")
            return self.render(s, ctx, [row])[0]

        return self.db.read(work)

    # --- create / update / delete -------------------------------------------------------
    def create(self, ctx: RequestContext, name: str, description: str | None,
               specs: dict[str, Any], is_public: bool) -> dict[str, Any]:
        self.authorize(ctx, "volume_extension:type_create")
        type_id, now = str(uuid.uuid4()), utcnow()

        def work(s: Session) -> dict[str, Any]:
            if s.scalar(sa.select(VolumeType.id).where(VolumeType.name == name)) is not None:
                raise Conflict(f"Volume Type {name} already exists.")
            row = VolumeType(id=type_id, name=name, description=description,
                             is_public=is_public, created_at=now)
            s.add(row)
            s.flush()
            for key, value in specs.items():
                s.add(VolumeTypeExtraSpec(volume_type_id=type_id, key=key, value=value))
            s.flush()
            return self.render(s, ctx, [row], legacy=True)[0]

        try:
            return self.db.write(work)
        except sa.exc.IntegrityError:
            raise Conflict(f"Volume Type {name} already exists.") from None

    def update(self, ctx: RequestContext, type_id: str, name: str | None,
               description: str | None, is_public: bool | None) -> dict[str, Any]:
        self.authorize(ctx, "volume_extension:type_update")
        if name is not None and not name.strip():
            raise BadRequest("Volume type name can not be empty.")
        if name is None and description is None and is_public is None:
            raise BadRequest("Specify volume type name, description, is_public or a "
                             "combination thereof.")

        def work(s: Session) -> dict[str, Any]:
            row = visible_type(s, ctx, type_id, lock=True)
            if name is not None and name != row.name:
                if s.scalar(sa.select(VolumeType.id).where(
                        VolumeType.name == name, VolumeType.id != row.id)) is not None:
                    raise Conflict(f"Volume Type {name} already exists.")
                if row.name == DEFAULT_TYPE:
                    raise BadRequest(f"The volume type {row.id} is the default volume type "
                                     "and cannot be renamed.")
                _rename_quota_resources(s, row.name, name)
                row.name = name
            if description is not None:
                row.description = description
            if is_public is not None:
                row.is_public = is_public
            row.updated_at = utcnow()
            s.flush()
            return self.render(s, ctx, [row], legacy=True, access=False)[0]

        try:
            return self.db.write(work)
        except sa.exc.IntegrityError:
            raise Conflict(f"Volume Type {name} already exists.") from None

    def delete(self, ctx: RequestContext, type_id: str) -> None:
        self.authorize(ctx, "volume_extension:type_delete")

        def work(s: Session) -> None:
            row = visible_type(s, ctx, type_id, lock=True)
            is_default = s.scalar(sa.select(DefaultType.project_id).where(
                DefaultType.volume_type_id == row.id).limit(1)) is not None
            if is_default or row.name == DEFAULT_TYPE:
                raise BadRequest(f"The volume type {row.id} is a default volume type and "
                                 "cannot be deleted.")
            if s.scalar(sa.select(sa.func.count()).select_from(VolumeType)) <= 1:
                raise BadRequest(f"The volume type {row.id} is the only currently defined "
                                 "volume type and cannot be deleted.")
            if in_use(s, row.id) or in_groups(s, row.id):
                raise BadRequest("Target volume type is still in use.")
            for model in (VolumeTypeExtraSpec, VolumeTypeProject, Encryption):
                s.execute(sa.delete(model).where(model.volume_type_id == row.id))
            s.delete(row)

        self.db.write(work)

    # --- private type access ------------------------------------------------------------
    def access_list(self, ctx: RequestContext, type_id: str) -> list[dict[str, str]]:
        self.authorize(ctx, "volume_extension:volume_type_access:get_all_for_type")

        def work(s: Session) -> list[dict[str, str]]:
            row = visible_type(s, ctx, type_id)
            if row.is_public:
                raise NotFound("Access list not available for public volume types.")
            projects = s.scalars(sa.select(VolumeTypeProject.project_id).where(
                VolumeTypeProject.volume_type_id == row.id).order_by(
                VolumeTypeProject.project_id))
            return [{"volume_type_id": row.id, "project_id": p} for p in projects]

        return self.db.read(work)

    def add_access(self, ctx: RequestContext, type_id: str, project_id: str) -> None:
        self.authorize(ctx, "volume_extension:volume_type_access:addProjectAccess")

        def work(s: Session) -> None:
            row = self._private(s, ctx, type_id)
            if s.get(VolumeTypeProject, (row.id, project_id)) is None:
                s.add(VolumeTypeProject(volume_type_id=row.id, project_id=project_id))
                s.flush()
                return
            raise _access_exists(type_id, project_id)

        try:
            self.db.write(work)
        except sa.exc.IntegrityError:
            raise _access_exists(type_id, project_id) from None

    def remove_access(self, ctx: RequestContext, type_id: str, project_id: str) -> None:
        self.authorize(ctx, "volume_extension:volume_type_access:removeProjectAccess")

        def work(s: Session) -> None:
            row = self._private(s, ctx, type_id)
            gone = s.execute(sa.delete(VolumeTypeProject).where(
                VolumeTypeProject.volume_type_id == row.id,
                VolumeTypeProject.project_id == project_id)).rowcount
            if not gone:
                raise NotFound(f"Volume type access not found for {type_id} / {project_id} "
                               "combination.")

        self.db.write(work)

    @staticmethod
    def _private(s: Session, ctx: RequestContext, type_id: str) -> VolumeType:
        row = visible_type(s, ctx, type_id)
        if row.is_public:
            raise BadRequest("Invalid volume type: Type access modification is not "
                             "applicable to public volume type.")
        return row

    # --- default types (3.62) -----------------------------------------------------------
    def set_default(self, ctx: RequestContext, project_id: str, name_or_id: str
                    ) -> dict[str, str]:
        def work(s: Session) -> dict[str, str]:
            self._project_authorized(s, ctx, project_id, "volume_extension:default_set_or_update")
            try:
                row = resolve_type(s, ctx, name_or_id)
            except NotFound as exc:
                raise BadRequest(exc.message) from None
            found = s.get(DefaultType, project_id, with_for_update=True)
            if found is None:
                s.add(DefaultType(project_id=project_id, volume_type_id=row.id,
                                  created_at=utcnow()))
            else:
                found.volume_type_id, found.updated_at = row.id, utcnow()
            return {"project_id": project_id, "volume_type_id": row.id}

        try:
            return self.db.write(work)
        except sa.exc.IntegrityError:  # a concurrent first set: the other one won; retry
            return self.db.write(work)

    def get_default(self, ctx: RequestContext, project_id: str) -> dict[str, str]:
        def work(s: Session) -> dict[str, str]:
            self._project_authorized(s, ctx, project_id, "volume_extension:default_get")
            found = s.get(DefaultType, project_id)
            if found is None:
                raise NotFound(f"Default type for project {project_id} not found.")
            return {"project_id": found.project_id, "volume_type_id": found.volume_type_id}

        return self.db.read(work)

    def list_defaults(self, ctx: RequestContext) -> list[dict[str, str]]:
        self.authorize(ctx, "volume_extension:default_get_all",
                       message="You are not authorized to perform this operation.")
        return self.db.read(lambda s: [
            {"project_id": d.project_id, "volume_type_id": d.volume_type_id}
            for d in s.scalars(sa.select(DefaultType).order_by(DefaultType.project_id))])

    def unset_default(self, ctx: RequestContext, project_id: str) -> None:
        def work(s: Session) -> None:
            try:
                self._project_authorized(s, ctx, project_id, "volume_extension:default_unset")
            except NotFound:
                pass  # a deleted project's default is unset anyway
            s.execute(sa.delete(DefaultType).where(DefaultType.project_id == project_id))

        self.db.write(work)

    def _project_authorized(self, s: Session, ctx: RequestContext, project_id: str,
                            rule: str) -> None:
        from onestack.identity.seam import project_exists

        if not project_exists(s, project_id):
            raise NotFound(f"Project with id {project_id} not found.")
        self.authorize(ctx, rule, project_id,
                       message="You are not authorized to perform this operation.")


def _access_exists(type_id: str, project_id: str) -> Conflict:
    return Conflict(f"Volume type access for {type_id} / {project_id} combination already "
                    "exists.")


def _rename_quota_resources(s: Session, old: str, new: str) -> None:
    """Per-type quotas are named after the type (``volumes_<name>``): they follow a rename
    (Cinder's ``update_quota_resource``)."""
    from onestack.volume.service import quotas

    quotas.rename_type(s, old, new)


def parse_is_public(raw: str | None) -> bool | None:
    """Cinder's ``is_public`` filter: absent → public only, ``none`` → all."""
    if raw is None:
        return True
    if raw.strip().lower() == "none":
        return None
    value = raw.strip().lower()
    if value in ("1", "t", "true", "on", "y", "yes"):
        return True
    if value in ("0", "f", "false", "off", "n", "no"):
        return False
    raise BadRequest(f"Invalid is_public filter [{raw}]")


def parse_extra_specs(raw: str | None) -> dict[str, Any] | None:
    """``extra_specs={'key': 'value'}`` (a Python or JSON literal dict)."""
    if raw is None:
        return None
    import ast

    try:
        value = ast.literal_eval(raw)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        value = None
    if not isinstance(value, dict):
        raise BadRequest(f"Invalid input received: Invalid extra_specs filter {raw[:255]}")
    return value


def _column_value(key: str, value: str) -> Any:
    if key == "is_public":
        return parse_is_public(value)
    return value

"""A volume type's extra specs (``/types/{id}/extra_specs``) and encryption
(``/types/{id}/encryption``), with Cinder's rules: changing either while a volume has the
type is refused (400), readers see only the user-visible extra specs, encryption is the
admin's and recorded only (the file backend stores the bytes as given)."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.context import RequestContext
from onestack.core.db import utcnow
from onestack.core.errors import BadRequest, NotFound
from onestack.volume.models.types import Encryption, VolumeTypeExtraSpec
from onestack.volume.service.types import (USER_VISIBLE_EXTRA_SPECS, Authorizer, in_use,
                                           specs_of, visible_type)

_IS_TRUE = "<is> True"
ENCRYPTION_FIELDS = ("provider", "cipher", "key_size", "control_location")


def _spec_not_found(type_id: str, key: str) -> NotFound:
    return NotFound(f"Volume Type {type_id} has no extra specs with key {key}.")


class ExtraSpecService(Authorizer):
    def _visible(self, ctx: RequestContext, specs: dict[str, Any]) -> dict[str, Any]:
        if self.allowed(ctx, "volume_extension:types_extra_specs:read_sensitive"):
            return specs
        return {k: specs[k] for k in USER_VISIBLE_EXTRA_SPECS if k in specs}

    def index(self, ctx: RequestContext, type_id: str) -> dict[str, Any]:
        self.authorize(ctx, "volume_extension:types_extra_specs:index")

        def work(s: Session) -> dict[str, Any]:
            row = visible_type(s, ctx, type_id)
            return self._visible(ctx, specs_of(s, [row.id])[row.id])

        return self.db.read(work)

    def show(self, ctx: RequestContext, type_id: str, key: str) -> dict[str, Any]:
        self.authorize(ctx, "volume_extension:types_extra_specs:show")

        def work(s: Session) -> dict[str, Any]:
            row = visible_type(s, ctx, type_id)
            specs = self._visible(ctx, specs_of(s, [row.id])[row.id])
            if key not in specs:
                raise _spec_not_found(type_id, key)
            return {key: specs[key]}

        return self.db.read(work)

    def set(self, ctx: RequestContext, type_id: str, specs: dict[str, Any],
            rule: str = "volume_extension:types_extra_specs:create",
            key: str | None = None) -> None:
        """Creates or updates ``specs`` (create: any number; update: ``key``'s one)."""
        self.authorize(ctx, rule)

        def work(s: Session) -> None:
            if in_use(s, type_id):
                raise BadRequest("Volume Type is currently in use.")
            row = visible_type(s, ctx, type_id, lock=True)
            if key is not None and key not in specs:
                raise BadRequest("Request body and URI mismatch")
            current = specs_of(s, [row.id])[row.id]
            _check_cacheable(specs, current)
            for k, value in specs.items():
                if k in current:
                    s.execute(sa.update(VolumeTypeExtraSpec).where(
                        VolumeTypeExtraSpec.volume_type_id == row.id,
                        VolumeTypeExtraSpec.key == k).values(value=value))
                else:
                    s.add(VolumeTypeExtraSpec(volume_type_id=row.id, key=k, value=value))
            row.updated_at = utcnow()

        self.db.write(work)

    def delete(self, ctx: RequestContext, type_id: str, key: str) -> None:
        def work(s: Session) -> None:
            row = visible_type(s, ctx, type_id, lock=True)
            self.authorize(ctx, "volume_extension:types_extra_specs:delete")
            if in_use(s, row.id):
                raise BadRequest("Volume Type is currently in use.")
            gone = s.execute(sa.delete(VolumeTypeExtraSpec).where(
                VolumeTypeExtraSpec.volume_type_id == row.id,
                VolumeTypeExtraSpec.key == key)).rowcount
            if not gone:
                raise _spec_not_found(type_id, key)

        self.db.write(work)


def _check_cacheable(new: dict[str, Any], current: dict[str, Any]) -> None:
    """Cinder refuses ``cacheable`` together with ``multiattach``."""
    multiattach, cacheable = current.get("multiattach"), current.get("cacheable")
    if ((new.get("multiattach") == _IS_TRUE and cacheable == _IS_TRUE)
            or (new.get("cacheable") == _IS_TRUE and multiattach == _IS_TRUE)
            or (new.get("cacheable") == _IS_TRUE and new.get("multiattach") == _IS_TRUE)):
        raise BadRequest("cacheable cannot be set with multiattach.")


def iso(moment: datetime | None) -> str | None:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f") if moment else None


def render_encryption(row: Encryption | None) -> dict[str, Any]:
    """``GET /types/{id}/encryption``: every column, or ``{}`` when the type has none."""
    if row is None:
        return {}
    return {"volume_type_id": row.volume_type_id, "encryption_id": row.encryption_id,
            "provider": row.provider, "cipher": row.cipher, "key_size": row.key_size,
            "control_location": row.control_location, "deleted": False,
            "created_at": iso(row.created_at), "updated_at": iso(row.updated_at),
            "deleted_at": None}


class EncryptionService(Authorizer):
    def show(self, ctx: RequestContext, type_id: str) -> dict[str, Any]:
        self.authorize(ctx, "volume_extension:volume_type_encryption:get")

        def work(s: Session) -> dict[str, Any]:
            row = visible_type(s, ctx, type_id)
            return render_encryption(s.get(Encryption, row.id))

        return self.db.read(work)

    def show_item(self, ctx: RequestContext, type_id: str, key: str) -> dict[str, Any]:
        found = self.show(ctx, type_id)
        if key not in found:
            raise NotFound(f"Volume type encryption for type {type_id} does not exist.")
        return {key: found[key]}

    def create(self, ctx: RequestContext, type_id: str, body: dict[str, Any]
               ) -> dict[str, Any]:
        """Records the encryption; answers the request's ``encryption`` with the type's
        id and the new ``encryption_id`` (as Cinder echoes it)."""
        self.authorize(ctx, "volume_extension:volume_type_encryption:create")
        body = _key_size_as_int(body)
        encryption_id = str(uuid.uuid4())

        def work(s: Session) -> dict[str, Any]:
            if in_use(s, type_id):
                raise BadRequest("Cannot create encryption specs. Volume type in use.")
            row = visible_type(s, ctx, type_id, lock=True)
            if s.get(Encryption, row.id) is not None:
                raise BadRequest(f"Volume type encryption for type {type_id} already "
                                 "exists.")
            s.add(Encryption(volume_type_id=row.id, encryption_id=encryption_id,
                             provider=body["provider"], cipher=body.get("cipher"),
                             key_size=body.get("key_size"),
                             control_location=body["control_location"],
                             created_at=utcnow()))
            return {**body, "volume_type_id": row.id, "encryption_id": encryption_id}

        return self.db.write(work)

    def update(self, ctx: RequestContext, type_id: str, body: dict[str, Any]
               ) -> dict[str, Any]:
        self.authorize(ctx, "volume_extension:volume_type_encryption:update")
        body = _key_size_as_int(body)

        def work(s: Session) -> dict[str, Any]:
            row = visible_type(s, ctx, type_id, lock=True)
            if in_use(s, row.id):
                raise BadRequest("Cannot update encryption specs. Volume type in use.")
            found = s.get(Encryption, row.id)
            if found is None:
                raise NotFound(f"Volume type encryption for type {type_id} does not exist.")
            for name in ENCRYPTION_FIELDS:
                if name in body:
                    setattr(found, name, body[name])
            found.updated_at = utcnow()
            return body

        return self.db.write(work)

    def delete(self, ctx: RequestContext, type_id: str) -> None:
        self.authorize(ctx, "volume_extension:volume_type_encryption:delete")

        def work(s: Session) -> None:
            if in_use(s, type_id):
                raise BadRequest("Cannot delete encryption specs. Volume type in use.")
            gone = s.execute(sa.delete(Encryption).where(
                Encryption.volume_type_id == type_id)).rowcount
            if not gone:
                raise NotFound(f"Volume type encryption for type {type_id} does not exist.")

        self.db.write(work)


def _key_size_as_int(body: dict[str, Any]) -> dict[str, Any]:
    if body.get("key_size") is not None:
        return {**body, "key_size": int(body["key_size"])}
    return dict(body)

"""Volume transfers: the use cases behind ``/os-volume-transfer`` and ``/volume-transfers``
(3.55).

Create offers an ``available`` volume: it becomes ``awaiting-transfer`` and the answer
carries the auth key, the only time it is shown (a salted SHA-256 of it is kept). Accept,
by any project holding the key, moves the volume (and, unless ``no_snapshots``, its
snapshots) to the accepting project and user in one transaction with the quota: the new
project is charged (413 when it has no room: nothing moves), the old one released.
Delete withdraws the offer: the volume is ``available`` again.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import string
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.context import RequestContext
from onestack.core.db import utcnow
from onestack.core.errors import BadRequest, NotFound
from onestack.volume import states
from onestack.volume.models.snapshots import Snapshot
from onestack.volume.models.transfers import Transfer
from onestack.volume.service.common import AreaService

KEY_LENGTH = 16  # Cinder's volume_transfer_key_length
_ALPHABET = string.ascii_letters + string.digits


def transfer_not_found(ident: str) -> NotFound:
    return NotFound(f"Transfer {ident} could not be found.")


def hash_key(salt: str, key: str) -> str:
    return hashlib.sha256((salt + key).encode()).hexdigest()


class TransferService(AreaService):
    def visible(self, s: Session, ctx: RequestContext, transfer_id: str,
                lock: bool = False) -> Transfer:
        row = (s.get(Transfer, transfer_id, with_for_update=lock or None)
               if isinstance(transfer_id, str) and len(transfer_id) <= 36 else None)
        if row is None or (row.project_id != ctx.project_id and not ctx.is_admin):
            raise transfer_not_found(str(transfer_id))
        return row

    def create(self, ctx: RequestContext, volume_id: Any, name: str | None,
               no_snapshots: bool = False) -> tuple[Transfer, str]:
        """The new transfer and its auth key (never stored in the clear)."""
        if not isinstance(volume_id, str) or not volume_id:
            raise NotFound(f"Volume {volume_id} could not be found.")
        key = "".join(secrets.choice(_ALPHABET) for _ in range(KEY_LENGTH))
        salt = secrets.token_hex(8)

        def work(s: Session) -> Transfer:
            volume = self.volumes.visible_volume(s, ctx, volume_id, lock=True)
            self.enforce("volume:create_transfer", ctx, volume.project_id)
            if volume.status != states.AVAILABLE:
                raise BadRequest(f"Invalid volume: Volume {volume.id} status must be "
                                 f"available, but current status is: {volume.status}.")
            if not no_snapshots:
                busy = s.scalar(sa.select(Snapshot.id).where(
                    Snapshot.volume_id == volume.id, Snapshot.status != states.AVAILABLE)
                    .limit(1))
                if busy is not None:
                    raise BadRequest("Invalid snapshot: snapshot status must be available.")
            volume.status = states.AWAITING_TRANSFER
            volume.updated_at = utcnow()
            row = Transfer(id=str(uuid.uuid4()), volume_id=volume.id,
                           project_id=volume.project_id, name=name, salt=salt,
                           crypt_hash=hash_key(salt, key), no_snapshots=no_snapshots,
                           accepted=False, created_at=utcnow())
            s.add(row)
            s.flush()
            return row
        return self.db.write(work), key

    def show(self, ctx: RequestContext, transfer_id: str) -> Transfer:
        def work(s: Session) -> Transfer:
            row = self.visible(s, ctx, transfer_id)
            self.enforce("volume:get_transfer", ctx, row.project_id)
            return row
        return self.db.read(work)

    def list(self, ctx: RequestContext, *, all_tenants: bool = False,
             filters: dict[str, str] | None = None) -> list[Transfer]:
        self.enforce("volume:get_all_transfers", ctx, ctx.project_id)

        def work(s: Session) -> list[Transfer]:
            stmt = sa.select(Transfer).order_by(Transfer.created_at.desc(),
                                                Transfer.id.desc())
            if not (ctx.is_admin and all_tenants):
                stmt = stmt.where(Transfer.project_id == ctx.project_id)
            for key, value in (filters or {}).items():
                stmt = stmt.where(getattr(Transfer, key) == value)
            return list(s.scalars(stmt))
        return self.db.read(work)

    def delete(self, ctx: RequestContext, transfer_id: str) -> None:
        from onestack.volume.models.volumes import Volume

        def work(s: Session) -> None:
            row = self.visible(s, ctx, transfer_id, lock=True)
            self.enforce("volume:delete_transfer", ctx, row.project_id)
            volume = s.get(Volume, row.volume_id, with_for_update=True)
            if volume is not None and volume.status == states.AWAITING_TRANSFER:
                volume.status = states.AVAILABLE
                volume.updated_at = utcnow()
            s.delete(row)
        self.db.write(work)

    def accept(self, ctx: RequestContext, transfer_id: str, auth_key: Any) -> Transfer:
        from onestack.volume.models.volumes import Volume
        from onestack.volume.service import quotas
        from onestack.volume.service.snapshots import type_name

        if not isinstance(auth_key, str) or not auth_key:
            raise BadRequest("Incorrect request body format")
        self.enforce("volume:accept_transfer", ctx, ctx.project_id)  # before the lookup

        def work(s: Session) -> Transfer:
            row = (s.get(Transfer, transfer_id, with_for_update=True)
                   if len(transfer_id) <= 36 else None)
            if row is None:
                raise transfer_not_found(transfer_id)
            if not hmac.compare_digest(row.crypt_hash, hash_key(row.salt, auth_key)):
                raise BadRequest(f"Invalid auth key: Attempt to transfer {row.id} with "
                                 "invalid auth key.")
            volume = s.get(Volume, row.volume_id, with_for_update=True)
            if volume is None:
                raise NotFound(f"Volume {row.volume_id} could not be found.")
            if volume.status != states.AWAITING_TRANSFER:
                raise BadRequest(f"Invalid volume: Transfer volume {volume.id} status must "
                                 f"be awaiting-transfer, but current status is: "
                                 f"{volume.status}.")
            snaps = [] if row.no_snapshots else list(s.scalars(
                sa.select(Snapshot).where(Snapshot.volume_id == volume.id)
                .with_for_update()))
            counted = [x for x in snaps if x.use_quota]
            deltas = {"volumes": 1 if volume.use_quota else 0,
                      "gigabytes": (volume.size if volume.use_quota else 0)
                      + sum(x.size for x in counted),
                      "snapshots": len(counted)}
            kind = type_name(s, volume.volume_type_id)
            source = volume.project_id
            # the taker first: a 413 there leaves everything where it was
            quotas.charge(s, ctx.project_id, deltas, volume_type_name=kind)
            quotas.charge(s, source, {k: -v for k, v in deltas.items()},
                          volume_type_name=kind)
            now = utcnow()
            volume.project_id, volume.user_id = ctx.project_id, ctx.user_id or ""
            volume.status, volume.updated_at = states.AVAILABLE, now
            for snap in snaps:
                snap.project_id, snap.user_id = ctx.project_id, ctx.user_id or ""
                snap.updated_at = now
            row.accepted, row.destination_project_id = True, ctx.project_id
            s.delete(row)
            return row
        return self.db.write(work)

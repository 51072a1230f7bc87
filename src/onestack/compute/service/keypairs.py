"""Key pair use cases: a user's key pairs listed, shown, created (imported or generated) and
deleted. The ``key_pairs`` quota is checked before a key is generated (generation costs CPU)
and again, with the name's uniqueness, in the transaction that stores it."""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.compute import models as cm
from onestack.compute import quotas
from onestack.compute.service import keygen
from onestack.compute.service.deps import ResourceDeps
from onestack.core.context import RequestContext
from onestack.core.db import utcnow
from onestack.core.errors import Conflict, Forbidden, NotFound

RULE = "os_compute_api:os-keypairs:"


@dataclass
class NewKeypair:
    """What create asked for: ``public_key`` None means generate one."""

    user_id: str
    name: str
    kind: str
    public_key: str | None


def not_found(name: str, user_id: str) -> NotFound:
    return NotFound(f"Keypair {name} not found for user {user_id}")


def list_keypairs(deps: ResourceDeps, ctx: RequestContext, user_id: str,
                  by_id: bool) -> list[cm.Keypair]:
    """The user's key pairs by id (paged listings, 2.35) or by name."""
    deps.enforce(ctx, RULE + "index", {"user_id": user_id})
    order = cm.Keypair.id if by_id else cm.Keypair.name
    q = sa.select(cm.Keypair).where(cm.Keypair.user_id == user_id).order_by(order)
    return deps.read(lambda s: list(s.scalars(q)))


def get_keypair(deps: ResourceDeps, ctx: RequestContext, user_id: str,
                name: str) -> cm.Keypair:
    deps.enforce(ctx, RULE + "show", {"user_id": user_id})
    kp = deps.read(lambda s: s.get(cm.Keypair, (user_id, name)))
    if kp is None:
        raise not_found(name, user_id)
    return kp


def _check_quota(s: Session, project_id: str, user_id: str) -> None:
    limit = quotas.limits_for(s, project_id, user_id)["key_pairs"]
    count = s.scalar(sa.select(sa.func.count()).select_from(cm.Keypair)
                     .where(cm.Keypair.user_id == user_id)) or 0
    if 0 <= limit <= count:
        raise Forbidden("Quota exceeded, too many key pairs.")


def create_keypair(deps: ResourceDeps, ctx: RequestContext,
                   new: NewKeypair) -> tuple[cm.Keypair, str | None]:
    """(the stored key pair, its private key when one was generated). An imported public
    key is stored exactly as given."""
    deps.enforce(ctx, RULE + "create", {"user_id": new.user_id})
    project_id = ctx.project_id
    deps.read(lambda s: _check_quota(s, project_id, new.user_id))
    private = None
    public = new.public_key
    if public is None:
        private, public = keygen.generate(new.kind, new.name)
    fingerprint = keygen.fingerprint(new.kind, public)

    def work(s: Session) -> cm.Keypair:
        _check_quota(s, project_id, new.user_id)
        if s.get(cm.Keypair, (new.user_id, new.name)) is not None:
            raise Conflict(f"Key pair '{new.name}' already exists.")
        next_id = (s.scalar(sa.select(sa.func.max(cm.Keypair.id))) or 0) + 1
        kp = cm.Keypair(user_id=new.user_id, name=new.name, id=next_id, type=new.kind,
                        public_key=public, fingerprint=fingerprint, created_at=utcnow())
        s.add(kp)
        return kp
    return deps.write(work), private


def delete_keypair(deps: ResourceDeps, ctx: RequestContext, user_id: str, name: str) -> None:
    deps.enforce(ctx, RULE + "delete", {"user_id": user_id})

    def work(s: Session) -> None:
        kp = s.get(cm.Keypair, (user_id, name))
        if kp is None:
            raise not_found(name, user_id)
        s.delete(kp)
    deps.write(work)

"""Trusts (OS-TRUST): a trustor delegates some of its roles on a project to a trustee.

A token obtained through a trust may create a further trust only as Keystone allows
redelegation: the parent allows it and has depth left, the new roles are a subset of the
parent's, the new expiry is not later, the new trust has no ``remaining_uses`` and does not
add impersonation. Without these rules a single-use reader trust becomes a permanent admin
trust (issue 7, F1). A redelegated trust names its parent (``redelegated_trust_id``) and acts
with the roles of the first trustor in the chain; it dies with any trust above it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.context import RequestContext
from onestack.core.db import Database, new_id, utcnow
from onestack.core.errors import Forbidden, NotFound, ValidationError, not_found
from onestack.core.policy import Policy
from onestack.identity import catalog_models as cm
from onestack.identity import models as m
from onestack.identity import views
from onestack.identity.service import assignments, store
from onestack.identity.service.app_credentials import refuse_restricted

DEFAULT_MAX_REDELEGATION_COUNT = 3  # Keystone's [trust] max_redelegation_count
PARENT_KEY = "redelegated_trust_id"  # kept in ``extra``, so it shows in the trust body



@dataclass
class NewTrust:
    """A parsed create request."""

    trustor_user_id: str
    trustee_user_id: str
    project_id: str | None
    impersonation: bool
    expires_at: datetime | None
    remaining_uses: int | None
    allow_redelegation: bool
    redelegation_count: int | None
    roles: list[dict[str, str]]


def parent_of(t: cm.Trust) -> str | None:
    return (t.extra or {}).get(PARENT_KEY)


def live(t: cm.Trust | None) -> bool:
    return t is not None and not (t.expires_at and t.expires_at <= utcnow())


def ancestry(s: Session, t: cm.Trust, max_depth: int) -> list[cm.Trust]:
    """``t``'s parents, nearest first; raises ``NotFound`` when one is gone or expired.

    A chain is never longer than the redelegation depth, so the walk is bounded even if rows
    were edited by hand into a cycle."""
    chain: list[cm.Trust] = []
    current = t
    while parent_of(current):
        if len(chain) > max_depth:
            raise NotFound("The trust chain is longer than redelegation allows.")
        parent = s.get(cm.Trust, parent_of(current))
        if not live(parent):
            raise NotFound(f"Could not find trust: {parent_of(current)}.")
        chain.append(parent)
        current = parent
    return chain


def redelegated_from(s: Session, t: cm.Trust, max_depth: int) -> list[cm.Trust]:
    """Every trust redelegated from ``t``, directly or further down: they go with it.

    A child's trustor is its parent's trustee (or, through impersonation, its trustor)."""
    found: list[cm.Trust] = []
    level = [t]
    for _ in range(max_depth + 1):
        ids = {x.id for x in level}
        users = {x.trustee_user_id for x in level} | {x.trustor_user_id for x in level}
        level = [x for x in s.scalars(sa.select(cm.Trust).where(
            cm.Trust.trustor_user_id.in_(users))) if parent_of(x) in ids]
        if not level:
            break
        found.extend(level)
    return found


def depth_left(t: cm.Trust, max_depth: int) -> int:
    """How many more levels ``t`` may be redelegated (0: not at all)."""
    if not t.allow_redelegation:
        return 0
    return max_depth if t.redelegation_count is None else t.redelegation_count


def _requested_depth(req: NewTrust, max_depth: int) -> tuple[bool, int | None]:
    """Whether the new trust may itself be redelegated, and the depth it asked for."""
    if not req.allow_redelegation or req.redelegation_count == 0:
        return False, 0
    if req.redelegation_count is not None and req.redelegation_count > max_depth:
        raise Forbidden(f"Requested redelegation depth of {req.redelegation_count} is "
                        f"greater than allowed {max_depth}.")
    if req.remaining_uses is not None:
        raise ValidationError("remaining_uses must not be set if redelegation is allowed.")
    return True, req.redelegation_count


def check_redelegation(parent: cm.Trust, req: NewTrust, role_ids: list[str],
                       max_depth: int) -> None:
    """One link of the chain: may ``parent`` hand on what ``req`` asks for? 403 if not."""
    depth = depth_left(parent, max_depth)
    if not 0 < depth <= max_depth:
        raise Forbidden(f"Remaining redelegation depth of {depth} out of allowed range of "
                        f"[0..{max_depth}].")
    if req.remaining_uses is not None:
        raise Forbidden(f'Field "remaining_uses" is set to {req.remaining_uses} while it '
                        f"must not be set in order to redelegate a trust.")
    if parent.expires_at is not None:
        if req.expires_at is None:
            req.expires_at = parent.expires_at
        elif req.expires_at > parent.expires_at:
            raise Forbidden("Requested expiration time is more than redelegated trust can "
                            "provide.")
    if not set(role_ids) <= set(parent.role_ids or []):
        raise Forbidden("Some of requested roles are not in redelegated trust.")
    if req.impersonation and not parent.impersonation:
        raise Forbidden("Impersonation is not allowed because redelegated trust does not "
                        f"specify impersonation. Redelegated trust id: {parent.id}")


def _match_roles(wanted: list[dict[str, str]], offered: list[Any], why: str) -> list[str]:
    """The ids of the ``wanted`` role references (by id or name) among ``offered``."""
    ids = []
    for ref in wanted:
        match = [x.id for x in offered if x.id == ref.get("id") or x.name == ref.get("name")]
        if not match:
            raise Forbidden(why)
        ids.append(match[0])
    return ids


def view(s: Session, t: cm.Trust, base: str) -> dict[str, Any]:
    roles = list(s.scalars(sa.select(m.Role).where(m.Role.id.in_(t.role_ids or []))))
    body = dict(t.extra or {})
    body.update({
        "id": t.id, "trustor_user_id": t.trustor_user_id, "trustee_user_id": t.trustee_user_id,
        "project_id": t.project_id, "impersonation": t.impersonation,
        "expires_at": views.iso(t.expires_at), "remaining_uses": t.remaining_uses,
        "allow_redelegation": t.allow_redelegation,
        "roles": [views.role(x, base) for x in roles],
        "roles_links": {"self": f"{base}/OS-TRUST/trusts/{t.id}/roles", "previous": None,
                        "next": None},
        "links": {"self": f"{base}/OS-TRUST/trusts/{t.id}"}})
    if t.allow_redelegation:
        body["redelegation_count"] = t.redelegation_count
    return body


class Trusts:
    """The trust use cases; each opens its own transaction."""

    def __init__(self, db: Database, policy: Policy,
                 max_depth: int = DEFAULT_MAX_REDELEGATION_COUNT) -> None:
        self.db = db
        self.allowed = policy.allowed
        self.max_depth = max_depth

    # --- create --------------------------------------------------------------------------
    def create(self, ctx: RequestContext, req: NewTrust, base: str) -> dict[str, Any]:
        refuse_restricted(ctx, "Using method 'application_credential' is not allowed for "
                               "managing trusts.")
        if req.trustor_user_id != ctx.user_id:
            raise Forbidden("The authenticated user should match the trustor.")

        def work(s: Session) -> dict[str, Any]:
            store.get_user(s, req.trustee_user_id)
            parent = self._parent(s, ctx)
            role_ids = self._role_ids(s, ctx, req, parent)
            allow, count = _requested_depth(req, self.max_depth)
            if parent is not None:
                remaining = depth_left(parent, self.max_depth) - 1
                if allow and count and count != remaining:
                    raise Forbidden('Modifying "redelegation_count" upon redelegation is '
                                    "forbidden. Omitting this parameter is advised.")
                for link in [parent, *ancestry(s, parent, self.max_depth)]:
                    check_redelegation(link, req, role_ids, self.max_depth)
                count = max(remaining, 0) if allow else 0
            elif allow and count is None:
                count = self.max_depth
            t = cm.Trust(id=new_id(), trustor_user_id=req.trustor_user_id,
                         trustee_user_id=req.trustee_user_id, project_id=req.project_id,
                         impersonation=req.impersonation, expires_at=req.expires_at,
                         remaining_uses=req.remaining_uses, allow_redelegation=allow,
                         redelegation_count=count, role_ids=role_ids,
                         extra={PARENT_KEY: parent.id} if parent is not None else {})
            s.add(t)
            s.flush()
            return view(s, t, base)

        return self.db.write(work)

    def _parent(self, s: Session, ctx: RequestContext) -> cm.Trust | None:
        """The trust the caller's token came through, if any: the new trust redelegates it."""
        if not ctx.trust_id:
            return None
        parent = s.get(cm.Trust, ctx.trust_id)
        if not live(parent):
            raise Forbidden("The trust this token was issued through is gone.")
        return parent

    def _role_ids(self, s: Session, ctx: RequestContext, req: NewTrust,
                  parent: cm.Trust | None) -> list[str]:
        if not req.project_id:
            return []
        store.get_project(s, req.project_id)
        if parent is not None:
            if req.project_id != parent.project_id:
                raise Forbidden("A redelegated trust must be on the project of its parent.")
            offered = list(s.scalars(sa.select(m.Role).where(
                m.Role.id.in_(parent.role_ids or []))))
            return _match_roles(req.roles, offered,
                                "Some of requested roles are not in redelegated trust.")
        held = assignments.effective_roles(s, ctx.user_id, "project", req.project_id)
        return _match_roles(req.roles, held,
                            "The trustor does not hold the requested role on the project.")

    # --- read ----------------------------------------------------------------------------
    def list(self, ctx: RequestContext, trustor: str | None, trustee: str | None,
             base: str) -> list[dict[str, Any]]:
        if not self.allowed("identity:read_admin_resource", ctx, None):
            if not trustor and not trustee:
                raise Forbidden("Listing all trusts requires admin rights.")
            if (trustor and trustor != ctx.user_id) or (trustee and trustee != ctx.user_id):
                raise Forbidden("You may only list your own trusts.")

        def work(s: Session) -> list[dict[str, Any]]:
            q = sa.select(cm.Trust)
            if trustor:
                q = q.where(cm.Trust.trustor_user_id == trustor)
            if trustee:
                q = q.where(cm.Trust.trustee_user_id == trustee)
            return [view(s, t, base) for t in s.scalars(q) if live(t)]

        return self.db.read(work)

    def _visible(self, s: Session, ctx: RequestContext, trust_id: str) -> cm.Trust:
        t = s.get(cm.Trust, trust_id)
        if not live(t):
            raise not_found("trust", trust_id)
        assert t is not None
        if ctx.user_id not in (t.trustor_user_id, t.trustee_user_id) and \
                not self.allowed("identity:read_admin_resource", ctx, None):
            raise Forbidden()
        return t

    def show(self, ctx: RequestContext, trust_id: str, base: str) -> dict[str, Any]:
        return self.db.read(lambda s: view(s, self._visible(s, ctx, trust_id), base))

    def roles(self, ctx: RequestContext, trust_id: str, base: str) -> list[dict[str, Any]]:
        def work(s: Session) -> list[dict[str, Any]]:
            t = self._visible(s, ctx, trust_id)
            return [views.role(x, base) for x in s.scalars(
                sa.select(m.Role).where(m.Role.id.in_(t.role_ids or [])))]

        return self.db.read(work)

    def role(self, ctx: RequestContext, trust_id: str, role_id: str,
             base: str) -> dict[str, Any]:
        def work(s: Session) -> dict[str, Any]:
            t = self._visible(s, ctx, trust_id)
            if role_id not in (t.role_ids or []):
                raise NotFound(f"Could not find role: {role_id}.")
            return views.role(store.get_role(s, role_id), base)

        return self.db.read(work)

    # --- delete --------------------------------------------------------------------------
    def delete(self, ctx: RequestContext, trust_id: str) -> None:
        refuse_restricted(ctx, "Using method 'application_credential' is not allowed for "
                               "managing trusts.")

        def work(s: Session) -> None:
            t = s.get(cm.Trust, trust_id)
            if t is None:
                raise not_found("trust", trust_id)
            if ctx.user_id != t.trustor_user_id and not self.allowed(
                    "identity:manage_admin_resource", ctx, None):
                raise Forbidden()
            for gone in [t, *redelegated_from(s, t, self.max_depth)]:
                s.delete(gone)
                store.revoke(s, trust_id=gone.id)

        self.db.write(work)

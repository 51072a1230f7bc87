"""RBAC policies: sharing a network (or a QoS policy, security group, address group,
subnet pool or address scope) with one project or with every project (``*``), as
Neutron's ``rbac-policies`` do.

* A project a network is shared with sees it (``shared_clause``, which the networks
  collection adds to its visibility); ``access_as_external`` makes it visible (and usable
  as an external network) to the target.
* A ``*`` policy is the object's ``shared`` (``access_as_shared``) or ``router:external``
  (``access_as_external``) flag: creating or deleting one sets or clears the flag, and
  setting the flag through the object's own API makes or removes the policy
  (``sync_object``).
* Only an admin or the object's owner makes policies on it; only an admin targets ``*``.
* A project losing access while it has ports on the network → 409 RbacPolicyInUse.
"""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.context import RequestContext
from onestack.core.db import utcnow
from onestack.core.errors import BadRequest, Conflict, Forbidden, NotFound
from onestack.network.attributes import invalid
from onestack.network.models.rbac import RbacPolicy
from onestack.network.resources.rbac import RBAC_POLICY
from onestack.network.service.engine import Collection, new_uuid

SHARED, EXTERNAL = "access_as_shared", "access_as_external"
# object type → (collection, valid actions as Neutron lists them, flag per wildcard action)
TYPES: dict[str, tuple[str, tuple[str, ...], dict[str, str]]] = {
    "network": ("networks", (EXTERNAL, SHARED),
                {SHARED: "shared", EXTERNAL: "router_external"}),
    "qos_policy": ("policies", (SHARED,), {SHARED: "shared"}),
    "security_group": ("security_groups", (SHARED,), {}),
    "address_group": ("address_groups", (SHARED,), {}),
    "subnetpool": ("subnetpools", (SHARED,), {SHARED: "shared"}),
    "address_scope": ("address_scopes", (SHARED,), {SHARED: "shared"}),
}


class RbacPolicies(Collection):
    resource = RBAC_POLICY
    model = RbacPolicy
    quota = "rbac_policy"

    def not_found(self, ident: str) -> NotFound:
        return NotFound(f"RBAC policy of type unknown with ID {ident} not found",
                        kind="RbacPolicyNotFound")

    # --- the objects ---------------------------------------------------------------------
    def _kind(self, object_type: str) -> tuple[Collection, tuple[str, ...], dict[str, str]]:
        spec = TYPES.get(object_type)
        collection = self.deps.collections.get(spec[0]) if spec else None
        if spec is None or collection is None:
            raise invalid(f"'{object_type}' is not a valid RBAC object type")
        return collection, spec[1], spec[2]

    def _object(self, s: Session, ctx: RequestContext, object_type: str,
                object_id: str) -> Any:
        collection, _, _ = self._kind(object_type)
        return collection.find(s, ctx, object_id, lock=True)

    def _check_owner(self, ctx: RequestContext, obj: Any, object_type: str) -> None:
        if not self.deps.is_admin(ctx) and obj.project_id != ctx.project_id:
            what = "networks" if object_type == "network" else "objects"
            raise invalid(f"Only admins can manipulate policies on {what} they do not own")

    def _set_flag(self, s: Session, obj: Any, object_type: str, action: str,
                  value: bool) -> None:
        flag = self._kind(object_type)[2].get(action)
        if flag and getattr(obj, flag, None) is not None and getattr(obj, flag) != value:
            setattr(obj, flag, value)
            self.bump(obj)

    def _in_use(self, s: Session, policy: RbacPolicy, obj: Any, losing: str) -> None:
        """409 when ``losing`` (a project or ``*``) has ports on the shared network that no
        remaining policy still allows."""
        if policy.object_type != "network" or policy.action != SHARED \
                or losing == obj.project_id:
            return
        ports = self.deps.collections.get("ports")
        model = getattr(ports, "model", None)
        if model is None:
            return
        others = set(s.scalars(sa.select(RbacPolicy.target_tenant).where(
            RbacPolicy.object_type == "network", RbacPolicy.object_id == obj.id,
            RbacPolicy.action == SHARED, RbacPolicy.id != policy.id)))
        stmt = sa.select(model.id).where(model.network_id == obj.id)
        if losing == "*":
            stmt = stmt.where(model.project_id.not_in([*others, obj.project_id, ""]))
        else:
            if "*" in others:
                return
            stmt = stmt.where(model.project_id == losing)
        if s.scalars(stmt.limit(1)).first() is not None:
            raise Conflict(f"RBAC policy on object {obj.id} cannot be removed because other "
                           f"objects depend on it.\nDetails: Unable to reconfigure sharing "
                           f"settings for network {obj.id}. Multiple tenants are using it.",
                           kind="RbacPolicyInUse")

    # --- hooks ---------------------------------------------------------------------------
    def prepare_create(self, s: Session, ctx: RequestContext, doc: dict[str, Any]) -> None:
        _, actions, _ = self._kind(doc["object_type"])
        if doc["action"] not in actions:
            raise BadRequest(f"Invalid action '{doc['action']}' for object type "
                             f"'{doc['object_type']}'. Valid actions: {actions}",
                             kind="InvalidActionForType")
        if doc["target_tenant"] == "*" and not self.deps.is_admin(ctx):
            raise Forbidden("You are not authorized to perform the requested action: "
                            "create_rbac_policy:target_tenant.")
        obj = self._object(s, ctx, doc["object_type"], doc["object_id"])
        self._check_owner(ctx, obj, doc["object_type"])

    def create_in(self, s: Session, ctx: RequestContext, doc: dict[str, Any]) -> Any:
        try:
            with s.begin_nested():
                row = super().create_in(s, ctx, doc)
        except sa.exc.IntegrityError:
            raise Conflict("An RBAC policy already exists with those values.",
                           kind="DuplicateRbacPolicy") from None
        return row

    def after_create(self, s: Session, ctx: RequestContext, row: RbacPolicy,
                     doc: dict[str, Any]) -> None:
        if row.target_tenant == "*":
            obj = self._object(s, ctx, row.object_type, row.object_id)
            self._set_flag(s, obj, row.object_type, row.action, True)

    def prepare_update(self, s: Session, ctx: RequestContext, row: RbacPolicy,
                       changes: dict[str, Any]) -> None:
        new = changes.get("target_tenant", row.target_tenant)
        if new == row.target_tenant:
            return
        if new == "*" and not self.deps.is_admin(ctx):
            raise Forbidden("You are not authorized to perform the requested action: "
                            "update_rbac_policy:target_tenant.")
        obj = self._object(s, ctx, row.object_type, row.object_id)
        self._check_owner(ctx, obj, row.object_type)
        self._in_use(s, row, obj, row.target_tenant)
        if s.scalar(sa.select(RbacPolicy.id).where(
                RbacPolicy.object_type == row.object_type, RbacPolicy.object_id == obj.id,
                RbacPolicy.action == row.action, RbacPolicy.target_tenant == new)):
            raise Conflict("An RBAC policy already exists with those values.",
                           kind="DuplicateRbacPolicy")
        if row.target_tenant == "*":
            self._set_flag(s, obj, row.object_type, row.action, False)
        if new == "*":
            self._set_flag(s, obj, row.object_type, row.action, True)

    def before_delete(self, s: Session, ctx: RequestContext, row: RbacPolicy) -> None:
        collection, _, _ = self._kind(row.object_type)
        obj = s.get(collection.model, row.object_id, with_for_update=True)
        if obj is None:
            return
        self._in_use(s, row, obj, row.target_tenant)
        if row.target_tenant == "*":
            self._set_flag(s, obj, row.object_type, row.action, False)

    # --- what other collections call -----------------------------------------------------
    def shared_clause(self, ctx: RequestContext, model: Any) -> Any | None:
        """Rows of ``model`` shared with the caller's project by a policy."""
        object_type = next((t for t, (name, _, _) in TYPES.items()
                            if getattr(self.deps.collections.get(name), "model", None)
                            is model), None)
        if object_type is None or not ctx.project_id:
            return None
        actions = TYPES[object_type][1]
        return model.id.in_(sa.select(RbacPolicy.object_id).where(
            RbacPolicy.object_type == object_type, RbacPolicy.action.in_(actions),
            RbacPolicy.target_tenant == ctx.project_id))

    def shared_ids(self, s: Session, ctx: RequestContext, object_type: str,
                   ids: list[str]) -> set[str]:
        """Which of ``ids`` a policy shares (``access_as_shared``) with the caller's project."""
        if not ctx.project_id or not ids:
            return set()
        out: set[str] = set()
        for start in range(0, len(ids), 500):
            out.update(s.scalars(sa.select(RbacPolicy.object_id).where(
                RbacPolicy.object_type == object_type, RbacPolicy.action == SHARED,
                RbacPolicy.target_tenant == ctx.project_id,
                RbacPolicy.object_id.in_(ids[start:start + 500]))))
        return out

    def delete_for_object(self, s: Session, ctx: RequestContext, obj: Any,
                          object_type: str = "") -> None:
        kind = object_type or ("network" if obj.__class__ is
                               self.deps.collections["networks"].model else "qos_policy")
        s.execute(sa.delete(RbacPolicy).where(RbacPolicy.object_type == kind,
                                              RbacPolicy.object_id == obj.id))

    def sync_object(self, s: Session, obj: Any, object_type: str) -> None:
        """The ``*`` policies follow the object's flags (``shared``, ``router:external``)
        set through its own API: made when a flag is on, removed when it is off."""
        for action, flag in TYPES[object_type][2].items():
            want = bool(getattr(obj, flag, False))
            have = s.scalar(sa.select(RbacPolicy).where(
                RbacPolicy.object_type == object_type, RbacPolicy.object_id == obj.id,
                RbacPolicy.action == action, RbacPolicy.target_tenant == "*"))
            if want and have is None:
                now = utcnow()
                s.add(RbacPolicy(id=new_uuid(), project_id=obj.project_id,
                                 object_type=object_type, object_id=obj.id, action=action,
                                 target_tenant="*", created_at=now, updated_at=now,
                                 revision_number=0))
            elif not want and have is not None:
                s.delete(have)
        s.flush()

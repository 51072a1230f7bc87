"""Resource providers, their inventories, usages, traits and aggregates: the use cases
behind the Placement API's provider routes. Each method checks its policy rule and owns
its transaction; writes bump the provider generation (409 on a stale one)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.context import RequestContext
from onestack.core.db import Database, new_id, utcnow
from onestack.core.errors import BadRequest, Conflict, NotFound
from onestack.core.policy import Policy
from onestack.placement import models as pm
from onestack.placement import service as claims
from onestack.placement.policies import rule

INVENTORY_FIELDS = ("total", "reserved", "min_unit", "max_unit", "step_size",
                    "allocation_ratio")
STANDARD_TRAITS = frozenset({
    "COMPUTE_STATUS_DISABLED", "HW_CPU_X86_AVX2", "HW_CPU_X86_SSE42",
    "COMPUTE_NET_ATTACH_INTERFACE", "COMPUTE_VOLUME_ATTACH", "STORAGE_DISK_SSD",
    "COMPUTE_IMAGE_TYPE_QCOW2", "COMPUTE_IMAGE_TYPE_RAW"})


class ConcurrentUpdate(Conflict):
    code = "placement.concurrent_update"


def provider(s: Session, uuid: str) -> pm.ResourceProvider:
    rp = s.scalar(sa.select(pm.ResourceProvider).where(pm.ResourceProvider.uuid == uuid))
    if rp is None:
        raise NotFound(f"No resource provider with uuid {uuid} found")
    return rp


def bump(rp: pm.ResourceProvider, expected: int | None) -> None:
    """The generation check of a provider write (the row is re-read in this transaction)."""
    if expected is not None and expected != rp.generation:
        raise ConcurrentUpdate("resource provider generation conflict")
    rp.generation += 1
    rp.updated_at = utcnow()


def all_traits(s: Session) -> set[str]:
    return set(STANDARD_TRAITS) | set(s.scalars(sa.select(pm.CustomTrait.name)))


def inventory_view(inv: pm.Inventory) -> dict[str, Any]:
    return {k: getattr(inv, k) for k in INVENTORY_FIELDS}


def inventory_fields(rc: str, fields: dict[str, Any]) -> dict[str, Any]:
    """Defaults filled in, cross-field rules checked (types are the schema's job)."""
    out = {"total": fields["total"], "reserved": fields.get("reserved", 0),
           "min_unit": fields.get("min_unit", 1),
           "max_unit": fields.get("max_unit", fields["total"]),
           "step_size": fields.get("step_size", 1),
           "allocation_ratio": float(fields.get("allocation_ratio", 1.0))}
    if out["reserved"] > out["total"] or out["max_unit"] < out["min_unit"]:
        raise BadRequest(f"Unable to update inventory for resource provider: invalid "
                         f"values for {rc}")
    return out


@dataclass
class Providers:
    db: Database
    policy: Policy

    def _check(self, ctx: RequestContext, action: str) -> None:
        self.policy.enforce(rule(action), ctx)

    def _read(self, ctx: RequestContext, action: str, fn: Callable[[Session], Any]) -> Any:
        self._check(ctx, action)
        return self.db.read(fn)

    def _write(self, ctx: RequestContext, action: str, fn: Callable[[Session], Any]) -> Any:
        self._check(ctx, action)
        return self.db.write(fn)

    # --- providers ------------------------------------------------------------
    def list(self, ctx: RequestContext, filters: dict[str, str],
             wanted: dict[str, int] | None) -> list[pm.ResourceProvider]:
        def work(s: Session) -> list[pm.ResourceProvider]:
            q = sa.select(pm.ResourceProvider)
            columns = {"name": pm.ResourceProvider.name, "uuid": pm.ResourceProvider.uuid,
                       "in_tree": pm.ResourceProvider.root_uuid}
            for key, value in filters.items():
                q = q.where(columns[key] == value)
            rows = list(s.scalars(q.order_by(pm.ResourceProvider.id)))
            if wanted:
                inv, used = claims.all_inventories(s), claims.all_usages(s)
                rows = [rp for rp in rows
                        if claims.fits(inv.get(rp.uuid, {}), used.get(rp.uuid, {}), wanted)]
            return rows
        return self._read(ctx, "resource_providers:list", work)

    def create(self, ctx: RequestContext, name: str, uuid: str | None,
               parent: str | None) -> pm.ResourceProvider:
        uuid = uuid or new_id()

        def work(s: Session) -> pm.ResourceProvider:
            if s.scalar(sa.select(pm.ResourceProvider.id).where(sa.or_(
                    pm.ResourceProvider.uuid == uuid, pm.ResourceProvider.name == name))):
                raise Conflict(f"Conflicting resource provider name: {name} already exists.")
            root_uuid = provider(s, parent).root_uuid or parent if parent else uuid
            now = utcnow()
            rp = pm.ResourceProvider(uuid=uuid, name=name, generation=0, parent_uuid=parent,
                                     root_uuid=root_uuid, created_at=now, updated_at=now)
            s.add(rp)
            s.flush()
            return rp
        return self._write(ctx, "resource_providers:create", work)

    def show(self, ctx: RequestContext, uuid: str) -> pm.ResourceProvider:
        return self._read(ctx, "resource_providers:show", lambda s: provider(s, uuid))

    def update(self, ctx: RequestContext, uuid: str, body: dict[str, Any]
               ) -> pm.ResourceProvider:
        def work(s: Session) -> pm.ResourceProvider:
            rp = provider(s, uuid)
            if "name" in body:
                rp.name = body["name"]
            if "parent_provider_uuid" in body and body["parent_provider_uuid"] != rp.parent_uuid:
                if rp.parent_uuid is not None:
                    raise BadRequest("Re-parenting a provider is not allowed.")
                rp.parent_uuid = body["parent_provider_uuid"]
            rp.updated_at = utcnow()
            return rp
        return self._write(ctx, "resource_providers:update", work)

    def delete(self, ctx: RequestContext, uuid: str) -> None:
        def work(s: Session) -> None:
            rp = provider(s, uuid)
            if s.scalar(sa.select(pm.Allocation.consumer_uuid).where(
                    pm.Allocation.provider_uuid == rp.uuid).limit(1)):
                raise Conflict(f"Unable to delete resource provider {rp.uuid}: it has "
                               "allocations.")
            if s.scalar(sa.select(pm.ResourceProvider.id).where(
                    pm.ResourceProvider.parent_uuid == rp.uuid).limit(1)):
                raise Conflict(f"Unable to delete parent resource provider {rp.uuid}: "
                               "it has child resource providers.")
            s.delete(rp)
        self._write(ctx, "resource_providers:delete", work)

    # --- inventories ----------------------------------------------------------
    def inventories(self, ctx: RequestContext, uuid: str) -> dict[str, Any]:
        return self._read(ctx, "resource_providers:inventories:list",
                          lambda s: _inventories_body(s, provider(s, uuid)))

    def replace_inventories(self, ctx: RequestContext, uuid: str, generation: int,
                            inventories: dict[str, dict[str, Any]]) -> dict[str, Any]:
        def work(s: Session) -> dict[str, Any]:
            rp = provider(s, uuid)
            bump(rp, generation)
            wanted = {}
            for rc, fields in inventories.items():
                _known_class(s, rc)
                wanted[rc] = inventory_fields(rc, fields)
            for rc, amount in claims.usages(s, rp.uuid).items():
                if amount and rc not in wanted:
                    raise Conflict(f"Inventory for {rc} on resource provider {rp.uuid} in use.")
            s.execute(sa.delete(pm.Inventory).where(pm.Inventory.provider_uuid == rp.uuid))
            for rc, fields in wanted.items():
                s.add(pm.Inventory(provider_uuid=rp.uuid, resource_class=rc, **fields))
            s.flush()
            return _inventories_body(s, rp)
        return self._write(ctx, "resource_providers:inventories:update", work)

    def delete_inventories(self, ctx: RequestContext, uuid: str) -> None:
        def work(s: Session) -> None:
            rp = provider(s, uuid)
            if any(claims.usages(s, rp.uuid).values()):
                raise Conflict("Inventory in use.")
            s.execute(sa.delete(pm.Inventory).where(pm.Inventory.provider_uuid == rp.uuid))
            bump(rp, None)
        self._write(ctx, "resource_providers:inventories:delete", work)

    def inventory(self, ctx: RequestContext, uuid: str, rc: str) -> dict[str, Any]:
        def work(s: Session) -> dict[str, Any]:
            rp = provider(s, uuid)
            inv = s.get(pm.Inventory, (rp.uuid, rc))
            if inv is None:
                raise NotFound(f"No inventory of class {rc} for {rp.uuid}")
            return {"resource_provider_generation": rp.generation, **inventory_view(inv)}
        return self._read(ctx, "resource_providers:inventories:show", work)

    def set_inventory(self, ctx: RequestContext, uuid: str, rc: str,
                      body: dict[str, Any]) -> dict[str, Any]:
        def work(s: Session) -> dict[str, Any]:
            rp = provider(s, uuid)
            _known_class(s, rc)
            fields = inventory_fields(rc, body)
            bump(rp, body["resource_provider_generation"])
            inv = s.get(pm.Inventory, (rp.uuid, rc))
            if inv is None:
                s.add(pm.Inventory(provider_uuid=rp.uuid, resource_class=rc, **fields))
            else:
                for k, v in fields.items():
                    setattr(inv, k, v)
            return {"resource_provider_generation": rp.generation, **fields}
        return self._write(ctx, "resource_providers:inventories:update", work)

    def delete_inventory(self, ctx: RequestContext, uuid: str, rc: str) -> None:
        def work(s: Session) -> None:
            rp = provider(s, uuid)
            inv = s.get(pm.Inventory, (rp.uuid, rc))
            if inv is None:
                raise NotFound(f"No inventory of class {rc} found for delete")
            if claims.usages(s, rp.uuid).get(inv.resource_class):
                raise Conflict("Inventory in use.")
            s.delete(inv)
            bump(rp, None)
        self._write(ctx, "resource_providers:inventories:delete", work)

    # --- usages ---------------------------------------------------------------
    def provider_usages(self, ctx: RequestContext, uuid: str) -> dict[str, Any]:
        def work(s: Session) -> dict[str, Any]:
            rp = provider(s, uuid)
            usage = {rc: 0 for rc in s.scalars(sa.select(pm.Inventory.resource_class)
                                               .where(pm.Inventory.provider_uuid == rp.uuid))}
            usage.update(claims.usages(s, rp.uuid))
            return {"resource_provider_generation": rp.generation, "usages": usage}
        return self._read(ctx, "resource_providers:usages", work)

    def project_usages(self, ctx: RequestContext, project_id: str,
                       user_id: str | None) -> dict[str, int]:
        def work(s: Session) -> dict[str, int]:
            q = sa.select(pm.Allocation.resource_class, sa.func.sum(pm.Allocation.used)).where(
                pm.Allocation.project_id == project_id)
            if user_id:
                q = q.where(pm.Allocation.user_id == user_id)
            return {rc: int(n or 0) for rc, n in
                    s.execute(q.group_by(pm.Allocation.resource_class))}
        return self._read(ctx, "usages", work)

    # --- traits and aggregates of a provider ------------------------------------
    def traits(self, ctx: RequestContext, uuid: str) -> tuple[int, list[str]]:
        def work(s: Session) -> tuple[int, list[str]]:
            rp = provider(s, uuid)
            return rp.generation, sorted(s.scalars(sa.select(pm.ProviderTrait.trait).where(
                pm.ProviderTrait.provider_uuid == rp.uuid)))
        return self._read(ctx, "resource_providers:traits:list", work)

    def set_traits(self, ctx: RequestContext, uuid: str, generation: int,
                   traits: list[str]) -> tuple[int, list[str]]:
        def work(s: Session) -> tuple[int, list[str]]:
            rp = provider(s, uuid)
            unknown = [t for t in traits if t not in all_traits(s)]
            if unknown:
                raise BadRequest(f"No such trait(s): {', '.join(unknown)}")
            bump(rp, generation)
            s.execute(sa.delete(pm.ProviderTrait).where(pm.ProviderTrait.provider_uuid == rp.uuid))
            for t in dict.fromkeys(traits):
                s.add(pm.ProviderTrait(provider_uuid=rp.uuid, trait=t))
            return rp.generation, sorted(set(traits))
        return self._write(ctx, "resource_providers:traits:update", work)

    def clear_traits(self, ctx: RequestContext, uuid: str) -> None:
        def work(s: Session) -> None:
            rp = provider(s, uuid)
            s.execute(sa.delete(pm.ProviderTrait).where(pm.ProviderTrait.provider_uuid == rp.uuid))
            bump(rp, None)
        self._write(ctx, "resource_providers:traits:delete", work)

    def aggregates(self, ctx: RequestContext, uuid: str) -> tuple[int, list[str]]:
        def work(s: Session) -> tuple[int, list[str]]:
            rp = provider(s, uuid)
            return rp.generation, sorted(s.scalars(
                sa.select(pm.ProviderAggregate.aggregate_uuid).where(
                    pm.ProviderAggregate.provider_uuid == rp.uuid)))
        return self._read(ctx, "resource_providers:aggregates:list", work)

    def set_aggregates(self, ctx: RequestContext, uuid: str, generation: int | None,
                       aggregates: list[str]) -> tuple[int, list[str]]:
        def work(s: Session) -> tuple[int, list[str]]:
            rp = provider(s, uuid)
            if generation is not None:
                bump(rp, generation)
            s.execute(sa.delete(pm.ProviderAggregate).where(
                pm.ProviderAggregate.provider_uuid == rp.uuid))
            for a in dict.fromkeys(aggregates):
                s.add(pm.ProviderAggregate(provider_uuid=rp.uuid, aggregate_uuid=a))
            return rp.generation, sorted(set(aggregates))
        return self._write(ctx, "resource_providers:aggregates:update", work)


def _inventories_body(s: Session, rp: pm.ResourceProvider) -> dict[str, Any]:
    invs = s.scalars(sa.select(pm.Inventory).where(pm.Inventory.provider_uuid == rp.uuid))
    return {"resource_provider_generation": rp.generation,
            "inventories": {i.resource_class: inventory_view(i) for i in invs}}


def _known_class(s: Session, rc: str) -> None:
    if rc not in claims.STANDARD_CLASSES and s.get(pm.CustomResourceClass, rc) is None:
        raise BadRequest(f"Unknown resource class in inventory for resource provider: {rc}")

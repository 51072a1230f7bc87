"""Traits and resource classes: the names providers and requests are described with."""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.context import RequestContext
from onestack.core.db import Database
from onestack.core.errors import BadRequest, Conflict, NotFound
from onestack.core.policy import Policy
from onestack.placement import models as pm
from onestack.placement import service as claims
from onestack.placement.policies import rule
from onestack.placement.providers import all_traits


def _create_if_absent(s: Session, model: type, name: str) -> int:
    """201 when the row was made, 204 when it was there already (Placement's PUT)."""
    if s.get(model, name) is not None:
        return 204
    s.add(model(name=name))
    return 201


@dataclass
class Vocabulary:
    db: Database
    policy: Policy

    # --- traits -------------------------------------------------------------------
    def traits(self, ctx: RequestContext, name_filter: str | None) -> list[str]:
        self.policy.enforce(rule("traits:list"), ctx)
        names = sorted(self.db.read(all_traits))
        if name_filter and name_filter.startswith("startswith:"):
            prefix = name_filter[len("startswith:"):]
            return [n for n in names if n.startswith(prefix)]
        if name_filter and name_filter.startswith("in:"):
            wanted = set(name_filter[3:].split(","))
            return [n for n in names if n in wanted]
        if name_filter:
            raise BadRequest("Badly formatted name parameter. Expected name query string "
                             "parameter in form: ?name=[in|startswith]:[name1,name2|prefix]. "
                             f"Got: \"{name_filter}\"")
        return names

    def trait_exists(self, ctx: RequestContext, name: str) -> None:
        self.policy.enforce(rule("traits:show"), ctx)
        if name not in self.db.read(all_traits):
            raise NotFound(f"No such trait(s): {name}")

    def put_trait(self, ctx: RequestContext, name: str) -> int:
        self.policy.enforce(rule("traits:update"), ctx)
        if not name.startswith("CUSTOM_"):
            raise BadRequest("The trait is invalid. A valid trait must be prefixed with "
                             "'CUSTOM_'.")
        return self.db.write(lambda s: _create_if_absent(s, pm.CustomTrait, name))

    def delete_trait(self, ctx: RequestContext, name: str) -> None:
        self.policy.enforce(rule("traits:delete"), ctx)

        def work(s: Session) -> None:
            row = s.get(pm.CustomTrait, name)
            if row is None:
                raise NotFound(f"No such trait(s): {name}")
            if s.scalar(sa.select(pm.ProviderTrait.trait).where(pm.ProviderTrait.trait == name)
                        .limit(1)):
                raise Conflict(f"The trait {name} is in use by a resource provider.")
            s.delete(row)
        self.db.write(work)

    # --- resource classes -------------------------------------------------------------
    def classes(self, ctx: RequestContext) -> list[str]:
        self.policy.enforce(rule("resource_classes:list"), ctx)
        custom = self.db.read(lambda s: list(s.scalars(sa.select(pm.CustomResourceClass.name))))
        return claims.STANDARD_CLASSES + sorted(custom)

    def create_class(self, ctx: RequestContext, name: str) -> None:
        self.policy.enforce(rule("resource_classes:create"), ctx)

        def work(s: Session) -> None:
            if s.get(pm.CustomResourceClass, name) is not None:
                raise Conflict(f"Conflicting resource class already exists: {name}")
            s.add(pm.CustomResourceClass(name=name))
        self.db.write(work)

    def class_exists(self, ctx: RequestContext, name: str) -> None:
        self.policy.enforce(rule("resource_classes:show"), ctx)
        if name not in claims.STANDARD_CLASSES and self.db.read(
                lambda s: s.get(pm.CustomResourceClass, name)) is None:
            raise NotFound(f"No such resource class {name}.")

    def put_class(self, ctx: RequestContext, name: str) -> int:
        self.policy.enforce(rule("resource_classes:update"), ctx)
        if not name.startswith("CUSTOM_"):
            raise BadRequest("Resource class names must start with 'CUSTOM_'.")
        return self.db.write(lambda s: _create_if_absent(s, pm.CustomResourceClass, name))

    def delete_class(self, ctx: RequestContext, name: str) -> None:
        self.policy.enforce(rule("resource_classes:delete"), ctx)
        if name in claims.STANDARD_CLASSES:
            raise BadRequest(f"Cannot delete standard resource class {name}")

        def work(s: Session) -> None:
            row = s.get(pm.CustomResourceClass, name)
            if row is None:
                raise NotFound(f"No such resource class {name}.")
            if s.scalar(sa.select(pm.Inventory.resource_class).where(
                    pm.Inventory.resource_class == name).limit(1)):
                raise Conflict(f"Unable to delete resource class {name}: it is in use.")
            s.delete(row)
        self.db.write(work)

"""Allocations and allocation candidates: the use cases behind the Placement API's
allocation routes. Writes go through ``service.replace_allocations`` — the same
compare-and-swap on provider generations the scheduler's claim uses — and are retried from
a fresh read when another writer got in first."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from onestack.core.context import RequestContext
from onestack.core.db import Database
from onestack.core.errors import BadRequest, Conflict, NotFound
from onestack.core.policy import Policy
from onestack.placement import models as pm
from onestack.placement import service as claims
from onestack.placement.policies import rule
from onestack.placement.providers import ConcurrentUpdate, all_traits, provider

ATTEMPTS = 10


@dataclass
class ConsumerWrite:
    """One consumer's desired allocations, as a PUT or one item of a POST gives them."""

    consumer: str
    allocations: dict[str, dict[str, int]]  # provider uuid → resource class → amount
    project_id: str
    user_id: str
    consumer_generation: int | None = None
    check_generation: bool = False


@dataclass
class Allocations:
    db: Database
    policy: Policy

    def of_consumer(self, ctx: RequestContext, consumer: str) -> dict[str, Any]:
        self.policy.enforce(rule("allocations:list"), ctx)
        return self.db.read(lambda s: _consumer_allocations(s, consumer))

    def of_provider(self, ctx: RequestContext, uuid: str) -> dict[str, Any]:
        self.policy.enforce(rule("resource_providers:allocations:list"), ctx)

        def work(s: Session) -> dict[str, Any]:
            rp = provider(s, uuid)
            out: dict[str, dict] = {}
            for a in s.scalars(sa.select(pm.Allocation).where(
                    pm.Allocation.provider_uuid == rp.uuid)):
                out.setdefault(a.consumer_uuid, {"resources": {}})["resources"][
                    a.resource_class] = a.used
            return {"resource_provider_generation": rp.generation, "allocations": out}
        return self.db.read(work)

    def replace(self, ctx: RequestContext, writes: list[ConsumerWrite], action: str) -> None:
        """All consumers' allocations replaced in one transaction, or none of them."""
        self.policy.enforce(rule(action), ctx)
        for _ in range(ATTEMPTS):
            try:
                self.db.write(lambda s: _write_all(s, writes))
                return
            except claims.GenerationConflict:
                continue
            except claims.UnknownProvider as exc:
                raise BadRequest(f"Allocation for resource provider '{exc.provider_uuid}' "
                                 "that does not exist.") from exc
            except claims.Unfit as exc:
                raise Conflict(f"Unable to allocate inventory: unable to fit the request on "
                               f"resource provider {exc.provider_uuid}") from exc
            except (claims.ConsumerConflict, IntegrityError) as exc:
                raise ConcurrentUpdate("consumer generation conflict - expected the "
                                       "generation the consumer had when it was read") from exc
        raise ConcurrentUpdate("resource provider generation conflict: too many concurrent "
                               "writers, try again")

    def delete(self, ctx: RequestContext, consumer: str) -> None:
        self.policy.enforce(rule("allocations:delete"), ctx)

        def work(s: Session) -> None:
            if not s.scalar(sa.select(pm.Allocation.consumer_uuid).where(
                    pm.Allocation.consumer_uuid == consumer).limit(1)):
                raise NotFound(f"No allocations for consumer '{consumer}'")
            claims.release(s, consumer)
        self.db.write(work)

    def candidates(self, ctx: RequestContext, wanted: dict[str, int], required: list[str],
                   limit: int | None, with_traits: bool) -> dict[str, Any]:
        self.policy.enforce(rule("allocation_candidates:list"), ctx)
        return self.db.read(lambda s: _candidates(s, wanted, required, limit, with_traits))


def _write_all(s: Session, writes: list[ConsumerWrite]) -> None:
    for w in writes:
        claims.replace_allocations(s, w.consumer, w.allocations, w.project_id, w.user_id,
                                   consumer_generation=w.consumer_generation,
                                   check_consumer=w.check_generation)


def _consumer_allocations(s: Session, consumer: str) -> dict[str, Any]:
    out: dict[str, Any] = {"allocations": {}}
    for a in s.scalars(sa.select(pm.Allocation).where(pm.Allocation.consumer_uuid == consumer)):
        rp = provider(s, a.provider_uuid)
        entry = out["allocations"].setdefault(a.provider_uuid, {
            "resources": {}, "generation": rp.generation})
        entry["resources"][a.resource_class] = a.used
        out["project_id"], out["user_id"] = a.project_id, a.user_id
    c = s.get(pm.Consumer, consumer)
    out["consumer_generation"] = c.generation if c is not None else None
    return out


def _candidates(s: Session, wanted: dict[str, int], required: list[str], limit: int | None,
                with_traits: bool) -> dict[str, Any]:
    invs, used = claims.all_inventories(s), claims.all_usages(s)
    traits: dict[str, set[str]] = {}
    for pt in s.scalars(sa.select(pm.ProviderTrait)):
        traits.setdefault(pt.provider_uuid, set()).add(pt.trait)
    known = all_traits(s)
    unknown = [t.lstrip("!") for t in required if t.lstrip("!") not in known]
    if unknown:
        raise BadRequest(f"No such trait(s): {', '.join(unknown)}")
    reqs, summaries = [], {}
    for rp in s.scalars(sa.select(pm.ResourceProvider).order_by(pm.ResourceProvider.id)):
        have = traits.get(rp.uuid, set())
        if not claims.fits(invs.get(rp.uuid, {}), used.get(rp.uuid, {}), wanted):
            continue
        if any(t not in have for t in required if not t.startswith("!")) or \
                any(t[1:] in have for t in required if t.startswith("!")):
            continue
        reqs.append({"allocations": {rp.uuid: {"resources": dict(wanted)}}})
        summary = {rc: {"capacity": int(claims.capacity(inv)),
                        "used": used.get(rp.uuid, {}).get(rc, 0)}
                   for rc, inv in invs.get(rp.uuid, {}).items()}
        summaries[rp.uuid] = {"resources": summary}
        if with_traits:
            summaries[rp.uuid]["traits"] = sorted(have)
        if limit and len(reqs) >= limit:
            break
    return {"allocation_requests": reqs, "provider_summaries": summaries}

"""The Placement API under ``/placement``: resource providers, inventories, usages,
allocations, allocation candidates, traits and resource classes — reading and writing the
same tables the scheduler claims against."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.db import new_id, utcnow
from onestack.core.errors import BadRequest, Conflict, NotFound
from onestack.core.http import Call, Reply, RouteTable
from onestack.core.platform import Platform
from onestack.placement import models as pm
from onestack.placement import service as svc
from onestack.placement.api import microversion as mv

INVENTORY_FIELDS = ("total", "reserved", "min_unit", "max_unit", "step_size",
                    "allocation_ratio")
RULES = [("placement:admin", "role:admin or role:service")]


class ConcurrentUpdate(Conflict):
    code = "placement.concurrent_update"


def _version_check(call: Call, minimum: tuple[int, int]) -> None:
    if mv.negotiate(call) < minimum:
        raise NotFound("The resource could not be found.")


def routes(platform: Platform) -> RouteTable:
    platform.policy.register(RULES)
    db = platform.db
    r = RouteTable()

    def reply(call: Call, status: int = 200, body: Any = None,
              extra: dict[str, str] | None = None) -> Reply:
        h = mv.headers(mv.negotiate(call))
        h.update(extra or {})
        return Reply(status, body, h)

    def admin(call: Call) -> tuple[int, int]:
        platform.policy.enforce("placement:admin", call.ctx)
        return mv.negotiate(call)

    def provider(s: Session, uuid: str) -> pm.ResourceProvider:
        rp = s.scalar(sa.select(pm.ResourceProvider).where(pm.ResourceProvider.uuid == uuid))
        if rp is None:
            raise NotFound(f"No resource provider with uuid {uuid} found")
        return rp

    def rp_view(call: Call, rp: pm.ResourceProvider, version: tuple[int, int]) -> dict:
        base = f"/placement/resource_providers/{rp.uuid}"
        links = [{"rel": "self", "href": base},
                 {"rel": "inventories", "href": base + "/inventories"},
                 {"rel": "usages", "href": base + "/usages"}]
        body = {"uuid": rp.uuid, "name": rp.name, "generation": rp.generation, "links": links}
        if version >= (1, 14):
            body["parent_provider_uuid"] = rp.parent_uuid
            body["root_provider_uuid"] = rp.root_uuid or rp.uuid
        return body

    def bump(s: Session, rp: pm.ResourceProvider, expected: int | None) -> None:
        if expected is not None and expected != rp.generation:
            raise ConcurrentUpdate("resource provider generation conflict")
        rp.generation += 1
        rp.updated_at = utcnow()

    @r.get("", auth=False)
    @r.get("/", auth=False)
    def root(call: Call) -> Reply:
        return Reply(200, {"versions": [{
            "id": "v1.0", "max_version": f"{mv.MAX[0]}.{mv.MAX[1]}",
            "min_version": f"{mv.MIN[0]}.{mv.MIN[1]}", "status": "CURRENT",
            "links": [{"rel": "self", "href": ""}]}]})

    # --- resource providers -------------------------------------------------
    @r.get("/resource_providers")
    def list_providers(call: Call) -> Reply:
        version = admin(call)

        def work(s: Session) -> list[dict]:
            q = sa.select(pm.ResourceProvider)
            if call.q("name"):
                q = q.where(pm.ResourceProvider.name == call.q("name"))
            if call.q("uuid"):
                q = q.where(pm.ResourceProvider.uuid == call.q("uuid"))
            if call.q("in_tree"):
                q = q.where(pm.ResourceProvider.root_uuid == call.q("in_tree"))
            rows = list(s.scalars(q.order_by(pm.ResourceProvider.id)))
            wanted = parse_resources(call.q("resources")) if call.q("resources") else None
            if wanted:
                inv = svc.all_inventories(s)
                used = svc.all_usages(s)
                rows = [rp for rp in rows if svc.fits(inv.get(rp.uuid, {}),
                                                      used.get(rp.uuid, {}), wanted)]
            return [rp_view(call, rp, version) for rp in rows]
        return reply(call, 200, {"resource_providers": db.read(work)})

    @r.post("/resource_providers")
    def create_provider(call: Call) -> Reply:
        version = admin(call)
        body = call.body()
        name = body.get("name")
        if not isinstance(name, str) or not name or len(name) > 200:
            raise BadRequest("'name' is a required property of at most 200 characters")
        uuid = body.get("uuid") or new_id()
        parent = body.get("parent_provider_uuid")

        def work(s: Session) -> dict:
            if s.scalar(sa.select(pm.ResourceProvider.id).where(sa.or_(
                    pm.ResourceProvider.uuid == uuid, pm.ResourceProvider.name == name))):
                raise Conflict(f"Conflicting resource provider name: {name} already exists.")
            root_uuid = uuid
            if parent:
                root_uuid = provider(s, parent).root_uuid or parent
            rp = pm.ResourceProvider(uuid=uuid, name=name, generation=0, parent_uuid=parent,
                                     root_uuid=root_uuid, created_at=utcnow(),
                                     updated_at=utcnow())
            s.add(rp)
            s.flush()
            return rp_view(call, rp, version)
        view = db.write(work)
        location = {"Location": f"/placement/resource_providers/{uuid}"}
        if version >= (1, 20):
            return reply(call, 200, view, location)
        return reply(call, 201, None, location)

    @r.get("/resource_providers/{uuid}")
    def show_provider(call: Call) -> Reply:
        version = admin(call)
        return reply(call, 200, db.read(lambda s: rp_view(call, provider(s, call.params["uuid"]),
                                                          version)))

    @r.put("/resource_providers/{uuid}")
    def update_provider(call: Call) -> Reply:
        version = admin(call)
        body = call.body()

        def work(s: Session) -> dict:
            rp = provider(s, call.params["uuid"])
            if "name" in body:
                if not isinstance(body["name"], str) or not body["name"]:
                    raise BadRequest("'name' must be a non-empty string")
                rp.name = body["name"]
            if "parent_provider_uuid" in body and body["parent_provider_uuid"] != rp.parent_uuid:
                if rp.parent_uuid is not None:
                    raise BadRequest("Re-parenting a provider is not allowed.")
                rp.parent_uuid = body["parent_provider_uuid"]
            rp.updated_at = utcnow()
            return rp_view(call, rp, version)
        return reply(call, 200, db.write(work))

    @r.delete("/resource_providers/{uuid}")
    def delete_provider(call: Call) -> Reply:
        admin(call)

        def work(s: Session) -> None:
            rp = provider(s, call.params["uuid"])
            if s.scalar(sa.select(pm.Allocation.consumer_uuid).where(
                    pm.Allocation.provider_uuid == rp.uuid).limit(1)):
                raise Conflict(f"Unable to delete resource provider {rp.uuid}: it has "
                               "allocations.")
            if s.scalar(sa.select(pm.ResourceProvider.id).where(
                    pm.ResourceProvider.parent_uuid == rp.uuid).limit(1)):
                raise Conflict(f"Unable to delete parent resource provider {rp.uuid}: "
                               "it has child resource providers.")
            s.delete(rp)
        db.write(work)
        return reply(call, 204)

    # --- inventories --------------------------------------------------------
    def inv_view(inv: pm.Inventory) -> dict[str, Any]:
        return {k: getattr(inv, k) for k in INVENTORY_FIELDS}

    def inventories_body(s: Session, rp: pm.ResourceProvider) -> dict:
        invs = s.scalars(sa.select(pm.Inventory).where(pm.Inventory.provider_uuid == rp.uuid))
        return {"resource_provider_generation": rp.generation,
                "inventories": {i.resource_class: inv_view(i) for i in invs}}

    def check_inventory(rc: str, fields: Any) -> dict[str, Any]:
        if not isinstance(fields, dict) or not isinstance(fields.get("total"), int):
            raise BadRequest(f"Inventory of {rc} needs an integer 'total'")
        out = {"total": fields["total"], "reserved": fields.get("reserved", 0),
               "min_unit": fields.get("min_unit", 1),
               "max_unit": fields.get("max_unit", fields["total"]),
               "step_size": fields.get("step_size", 1),
               "allocation_ratio": float(fields.get("allocation_ratio", 1.0))}
        if out["total"] < 1 or out["reserved"] > out["total"] or out["min_unit"] < 1 or \
                out["max_unit"] < out["min_unit"] or out["step_size"] < 1:
            raise BadRequest(f"Unable to update inventory for resource provider: invalid "
                             f"values for {rc}")
        return out

    def known_class(s: Session, rc: str) -> None:
        if rc not in svc.STANDARD_CLASSES and s.get(pm.CustomResourceClass, rc) is None:
            raise BadRequest(f"Unknown resource class in inventory for resource provider: {rc}")

    @r.get("/resource_providers/{uuid}/inventories")
    def list_inventories(call: Call) -> Reply:
        admin(call)
        return reply(call, 200, db.read(lambda s: inventories_body(
            s, provider(s, call.params["uuid"]))))

    @r.put("/resource_providers/{uuid}/inventories")
    def replace_inventories(call: Call) -> Reply:
        admin(call)
        body = call.body()
        invs = body.get("inventories")
        if not isinstance(invs, dict) or not isinstance(
                body.get("resource_provider_generation"), int):
            raise BadRequest("'inventories' and 'resource_provider_generation' are required")

        def work(s: Session) -> dict:
            rp = provider(s, call.params["uuid"])
            bump(s, rp, body["resource_provider_generation"])
            wanted = {}
            for rc, fields in invs.items():
                known_class(s, rc)
                wanted[rc] = check_inventory(rc, fields)
            used = svc.usages(s, rp.uuid)
            for rc, amount in used.items():
                if amount and rc not in wanted:
                    raise Conflict(f"Inventory for {rc} on resource provider {rp.uuid} in "
                                   "use.")
            s.execute(sa.delete(pm.Inventory).where(pm.Inventory.provider_uuid == rp.uuid))
            for rc, fields in wanted.items():
                s.add(pm.Inventory(provider_uuid=rp.uuid, resource_class=rc, **fields))
            s.flush()
            return inventories_body(s, rp)
        return reply(call, 200, db.write(work))

    @r.delete("/resource_providers/{uuid}/inventories")
    def delete_inventories(call: Call) -> Reply:
        version = admin(call)
        if version < (1, 5):
            raise NotFound("The resource could not be found.")

        def work(s: Session) -> None:
            rp = provider(s, call.params["uuid"])
            if any(svc.usages(s, rp.uuid).values()):
                raise Conflict("Inventory in use.")
            s.execute(sa.delete(pm.Inventory).where(pm.Inventory.provider_uuid == rp.uuid))
            bump(s, rp, None)
        db.write(work)
        return reply(call, 204)

    @r.get("/resource_providers/{uuid}/inventories/{rc}")
    def show_inventory(call: Call) -> Reply:
        admin(call)

        def work(s: Session) -> dict:
            rp = provider(s, call.params["uuid"])
            inv = s.get(pm.Inventory, (rp.uuid, call.params["rc"]))
            if inv is None:
                raise NotFound(f"No inventory of class {call.params['rc']} for {rp.uuid}")
            return {"resource_provider_generation": rp.generation, **inv_view(inv)}
        return reply(call, 200, db.read(work))

    @r.put("/resource_providers/{uuid}/inventories/{rc}")
    def update_inventory(call: Call) -> Reply:
        admin(call)
        body = call.body()
        rc = call.params["rc"]

        def work(s: Session) -> dict:
            rp = provider(s, call.params["uuid"])
            known_class(s, rc)
            fields = check_inventory(rc, body)
            bump(s, rp, body.get("resource_provider_generation"))
            inv = s.get(pm.Inventory, (rp.uuid, rc))
            if inv is None:
                inv = pm.Inventory(provider_uuid=rp.uuid, resource_class=rc, **fields)
                s.add(inv)
            else:
                for k, v in fields.items():
                    setattr(inv, k, v)
            return {"resource_provider_generation": rp.generation, **fields}
        return reply(call, 200, db.write(work))

    @r.delete("/resource_providers/{uuid}/inventories/{rc}")
    def delete_inventory(call: Call) -> Reply:
        admin(call)

        def work(s: Session) -> None:
            rp = provider(s, call.params["uuid"])
            inv = s.get(pm.Inventory, (rp.uuid, call.params["rc"]))
            if inv is None:
                raise NotFound(f"No inventory of class {call.params['rc']} found for delete")
            if svc.usages(s, rp.uuid).get(inv.resource_class):
                raise Conflict("Inventory in use.")
            s.delete(inv)
            bump(s, rp, None)
        db.write(work)
        return reply(call, 204)

    # --- usages, allocations ------------------------------------------------
    @r.get("/resource_providers/{uuid}/usages")
    def provider_usages(call: Call) -> Reply:
        admin(call)

        def work(s: Session) -> dict:
            rp = provider(s, call.params["uuid"])
            invs = s.scalars(sa.select(pm.Inventory.resource_class)
                             .where(pm.Inventory.provider_uuid == rp.uuid))
            usage = {rc: 0 for rc in invs}
            usage.update(svc.usages(s, rp.uuid))
            return {"resource_provider_generation": rp.generation, "usages": usage}
        return reply(call, 200, db.read(work))

    @r.get("/usages")
    def project_usages(call: Call) -> Reply:
        admin(call)
        project = call.q("project_id")
        if not project:
            raise BadRequest("'project_id' is a required parameter")

        def work(s: Session) -> dict:
            q = sa.select(pm.Allocation.resource_class, sa.func.sum(pm.Allocation.used)).where(
                pm.Allocation.project_id == project)
            if call.q("user_id"):
                q = q.where(pm.Allocation.user_id == call.q("user_id"))
            return {"usages": {rc: int(n or 0) for rc, n in
                               s.execute(q.group_by(pm.Allocation.resource_class))}}
        return reply(call, 200, db.read(work))

    @r.get("/resource_providers/{uuid}/allocations")
    def provider_allocations(call: Call) -> Reply:
        admin(call)

        def work(s: Session) -> dict:
            rp = provider(s, call.params["uuid"])
            out: dict[str, dict] = {}
            for a in s.scalars(sa.select(pm.Allocation).where(
                    pm.Allocation.provider_uuid == rp.uuid)):
                out.setdefault(a.consumer_uuid, {"resources": {}})["resources"][
                    a.resource_class] = a.used
            return {"resource_provider_generation": rp.generation, "allocations": out}
        return reply(call, 200, db.read(work))

    def consumer_allocations(s: Session, consumer: str, version: tuple[int, int]) -> dict:
        out: dict[str, Any] = {"allocations": {}}
        for a in s.scalars(sa.select(pm.Allocation).where(pm.Allocation.consumer_uuid == consumer)):
            rp = provider(s, a.provider_uuid)
            entry = out["allocations"].setdefault(a.provider_uuid, {
                "resources": {}, "generation": rp.generation})
            entry["resources"][a.resource_class] = a.used
            out["project_id"], out["user_id"] = a.project_id, a.user_id
        c = s.get(pm.Consumer, consumer)
        if version >= (1, 28) and c is not None:
            out["consumer_generation"] = c.generation
        if version < (1, 12):
            out.pop("project_id", None)
            out.pop("user_id", None)
        return out

    @r.get("/allocations/{consumer}")
    def show_allocations(call: Call) -> Reply:
        version = admin(call)
        return reply(call, 200, db.read(lambda s: consumer_allocations(
            s, call.params["consumer"], version)))

    def normalise(body: dict, version: tuple[int, int]) -> dict[str, dict[str, int]]:
        allocs = body.get("allocations")
        out: dict[str, dict[str, int]] = {}
        if isinstance(allocs, list) and version < (1, 12):
            for item in allocs:
                rp_uuid = (item.get("resource_provider") or {}).get("uuid")
                out[rp_uuid] = dict(item.get("resources") or {})
        elif isinstance(allocs, dict):
            for rp_uuid, item in allocs.items():
                out[rp_uuid] = dict((item or {}).get("resources") or {})
        else:
            raise BadRequest("'allocations' has the wrong format for this microversion")
        for resources in out.values():
            if not resources or not all(isinstance(v, int) and v > 0 for v in resources.values()):
                raise BadRequest("Each allocation needs positive integer resources")
        return out

    def write_allocations(s: Session, consumer: str, allocs: dict[str, dict[str, int]],
                          project: str, user: str, consumer_generation: Any,
                          version: tuple[int, int]) -> None:
        c = s.get(pm.Consumer, consumer)
        if version >= (1, 28):
            current = c.generation if c is not None else None
            if consumer_generation != current:
                raise ConcurrentUpdate("consumer generation conflict")
        s.execute(sa.delete(pm.Allocation).where(pm.Allocation.consumer_uuid == consumer))
        s.flush()
        touched = []
        for rp_uuid, resources in allocs.items():
            rp = provider(s, rp_uuid)
            invs = {i.resource_class: i for i in s.scalars(sa.select(pm.Inventory).where(
                pm.Inventory.provider_uuid == rp_uuid))}
            if not svc.fits(invs, svc.usages(s, rp_uuid), resources):
                raise Conflict(f"Unable to allocate inventory: unable to fit the request on "
                               f"resource provider {rp_uuid}")
            for rc, amount in resources.items():
                s.add(pm.Allocation(consumer_uuid=consumer, provider_uuid=rp_uuid,
                                    resource_class=rc, used=amount, project_id=project,
                                    user_id=user))
            touched.append(rp)
        if c is None and allocs:
            s.add(pm.Consumer(uuid=consumer, project_id=project, user_id=user, generation=1))
        elif c is not None:
            c.generation += 1
            if not allocs:
                s.delete(c)
        for rp in touched:
            bump(s, rp, None)

    @r.put("/allocations/{consumer}")
    def put_allocations(call: Call) -> Reply:
        version = admin(call)
        body = call.body()
        allocs = normalise(body, version)
        project, user = body.get("project_id", ""), body.get("user_id", "")
        if version >= (1, 8) and (not project or not user):
            raise BadRequest("'project_id' and 'user_id' are required")
        db.write(lambda s: write_allocations(s, call.params["consumer"], allocs, project, user,
                                             body.get("consumer_generation"), version))
        return reply(call, 204)

    @r.post("/allocations")
    def post_allocations(call: Call) -> Reply:
        version = admin(call)
        if version < (1, 13):
            raise NotFound("The resource could not be found.")
        body = call.body()

        def work(s: Session) -> None:
            for consumer, item in body.items():
                if not isinstance(item, dict):
                    raise BadRequest("Each consumer needs an object")
                write_allocations(s, consumer, normalise(item, version),
                                  item.get("project_id", ""), item.get("user_id", ""),
                                  item.get("consumer_generation"), version)
        db.write(work)
        return reply(call, 204)

    @r.delete("/allocations/{consumer}")
    def delete_allocations(call: Call) -> Reply:
        admin(call)

        def work(s: Session) -> None:
            if not s.scalar(sa.select(pm.Allocation.consumer_uuid).where(
                    pm.Allocation.consumer_uuid == call.params["consumer"]).limit(1)):
                raise NotFound(f"No allocations for consumer '{call.params['consumer']}'")
            svc.release(s, call.params["consumer"])
        db.write(work)
        return reply(call, 204)

    @r.get("/allocation_candidates")
    def candidates(call: Call) -> Reply:
        version = admin(call)
        if version < (1, 10):
            raise NotFound("The resource could not be found.")
        wanted = parse_resources(call.q("resources") or "")
        required = [t for t in (call.q("required") or "").split(",") if t]
        limit = int(call.q("limit")) if call.q("limit") else None

        def work(s: Session) -> dict:
            invs = svc.all_inventories(s)
            used = svc.all_usages(s)
            traits: dict[str, set[str]] = {}
            for pt in s.scalars(sa.select(pm.ProviderTrait)):
                traits.setdefault(pt.provider_uuid, set()).add(pt.trait)
            reqs, summaries = [], {}
            for rp in s.scalars(sa.select(pm.ResourceProvider).order_by(pm.ResourceProvider.id)):
                have = traits.get(rp.uuid, set())
                if not svc.fits(invs.get(rp.uuid, {}), used.get(rp.uuid, {}), wanted):
                    continue
                if any(t not in have for t in required if not t.startswith("!")) or \
                        any(t[1:] in have for t in required if t.startswith("!")):
                    continue
                reqs.append({"allocations": {rp.uuid: {"resources": dict(wanted)}}})
                summary = {rc: {"capacity": int(svc.capacity(inv)),
                                "used": used.get(rp.uuid, {}).get(rc, 0)}
                           for rc, inv in invs.get(rp.uuid, {}).items()}
                summaries[rp.uuid] = {"resources": summary}
                if version >= (1, 17):
                    summaries[rp.uuid]["traits"] = sorted(have)
                if limit and len(reqs) >= limit:
                    break
            return {"allocation_requests": reqs, "provider_summaries": summaries}
        return reply(call, 200, db.read(work))

    _traits_and_classes(r, platform, reply, admin, provider, bump)
    return r


def parse_resources(raw: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for part in (p for p in raw.split(",") if p):
        rc, _, amount = part.partition(":")
        try:
            out[rc.strip()] = int(amount)
        except ValueError as exc:
            raise BadRequest(f"Badly formed resources parameter: {part}") from exc
    if not out and raw:
        raise BadRequest("Badly formed resources parameter.")
    return out


def _traits_and_classes(r: RouteTable, platform: Platform, reply, admin, provider,
                        bump) -> None:
    db = platform.db
    standard_traits = {"COMPUTE_STATUS_DISABLED", "HW_CPU_X86_AVX2", "HW_CPU_X86_SSE42",
                       "COMPUTE_NET_ATTACH_INTERFACE", "COMPUTE_VOLUME_ATTACH",
                       "STORAGE_DISK_SSD", "COMPUTE_IMAGE_TYPE_QCOW2", "COMPUTE_IMAGE_TYPE_RAW"}

    def all_traits(s: Session) -> set[str]:
        return standard_traits | set(s.scalars(sa.select(pm.CustomTrait.name)))

    @r.get("/traits")
    def list_traits(call: Call) -> Reply:
        admin(call)
        names = sorted(db.read(all_traits))
        flt = call.q("name")
        if flt and flt.startswith("startswith:"):
            names = [n for n in names if n.startswith(flt[len("startswith:"):])]
        elif flt and flt.startswith("in:"):
            wanted = set(flt[3:].split(","))
            names = [n for n in names if n in wanted]
        return reply(call, 200, {"traits": names})

    @r.get("/traits/{name}")
    def show_trait(call: Call) -> Reply:
        admin(call)
        if call.params["name"] not in db.read(all_traits):
            raise NotFound(f"No such trait(s): {call.params['name']}")
        return reply(call, 204)

    @r.put("/traits/{name}")
    def put_trait(call: Call) -> Reply:
        admin(call)
        name = call.params["name"]
        if not name.startswith("CUSTOM_"):
            raise BadRequest("The trait is invalid. A valid trait must be prefixed with "
                             "'CUSTOM_'.")

        def work(s: Session) -> int:
            if s.get(pm.CustomTrait, name) is not None:
                return 204
            s.add(pm.CustomTrait(name=name))
            return 201
        status = db.write(work)
        return reply(call, status, None, {"Location": f"/placement/traits/{name}"})

    @r.delete("/traits/{name}")
    def delete_trait(call: Call) -> Reply:
        admin(call)
        name = call.params["name"]

        def work(s: Session) -> None:
            row = s.get(pm.CustomTrait, name)
            if row is None:
                raise NotFound(f"No such trait(s): {name}")
            if s.scalar(sa.select(pm.ProviderTrait.trait).where(pm.ProviderTrait.trait == name)
                        .limit(1)):
                raise Conflict(f"The trait {name} is in use by a resource provider.")
            s.delete(row)
        db.write(work)
        return reply(call, 204)

    @r.get("/resource_providers/{uuid}/traits")
    def provider_traits(call: Call) -> Reply:
        admin(call)

        def work(s: Session) -> dict:
            rp = provider(s, call.params["uuid"])
            return {"resource_provider_generation": rp.generation, "traits": sorted(
                s.scalars(sa.select(pm.ProviderTrait.trait).where(
                    pm.ProviderTrait.provider_uuid == rp.uuid)))}
        return reply(call, 200, db.read(work))

    @r.put("/resource_providers/{uuid}/traits")
    def set_provider_traits(call: Call) -> Reply:
        admin(call)
        body = call.body()
        traits = body.get("traits")
        if not isinstance(traits, list) or not isinstance(
                body.get("resource_provider_generation"), int):
            raise BadRequest("'traits' and 'resource_provider_generation' are required")

        def work(s: Session) -> dict:
            rp = provider(s, call.params["uuid"])
            unknown = [t for t in traits if t not in all_traits(s)]
            if unknown:
                raise BadRequest(f"No such trait(s): {', '.join(unknown)}")
            bump(s, rp, body["resource_provider_generation"])
            s.execute(sa.delete(pm.ProviderTrait).where(pm.ProviderTrait.provider_uuid == rp.uuid))
            for t in dict.fromkeys(traits):
                s.add(pm.ProviderTrait(provider_uuid=rp.uuid, trait=t))
            return {"resource_provider_generation": rp.generation, "traits": sorted(set(traits))}
        return reply(call, 200, db.write(work))

    @r.delete("/resource_providers/{uuid}/traits")
    def clear_provider_traits(call: Call) -> Reply:
        admin(call)

        def work(s: Session) -> None:
            rp = provider(s, call.params["uuid"])
            s.execute(sa.delete(pm.ProviderTrait).where(pm.ProviderTrait.provider_uuid == rp.uuid))
            bump(s, rp, None)
        db.write(work)
        return reply(call, 204)

    @r.get("/resource_providers/{uuid}/aggregates")
    def provider_aggregates(call: Call) -> Reply:
        admin(call)

        def work(s: Session) -> dict:
            rp = provider(s, call.params["uuid"])
            return {"resource_provider_generation": rp.generation, "aggregates": sorted(
                s.scalars(sa.select(pm.ProviderAggregate.aggregate_uuid).where(
                    pm.ProviderAggregate.provider_uuid == rp.uuid)))}
        return reply(call, 200, db.read(work))

    @r.put("/resource_providers/{uuid}/aggregates")
    def set_provider_aggregates(call: Call) -> Reply:
        version = admin(call)
        body = call.body()
        aggs = body.get("aggregates") if isinstance(body, dict) and version >= (1, 19) else body
        if not isinstance(aggs, list):
            raise BadRequest("'aggregates' must be a list")

        def work(s: Session) -> dict:
            rp = provider(s, call.params["uuid"])
            if version >= (1, 19):
                bump(s, rp, body.get("resource_provider_generation"))
            s.execute(sa.delete(pm.ProviderAggregate).where(
                pm.ProviderAggregate.provider_uuid == rp.uuid))
            for a in dict.fromkeys(aggs):
                s.add(pm.ProviderAggregate(provider_uuid=rp.uuid, aggregate_uuid=a))
            return {"resource_provider_generation": rp.generation, "aggregates": sorted(set(aggs))}
        return reply(call, 200, db.write(work))

    # --- resource classes ---------------------------------------------------
    def rc_view(name: str) -> dict:
        return {"name": name, "links": [{"rel": "self",
                                         "href": f"/placement/resource_classes/{name}"}]}

    @r.get("/resource_classes")
    def list_classes(call: Call) -> Reply:
        admin(call)
        custom = db.read(lambda s: list(s.scalars(sa.select(pm.CustomResourceClass.name))))
        return reply(call, 200, {"resource_classes": [rc_view(n) for n in
                                                       svc.STANDARD_CLASSES + sorted(custom)]})

    @r.post("/resource_classes")
    def create_class(call: Call) -> Reply:
        admin(call)
        name = call.body().get("name")
        if not isinstance(name, str) or not name.startswith("CUSTOM_"):
            raise BadRequest("Resource class names must be strings starting with 'CUSTOM_'.")

        def work(s: Session) -> None:
            if s.get(pm.CustomResourceClass, name) is not None:
                raise Conflict(f"Conflicting resource class already exists: {name}")
            s.add(pm.CustomResourceClass(name=name))
        db.write(work)
        return reply(call, 201, None, {"Location": f"/placement/resource_classes/{name}"})

    @r.get("/resource_classes/{name}")
    def show_class(call: Call) -> Reply:
        admin(call)
        name = call.params["name"]
        if name not in svc.STANDARD_CLASSES and db.read(
                lambda s: s.get(pm.CustomResourceClass, name)) is None:
            raise NotFound(f"No such resource class {name}.")
        return reply(call, 200, rc_view(name))

    @r.put("/resource_classes/{name}")
    def put_class(call: Call) -> Reply:
        version = admin(call)
        name = call.params["name"]
        if version < (1, 7):
            raise BadRequest("Updating a resource class needs microversion 1.7.")
        if not name.startswith("CUSTOM_"):
            raise BadRequest("Resource class names must start with 'CUSTOM_'.")

        def work(s: Session) -> int:
            if s.get(pm.CustomResourceClass, name) is not None:
                return 204
            s.add(pm.CustomResourceClass(name=name))
            return 201
        return reply(call, db.write(work), None,
                     {"Location": f"/placement/resource_classes/{name}"})

    @r.delete("/resource_classes/{name}")
    def delete_class(call: Call) -> Reply:
        admin(call)
        name = call.params["name"]
        if name in svc.STANDARD_CLASSES:
            raise BadRequest(f"Cannot delete standard resource class {name}")

        def work(s: Session) -> None:
            row = s.get(pm.CustomResourceClass, name)
            if row is None:
                raise NotFound(f"No such resource class {name}.")
            if s.scalar(sa.select(pm.Inventory.resource_class).where(
                    pm.Inventory.resource_class == name).limit(1)):
                raise Conflict(f"Unable to delete resource class {name}: it is in use.")
            s.delete(row)
        db.write(work)
        return reply(call, 204)

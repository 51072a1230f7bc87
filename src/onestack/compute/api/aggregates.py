"""Host aggregates (``os-aggregates``): CRUD and the add_host / remove_host / set_metadata
actions. An aggregate's ``availability_zone`` metadata puts its hosts in that zone
(``records.host_zones``), so a host may not sit in two aggregates that name different zones,
and a host with servers may not change zone."""
from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.compute import models as cm
from onestack.compute import records, schemas
from onestack.compute.api import params
from onestack.compute.api.common import Compute, iso_micro
from onestack.core.db import utcnow
from onestack.core.errors import BadRequest, Conflict, NotFound
from onestack.core.http import Call, Reply, RouteTable

ADMIN = "role:admin"
RULES = [(f"os_compute_api:os-aggregates:{name}", ADMIN) for name in (
    "index", "create", "show", "update", "delete", "add_host", "remove_host",
    "set_metadata")]
AZ_KEY = "availability_zone"
_AZ = {"type": ["string", "null"], "minLength": 1, "maxLength": 255,
       "pattern": r"^(?!\s)[^:]*(?<!\s)$"}
CREATE = {"type": "object", "properties": {"aggregate": {
    "type": "object", "properties": {"name": params.NAME, AZ_KEY: _AZ},
    "required": ["name"], "additionalProperties": False}},
    "required": ["aggregate"], "additionalProperties": False}
UPDATE = {"type": "object", "properties": {"aggregate": {
    "type": "object", "properties": {"name": params.NAME, AZ_KEY: _AZ},
    "anyOf": [{"required": ["name"]}, {"required": [AZ_KEY]}],
    "additionalProperties": False}},
    "required": ["aggregate"], "additionalProperties": False}
_HOST = {"type": "object", "properties": {"host": params.NAME}, "required": ["host"],
         "additionalProperties": False}
_METADATA = {"type": "object", "properties": {"metadata": {
    "type": "object", "patternProperties": {params.METADATA_KEY: {
        "type": ["string", "null"], "maxLength": 255}},
    "additionalProperties": False}}, "required": ["metadata"], "additionalProperties": False}
ACTION = {"type": "object", "properties": {"add_host": _HOST, "remove_host": _HOST,
                                           "set_metadata": _METADATA},
          "minProperties": 1, "maxProperties": 1, "additionalProperties": False}


def aggregate_view(agg: cm.Aggregate, version: tuple[int, int],
                   full: bool = True) -> dict[str, Any]:
    """``full`` adds hosts and metadata (the create answer has neither)."""
    meta = dict(agg.metadata_ or {})
    out: dict[str, Any] = {"id": agg.id, "name": agg.name,
                           "availability_zone": meta.get(AZ_KEY),
                           "created_at": iso_micro(agg.created_at),
                           "updated_at": iso_micro(agg.updated_at),
                           "deleted": False, "deleted_at": None}
    if full:
        out["hosts"] = list(agg.hosts or [])
        out["metadata"] = meta
    if version >= (2, 41):
        out["uuid"] = agg.uuid
    return out


def zone_conflicts(s: Session, agg: cm.Aggregate, hosts: list[str],
                   zone: str | None) -> list[str]:
    """The zones other aggregates put ``hosts`` in that differ from ``zone``."""
    if not zone:
        return []
    found: set[str] = set()
    for other in s.scalars(sa.select(cm.Aggregate).where(cm.Aggregate.id != agg.id)):
        other_zone = (other.metadata_ or {}).get(AZ_KEY)
        if other_zone and other_zone != zone and set(hosts) & set(other.hosts or []):
            found.add(other_zone)
    return sorted(found)


def hosts_with_servers(s: Session, hosts: list[str], zone: str | None) -> list[str]:
    """Hosts whose servers would change zone if the hosts moved to ``zone``."""
    if not hosts:
        return []
    rows = s.execute(sa.select(cm.Instance.host, cm.Instance.availability_zone).where(
        cm.Instance.host.in_(hosts), cm.Instance.deleted.is_(False)))
    return sorted({h for h, az in rows if (az or None) != (zone or None)})


def routes(compute: Compute) -> RouteTable:
    r = RouteTable()
    base = "/v2.1/os-aggregates"

    def get(s: Session, raw: str) -> cm.Aggregate:
        try:
            agg_id = int(raw)
        except ValueError as exc:
            raise BadRequest(f"Invalid aggregate id {raw}: id must be an integer.") from exc
        agg = s.get(cm.Aggregate, agg_id) if -2**31 <= agg_id < 2**31 else None
        if agg is None:
            raise NotFound(f"Aggregate {raw} could not be found.")
        return agg

    def unique_name(s: Session, name: str, agg_id: int | None = None) -> None:
        q = sa.select(cm.Aggregate.id).where(cm.Aggregate.name == name)
        if agg_id is not None:
            q = q.where(cm.Aggregate.id != agg_id)
        if s.scalar(q) is not None:
            raise Conflict(f"Aggregate {name} already exists.")

    def change_zone(s: Session, agg: cm.Aggregate, zone: str | None) -> None:
        """Set (or clear) the aggregate's zone; 400 when its hosts cannot follow."""
        hosts = list(agg.hosts or [])
        clash = zone_conflicts(s, agg, hosts, zone)
        if clash:
            raise BadRequest(f"Cannot update aggregate {agg.id}. Reason: One or more hosts "
                             f"already in availability zone(s) {clash}.")
        if (agg.metadata_ or {}).get(AZ_KEY) != zone and \
                hosts_with_servers(s, hosts, zone):
            raise BadRequest(f"Cannot update aggregate {agg.id}. Reason: One or more hosts "
                             "contain instances in this zone.")
        meta = dict(agg.metadata_ or {})
        if zone:
            meta[AZ_KEY] = zone
        else:
            meta.pop(AZ_KEY, None)
        agg.metadata_ = meta

    @r.get(base)
    def index(call: Call) -> Reply:
        v = compute.version(call)
        compute.enforce(call, "os_compute_api:os-aggregates:index")
        rows = compute.read(lambda s: list(s.scalars(
            sa.select(cm.Aggregate).order_by(cm.Aggregate.id))))
        return compute.reply(call, 200, {"aggregates": [aggregate_view(a, v) for a in rows]})

    @r.post(base)
    def create(call: Call) -> Reply:
        v = compute.version(call)
        compute.enforce(call, "os_compute_api:os-aggregates:create")
        body = schemas.validate(CREATE, call.body())["aggregate"]

        def work(s: Session) -> cm.Aggregate:
            unique_name(s, body["name"])
            meta = {AZ_KEY: body[AZ_KEY]} if body.get(AZ_KEY) else {}
            agg = cm.Aggregate(uuid=str(uuid.uuid4()), name=body["name"], hosts=[],
                               metadata_=meta, created_at=utcnow(), updated_at=None)
            s.add(agg)
            s.flush()
            return agg
        agg = compute.write(work)
        return compute.reply(call, 200, {"aggregate": aggregate_view(agg, v, full=False)})

    @r.get(base + "/{aggregate_id}")
    def show(call: Call) -> Reply:
        v = compute.version(call)
        compute.enforce(call, "os_compute_api:os-aggregates:show")
        agg = compute.read(lambda s: get(s, call.params["aggregate_id"]))
        return compute.reply(call, 200, {"aggregate": aggregate_view(agg, v)})

    @r.put(base + "/{aggregate_id}")
    def update(call: Call) -> Reply:
        v = compute.version(call)
        compute.enforce(call, "os_compute_api:os-aggregates:update")
        body = schemas.validate(UPDATE, call.body())["aggregate"]

        def work(s: Session) -> cm.Aggregate:
            agg = get(s, call.params["aggregate_id"])
            if "name" in body:
                unique_name(s, body["name"], agg.id)
                agg.name = body["name"]
            if AZ_KEY in body:
                change_zone(s, agg, body[AZ_KEY])
            agg.updated_at = utcnow()
            return agg
        agg = compute.write(work)
        return compute.reply(call, 200, {"aggregate": aggregate_view(agg, v)})

    @r.delete(base + "/{aggregate_id}")
    def delete(call: Call) -> Reply:
        compute.enforce(call, "os_compute_api:os-aggregates:delete")

        def work(s: Session) -> None:
            agg = get(s, call.params["aggregate_id"])
            if agg.hosts:
                raise BadRequest(f"Cannot remove aggregate {agg.id}. Reason: Host aggregate "
                                 "is not empty.")
            s.delete(agg)
        compute.write(work)
        return compute.reply(call, 200)

    @r.post(base + "/{aggregate_id}/action")
    def action(call: Call) -> Reply:
        v = compute.version(call)
        body = call.body()
        name = next(iter(body), "")
        if name in ("add_host", "remove_host", "set_metadata"):
            compute.enforce(call, f"os_compute_api:os-aggregates:{name}")
        else:
            compute.enforce(call, "os_compute_api:os-aggregates:update")
        body = schemas.validate(ACTION, body)
        handler = {"add_host": add_host, "remove_host": remove_host,
                   "set_metadata": set_metadata}[name]

        def work(s: Session) -> cm.Aggregate:
            agg = get(s, call.params["aggregate_id"])
            handler(s, agg, body[name])
            agg.updated_at = utcnow()
            return agg
        agg = compute.write(work)
        return compute.reply(call, 200, {"aggregate": aggregate_view(agg, v)})

    def known_host(s: Session, host: str) -> None:
        if s.scalar(sa.select(cm.ComputeHost.id).where(cm.ComputeHost.host == host)) is None:
            raise NotFound(f"Compute host {host} could not be found.")

    def add_host(s: Session, agg: cm.Aggregate, body: dict[str, Any]) -> None:
        host = body["host"]
        known_host(s, host)
        if host in (agg.hosts or []):
            raise Conflict(f"Aggregate {agg.id} already has host {host}.")
        zone = (agg.metadata_ or {}).get(AZ_KEY)
        clash = zone_conflicts(s, agg, [host], zone)
        if clash:
            raise Conflict(f"Cannot add host to aggregate {agg.id}. Reason: One or more hosts "
                           f"already in availability zone(s) {clash}.")
        if zone and records.host_zones(s).get(host) != zone and \
                hosts_with_servers(s, [host], zone):
            raise Conflict(f"Cannot add host to aggregate {agg.id}. Reason: Host {host} has "
                           "servers in another availability zone.")
        agg.hosts = list(agg.hosts or []) + [host]

    def remove_host(s: Session, agg: cm.Aggregate, body: dict[str, Any]) -> None:
        host = body["host"]
        known_host(s, host)
        if host not in (agg.hosts or []):
            raise NotFound(f"Aggregate {agg.id} has no host {host}.")
        zone = (agg.metadata_ or {}).get(AZ_KEY)
        remaining = list(agg.hosts)
        remaining.remove(host)
        agg.hosts = remaining
        s.flush()
        if zone and records.host_zones(s).get(host) != zone and \
                s.scalar(sa.select(sa.func.count()).select_from(cm.Instance).where(
                    cm.Instance.host == host, cm.Instance.deleted.is_(False))):
            raise Conflict(f"Cannot remove host {host} from aggregate {agg.id}. Reason: Host "
                           "has servers in the aggregate's availability zone.")

    def set_metadata(s: Session, agg: cm.Aggregate, body: dict[str, Any]) -> None:
        meta = dict(agg.metadata_ or {})
        changes = body["metadata"]
        if AZ_KEY in changes:
            change_zone(s, agg, changes[AZ_KEY])
            meta[AZ_KEY] = changes[AZ_KEY]
        for key, value in changes.items():
            if value is None:
                meta.pop(key, None)
            else:
                meta[key] = value
        agg.metadata_ = meta

    return r

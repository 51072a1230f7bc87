"""Host aggregate use cases: CRUD and the add_host / remove_host / set_metadata actions.
An aggregate's ``availability_zone`` metadata puts its hosts in that zone
(``records.host_zones``), so a host may not sit in two aggregates that name different zones,
and a host with servers may not change zone."""
from __future__ import annotations

import uuid
from typing import Any, Callable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.compute import models as cm
from onestack.compute import records
from onestack.compute.service.deps import ResourceDeps
from onestack.core.context import RequestContext
from onestack.core.db import utcnow
from onestack.core.errors import BadRequest, Conflict, NotFound

RULE = "os_compute_api:os-aggregates:"
AZ_KEY = "availability_zone"
ACTIONS = ("add_host", "remove_host", "set_metadata")


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


def _get(s: Session, raw: str) -> cm.Aggregate:
    """The aggregate named by the path's id; 400 when it is not an integer."""
    try:
        agg_id = int(raw)
    except ValueError as exc:
        raise BadRequest(f"Invalid aggregate id {raw[:64]}: id must be an integer.") from exc
    agg = s.get(cm.Aggregate, agg_id) if -2**31 <= agg_id < 2**31 else None
    if agg is None:
        raise NotFound(f"Aggregate {raw[:64]} could not be found.")
    return agg


def _unique_name(s: Session, name: str, agg_id: int | None = None) -> None:
    q = sa.select(cm.Aggregate.id).where(cm.Aggregate.name == name)
    if agg_id is not None:
        q = q.where(cm.Aggregate.id != agg_id)
    if s.scalar(q) is not None:
        raise Conflict(f"Aggregate {name} already exists.")


def _change_zone(s: Session, agg: cm.Aggregate, zone: str | None) -> None:
    """Set (or clear) the aggregate's zone; 400 when its hosts cannot follow."""
    hosts = list(agg.hosts or [])
    clash = zone_conflicts(s, agg, hosts, zone)
    if clash:
        raise BadRequest(f"Cannot update aggregate {agg.id}. Reason: One or more hosts "
                         f"already in availability zone(s) {clash}.")
    if (agg.metadata_ or {}).get(AZ_KEY) != zone and hosts_with_servers(s, hosts, zone):
        raise BadRequest(f"Cannot update aggregate {agg.id}. Reason: One or more hosts "
                         "contain instances in this zone.")
    meta = dict(agg.metadata_ or {})
    if zone:
        meta[AZ_KEY] = zone
    else:
        meta.pop(AZ_KEY, None)
    agg.metadata_ = meta


def list_aggregates(deps: ResourceDeps, ctx: RequestContext) -> list[cm.Aggregate]:
    deps.enforce(ctx, RULE + "index")
    return deps.read(lambda s: list(s.scalars(
        sa.select(cm.Aggregate).order_by(cm.Aggregate.id))))


def get_aggregate(deps: ResourceDeps, ctx: RequestContext, raw_id: str) -> cm.Aggregate:
    deps.enforce(ctx, RULE + "show")
    return deps.read(lambda s: _get(s, raw_id))


def create_aggregate(deps: ResourceDeps, ctx: RequestContext, name: str,
                     zone: str | None) -> cm.Aggregate:
    deps.enforce(ctx, RULE + "create")

    def work(s: Session) -> cm.Aggregate:
        _unique_name(s, name)
        agg = cm.Aggregate(uuid=str(uuid.uuid4()), name=name, hosts=[],
                           metadata_={AZ_KEY: zone} if zone else {}, created_at=utcnow(),
                           updated_at=None)
        s.add(agg)
        s.flush()
        return agg
    return deps.write(work)


def update_aggregate(deps: ResourceDeps, ctx: RequestContext, raw_id: str,
                     changes: dict[str, Any]) -> cm.Aggregate:
    """Rename and/or move to another zone (``changes``: ``name``, ``availability_zone``)."""
    deps.enforce(ctx, RULE + "update")

    def work(s: Session) -> cm.Aggregate:
        agg = _get(s, raw_id)
        if "name" in changes:
            _unique_name(s, changes["name"], agg.id)
            agg.name = changes["name"]
        if AZ_KEY in changes:
            _change_zone(s, agg, changes[AZ_KEY])
        agg.updated_at = utcnow()
        return agg
    return deps.write(work)


def delete_aggregate(deps: ResourceDeps, ctx: RequestContext, raw_id: str) -> None:
    deps.enforce(ctx, RULE + "delete")

    def work(s: Session) -> None:
        agg = _get(s, raw_id)
        if agg.hosts:
            raise BadRequest(f"Cannot remove aggregate {agg.id}. Reason: Host aggregate "
                             "is not empty.")
        s.delete(agg)
    deps.write(work)


def authorize_action(deps: ResourceDeps, ctx: RequestContext, action: str) -> None:
    """An action's own rule (an unknown action is checked as an update, then refused by
    the schema)."""
    deps.enforce(ctx, RULE + (action if action in ACTIONS else "update"))


def run_action(deps: ResourceDeps, ctx: RequestContext, raw_id: str, action: str,
               body: dict[str, Any]) -> cm.Aggregate:
    authorize_action(deps, ctx, action)
    step: Callable[[Session, cm.Aggregate, dict[str, Any]], None] = {
        "add_host": add_host, "remove_host": remove_host, "set_metadata": set_metadata}[action]

    def work(s: Session) -> cm.Aggregate:
        agg = _get(s, raw_id)
        step(s, agg, body)
        agg.updated_at = utcnow()
        return agg
    return deps.write(work)


def _known_host(s: Session, host: str) -> None:
    if s.scalar(sa.select(cm.ComputeHost.id).where(cm.ComputeHost.host == host)) is None:
        raise NotFound(f"Compute host {host} could not be found.")


def add_host(s: Session, agg: cm.Aggregate, body: dict[str, Any]) -> None:
    host = body["host"]
    _known_host(s, host)
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
    _known_host(s, host)
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
        _change_zone(s, agg, changes[AZ_KEY])
        meta[AZ_KEY] = changes[AZ_KEY]
    for key, value in changes.items():
        if value is None:
            meta.pop(key, None)
        else:
            meta[key] = value
    agg.metadata_ = meta

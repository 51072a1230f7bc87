"""The operator's views of the Block Storage deployment: ``os-services``,
``os-availability-zone``, ``os-hosts``, ``scheduler-stats/get_pools`` and
``capabilities/{host}``.

What is listed comes from two tables: the backends the volume agents register and
heartbeat (``volume_backends``: one ``cinder-volume`` service per ``host@backend``, one
pool per row) and ``volume_services`` (``cinder-scheduler``, ``cinder-backup``). The
scheduler runs inside every API process (volumes are placed in the API's transaction),
so an API process registers its own ``cinder-scheduler`` row the first time it is asked
about services, and refreshes that row's heartbeat whenever it answers such a question
(at most every ``SCHEDULER_BEAT``): the API answering is the scheduler being up.

A service is ``up`` while its heartbeat is younger than ``DOWN_AFTER`` (Cinder's
``service_down_time``, 60 s, the same window the scheduler uses for backends).
"""
from __future__ import annotations

import socket
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.context import RequestContext
from onestack.core.db import utcnow
from onestack.core.errors import BadRequest, NotFound
from onestack.core.platform import Platform
from onestack.volume.models.backends import Backend, Service

SCHEDULER = "cinder-scheduler"
VOLUME = "cinder-volume"
BACKUP = "cinder-backup"
API = "cinder-api"
LOG_BINARIES = (VOLUME, SCHEDULER, BACKUP)
DOWN_AFTER = timedelta(seconds=60)
SCHEDULER_BEAT = timedelta(seconds=10)
LOG_LEVELS = ("INFO", "WARNING", "ERROR", "DEBUG")


def iso(moment: datetime | None) -> str | None:
    """Cinder's timestamps (``2026-11-27T19:07:05.000000``); the service formats its own
    (services never import the API layer)."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f") if moment else None


def host_matches(service_host: str, wanted: str) -> bool:
    """Cinder's host filter: ``node``, ``node@backend`` and ``node@backend#pool`` all name
    the service ``node@backend``."""
    wanted = wanted.partition("#")[0]
    return service_host == wanted or ("@" not in wanted
                                      and service_host.partition("@")[0] == wanted)


def is_up(beat: datetime | None, now: datetime) -> bool:
    return beat is not None and abs(now - beat) <= DOWN_AFTER


@dataclass
class Entry:
    """One ``os-services`` entry: a Service row, or the backends of one ``host@backend``."""

    binary: str
    host: str
    zone: str
    disabled: bool
    disabled_reason: str | None
    beat: datetime | None
    created_at: datetime
    frozen: bool = False

    def render(self, now: datetime, *, cluster: bool, backend_state: bool
               ) -> dict[str, Any]:
        out: dict[str, Any] = {
            "binary": self.binary, "host": self.host, "zone": self.zone,
            "status": "disabled" if self.disabled else "enabled",
            "state": "up" if is_up(self.beat, now) else "down",
            "updated_at": iso(self.beat or self.created_at),
            "disabled_reason": self.disabled_reason}
        if backend_state and self.binary == VOLUME:
            out["backend_state"] = "up"
        if cluster:
            out["cluster"] = None
        if self.binary == VOLUME:
            out.update(replication_status="not-capable", active_backend_id=None,
                       frozen=self.frozen)
        return out


def _volume_entries(backends: Iterable[Backend]) -> list[Entry]:
    grouped: dict[str, Entry] = {}
    for row in sorted(backends, key=lambda b: (b.created_at, b.name)):
        name = f"{row.host}@{row.backend}"
        found = grouped.get(name)
        if found is None:
            grouped[name] = Entry(VOLUME, name, row.availability_zone, row.disabled,
                                  row.disabled_reason, row.heartbeat_at, row.created_at,
                                  row.frozen)
        elif row.heartbeat_at and (found.beat is None or row.heartbeat_at > found.beat):
            found.beat = row.heartbeat_at
    return list(grouped.values())


def backends_of(s: Session, service_host: str, *, lock: bool = False) -> list[Backend]:
    """The pools (rows) of one ``host@backend`` (or of every backend of a bare host)."""
    stmt = sa.select(Backend).order_by(Backend.name)
    if lock:
        stmt = stmt.with_for_update()
    return [b for b in s.scalars(stmt) if host_matches(f"{b.host}@{b.backend}",
                                                        service_host)]


class Services:
    """Use cases behind ``os-services``, ``os-hosts``, pools, capabilities and zones."""

    def __init__(self, platform: Platform, hostname: str | None = None) -> None:
        self.db = platform.db
        self.policy = platform.policy
        self.hostname = hostname or socket.gethostname()
        self._beat: datetime | None = None

    def _enforce(self, rule: str, ctx: RequestContext) -> None:
        self.policy.enforce(rule, ctx, {"project_id": ctx.project_id})

    # --- the scheduler's own row ---------------------------------------------------------
    def scheduler_heartbeat(self, now: datetime | None = None) -> None:
        """Register (first call) and refresh this API process's ``cinder-scheduler``."""
        now = now or utcnow()
        if self._beat is not None and now - self._beat < SCHEDULER_BEAT:
            return

        def work(s: Session) -> None:
            row = s.get(Service, (SCHEDULER, self.hostname))
            if row is None:
                s.add(Service(binary=SCHEDULER, host=self.hostname, created_at=now,
                              heartbeat_at=now, availability_zone="nova"))
            else:
                row.heartbeat_at = now
        self.db.write(work)
        self._beat = now

    def entries(self, s: Session) -> list[Entry]:
        others = [Entry(r.binary, r.host, r.availability_zone, r.disabled,
                        r.disabled_reason, r.heartbeat_at, r.created_at)
                  for r in s.scalars(sa.select(Service).order_by(Service.created_at))]
        return sorted(others + _volume_entries(s.scalars(sa.select(Backend))),
                      key=lambda e: e.created_at)

    # --- os-services ---------------------------------------------------------------------
    def list(self, ctx: RequestContext, host: str | None, binary: str | None, *,
             cluster: bool = False, backend_state: bool = False) -> list[dict[str, Any]]:
        self._enforce("volume_extension:services:index", ctx)
        self.scheduler_heartbeat()
        now = utcnow()
        found = self.db.read(self.entries)
        return [e.render(now, cluster=cluster, backend_state=backend_state) for e in found
                if (host is None or host_matches(e.host, host))
                and (binary is None or e.binary == binary)]

    def set_enabled(self, ctx: RequestContext, host: str, binary: str, enabled: bool,
                    reason: str | None = None) -> None:
        """Enable or disable one service; a disabled ``cinder-volume`` takes no new
        volumes (the scheduler skips it)."""
        self._enforce("volume_extension:services:update", ctx)

        def work(s: Session) -> None:
            if binary == VOLUME:
                rows: list[Any] = [b for b in backends_of(s, host, lock=True)
                                   if f"{b.host}@{b.backend}" == host]
            else:
                found = s.get(Service, (binary, host), with_for_update=True)
                rows = [found] if found is not None else []
            if not rows:
                raise NotFound(f"Service {binary} could not be found on host {host}.")
            for row in rows:
                row.disabled = not enabled
                row.disabled_reason = None if enabled else (reason or row.disabled_reason)
                row.updated_at = utcnow()
        self.db.write(work)

    def set_frozen(self, ctx: RequestContext, host: str, frozen: bool) -> None:
        """Freeze (no new volumes, no changes of the backend's volumes' placement) or thaw
        every ``cinder-volume`` of ``host``; 400 when there is none or none changes."""
        self._enforce("volume:freeze_host" if frozen else "volume:thaw_host", ctx)

        def work(s: Session) -> None:
            rows = backends_of(s, host, lock=True)
            if not rows:
                raise BadRequest(f"Invalid input received: No service found with "
                                 f"host={host}")
            changing = [b for b in rows if b.frozen != frozen]
            if not changing:
                names = sorted({f"{b.host}@{b.backend}" for b in rows})
                raise BadRequest(
                    "Invalid input received: No service could be changed: frozen in "
                    f"{names} must be {not frozen} to failover.")
            for row in changing:
                row.frozen = frozen
                row.updated_at = utcnow()
        self.db.write(work)

    def log_targets(self, ctx: RequestContext, binary: str | None, server: str | None
                    ) -> list[tuple[str, str]]:
        """(host, binary) pairs a set-log/get-log request names: the API itself
        (``cinder-api``), or the up services of the given binary."""
        self._enforce("volume_extension:services:update", ctx)
        if binary == API:
            return [(self.hostname, API)]
        binaries = LOG_BINARIES if binary in ("*", None, "") else (binary,)
        now = utcnow()
        out = [(self.hostname, API)] if binary in ("*", None, "") else []
        for e in self.db.read(self.entries):
            if (e.binary in binaries and is_up(e.beat, now)
                    and (not server or host_matches(e.host, server))):
                out.append((e.host, e.binary))
        if server and server != self.hostname:
            out = [t for t in out if t[1] != API]
        return out

    # --- os-availability-zone ------------------------------------------------------------
    def availability_zones(self) -> list[dict[str, Any]]:
        """Zones of the volume backends; a zone is available when any of its backends
        is enabled (Cinder's rule)."""
        rows = self.db.read(lambda s: list(s.execute(
            sa.select(Backend.availability_zone, Backend.disabled)
            .order_by(Backend.created_at))))
        state: dict[str, bool] = {}
        for zone, disabled in rows:
            state[zone] = state.get(zone, False) or not disabled
        return [{"zoneName": z, "zoneState": {"available": ok}} for z, ok in state.items()]

    # --- os-hosts --------------------------------------------------------------------------
    def hosts(self, ctx: RequestContext, zone: str | None = None,
              service: str | None = None) -> list[dict[str, Any]]:
        """Enabled services as Cinder's deprecated hosts API lists them."""
        self._enforce("volume_extension:hosts", ctx)
        self.scheduler_heartbeat()
        now = utcnow()
        out = []
        for e in self.db.read(self.entries):
            if e.disabled or (zone and e.zone != zone):
                continue
            if service and e.binary != service:  # the topic: cinder-volume, …
                continue
            out.append({"host_name": e.host, "service": e.binary, "zone": e.zone,
                        "service-status": "available" if is_up(e.beat, now)
                        else "unavailable",
                        "service-state": "enabled", "last-update": iso(e.beat)})
        return out

    def host_usage(self, ctx: RequestContext, host: str) -> list[dict[str, Any]]:
        """Volumes and snapshots per project on one ``cinder-volume`` host (strings,
        as Cinder answers); 404 for a host without an enabled volume service."""
        from onestack.volume.models.snapshots import Snapshot
        from onestack.volume.models.volumes import Volume

        self._enforce("volume_extension:hosts", ctx)

        def on_host(column: Any) -> Any:
            return sa.or_(column == host, column.like(host.replace("%", r"\%") + "#%"))

        def work(s: Session) -> list[dict[str, Any]]:
            rows = [b for b in s.scalars(sa.select(Backend))
                    if f"{b.host}@{b.backend}" == host and not b.disabled]
            if not rows:
                raise NotFound(f"Host {host} could not be found.")
            vols = dict.fromkeys(s.scalars(sa.select(Volume.project_id).where(
                on_host(Volume.host)).distinct()))
            per = []
            total = [0, 0, 0, 0]
            for project in vols:
                count, size = s.execute(sa.select(sa.func.count(), sa.func.sum(Volume.size))
                                        .where(on_host(Volume.host),
                                               Volume.project_id == project)).one()
                scount, ssize = s.execute(
                    sa.select(sa.func.count(), sa.func.sum(Snapshot.size))
                    .where(on_host(Snapshot.host), Snapshot.project_id == project)).one()
                figures = [int(count or 0), int(size or 0), int(scount or 0),
                           int(ssize or 0)]
                total = [a + b for a, b in zip(total, figures)]
                per.append(_usage(host, project, figures))
            return [_usage(host, "(total)", total)] + per
        return self.db.read(work)

    # --- scheduler-stats/get_pools and capabilities ---------------------------------------
    def pools(self, ctx: RequestContext, detail: bool, name: str | None = None,
              volume_type: str | None = None) -> list[dict[str, Any]]:
        """Pools whose backend reported within ``DOWN_AFTER``; ``name`` keeps one pool,
        ``volume_type`` (name or id) the pools of the type's ``volume_backend_name``."""
        from onestack.volume.service.types import extra_specs, resolve_type

        self._enforce("scheduler_extension:scheduler_stats:get_pools", ctx)
        now = utcnow()

        def work(s: Session) -> tuple[list[Backend], str | None]:
            wanted = None
            if volume_type:
                found = resolve_type(s, ctx, volume_type)
                wanted = extra_specs(s, found.id).get("volume_backend_name")
            return list(s.scalars(sa.select(Backend).order_by(Backend.name))), wanted
        rows, backend_name = self.db.read(work)
        out = []
        for row in rows:
            if not is_up(row.heartbeat_at, now):
                continue  # Cinder's scheduler forgets backends that stop reporting
            if name is not None and row.name != name:
                continue
            if backend_name is not None and row.backend != backend_name:
                continue
            out.append({"name": row.name, "capabilities": pool_capabilities(row)}
                       if detail else {"name": row.name})
        return out

    def capabilities(self, ctx: RequestContext, host: str) -> dict[str, Any]:
        self._enforce("volume_extension:capabilities", ctx)
        rows = self.db.read(lambda s: backends_of(s, host))
        if not rows:
            raise NotFound(f"Can't find service: {host}")
        row = rows[0]
        return {"namespace": f"OS::Storage::Capabilities::{row.backend}",
                "vendor_name": row.vendor_name, "volume_backend_name": row.backend,
                "pool_name": None, "driver_version": row.driver_version,
                "storage_protocol": row.storage_protocol, "display_name": None,
                "description": None, "visibility": None, "replication_targets": [],
                "properties": PROPERTIES}


PROPERTIES = {
    "thin_provisioning": {"title": "Thin Provisioning", "type": "boolean",
                          "description": "Sets thin provisioning."},
    "compression": {"title": "Compression", "type": "boolean",
                    "description": "Enables compression."},
    "qos": {"title": "QoS", "type": "boolean", "description": "Enables QoS."},
    "replication_enabled": {"title": "Replication", "type": "boolean",
                            "description": "Enables replication."},
}


def pool_capabilities(row: Backend) -> dict[str, Any]:
    """What the scheduler knows of a pool (a backend row), as Cinder's drivers report."""
    thin = row.max_over_subscription_ratio > 1.0
    return {
        "pool_name": row.name.partition("#")[2] or row.backend,
        "volume_backend_name": row.backend, "vendor_name": row.vendor_name,
        "driver_version": row.driver_version, "storage_protocol": row.storage_protocol,
        "total_capacity_gb": row.total_capacity_gb,
        "free_capacity_gb": max(0, row.total_capacity_gb - row.allocated_capacity_gb),
        "allocated_capacity_gb": row.allocated_capacity_gb,
        "provisioned_capacity_gb": row.allocated_capacity_gb,
        "reserved_percentage": 0,
        "max_over_subscription_ratio": str(row.max_over_subscription_ratio),
        "thin_provisioning_support": thin, "thick_provisioning_support": not thin,
        "multiattach": True, "QoS_support": False, "online_extend_support": True,
        "backend_state": "up",
        "timestamp": iso(row.heartbeat_at), "updated": iso(row.updated_at or row.created_at),
    }


def _usage(host: str, project: str, figures: list[int]) -> dict[str, Any]:
    count, size, scount, ssize = figures
    return {"resource": {"host": host, "project": project, "volume_count": str(count),
                         "total_volume_gb": str(size), "snapshot_count": str(scount),
                         "total_snapshot_gb": str(ssize)}}

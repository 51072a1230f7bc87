"""What the admin host APIs (os-services, os-hypervisors, os-hosts, os-availability-zone,
the usage audit) report, read in one place, and the os-hosts use cases. Every registered
compute host (a ``ComputeHost`` row) is a ``nova-compute`` service and a hypervisor; the API
process itself stands for the ``nova-scheduler`` and ``nova-conductor`` services, in the
``internal`` zone of its host.

Service ids: the two control services are 1 and 2, a compute host's service is its row id
plus 2 (hypervisor ids are the row ids). From 2.53 services are named by a UUID derived from
host and binary, and hypervisors by the host's UUID (its placement provider)."""
from __future__ import annotations

import socket
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NoReturn

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.compute import models as cm
from onestack.compute import records
from onestack.compute.service.deps import ResourceDeps
from onestack.core.context import RequestContext
from onestack.core.db import utcnow
from onestack.core.errors import NotFound, NotImplementedFault
from onestack.placement import seam as placement

INTERNAL_ZONE = "internal"
CONTROL_BINARIES = ("nova-conductor", "nova-scheduler")
ID_OFFSET = len(CONTROL_BINARIES)
_NS = uuid.UUID("6ba7b812-9dad-11d1-80b4-00c04fd430c8")  # the URL namespace of RFC 4122
HYPERVISOR_VERSION = 1000


def control_host() -> str:
    """The host the API (and its scheduler and conductor) runs on."""
    return socket.gethostname() or "localhost"


def service_uuid(host: str, binary: str) -> str:
    return str(uuid.uuid5(_NS, f"onestack:{host}:{binary}"))


@dataclass
class Service:
    id: int
    uuid: str
    host: str
    binary: str
    zone: str
    disabled: bool
    disabled_reason: str | None
    forced_down: bool
    updated_at: datetime | None
    up: bool
    compute: cm.ComputeHost | None = None

    @property
    def status(self) -> str:
        return "disabled" if self.disabled else "enabled"

    @property
    def state(self) -> str:
        return "up" if self.up else "down"


def compute_service(h: cm.ComputeHost, zone: str, now: datetime) -> Service:
    return Service(h.id + ID_OFFSET, service_uuid(h.host, h.binary or "nova-compute"), h.host,
                   h.binary or "nova-compute", zone, bool(h.disabled), h.disabled_reason,
                   bool(h.forced_down), h.last_seen_at or h.updated_at,
                   records.host_is_up(h, now), h)


def services(s: Session, now: datetime | None = None) -> list[Service]:
    """Every service, control services first, then compute hosts by id."""
    now = now or utcnow()
    host = control_host()
    out = [Service(i + 1, service_uuid(host, b), host, b, INTERNAL_ZONE, False, None, False,
                   now, True) for i, b in enumerate(CONTROL_BINARIES)]
    zones = records.host_zones(s)
    for h in s.scalars(sa.select(cm.ComputeHost).order_by(cm.ComputeHost.id)):
        out.append(compute_service(h, zones.get(h.host, h.zone), now))
    return out


def compute_hosts(s: Session) -> list[cm.ComputeHost]:
    return list(s.scalars(sa.select(cm.ComputeHost).order_by(cm.ComputeHost.id)))


@dataclass
class Usage:
    """A hypervisor's numbers: its totals from the host row, its use from placement."""

    vcpus: int = 0
    vcpus_used: int = 0
    memory_mb: int = 0
    memory_mb_used: int = 0
    local_gb: int = 0
    local_gb_used: int = 0
    running_vms: int = 0
    current_workload: int = 0
    servers: list[dict[str, str]] = field(default_factory=list)

    @property
    def free_ram_mb(self) -> int:
        return self.memory_mb - self.memory_mb_used

    @property
    def free_disk_gb(self) -> int:
        return self.local_gb - self.local_gb_used


def usages(s: Session, hosts: list[cm.ComputeHost]) -> dict[str, Usage]:
    """host name → usage, in one pass over placement and the instances."""
    used, inventories = placement.all_usages(s), placement.all_inventories(s)
    out: dict[str, Usage] = {}
    for h in hosts:
        u = used.get(h.uuid, {})
        # what a hypervisor counts as used includes its provider's reserved amounts
        res = {rc: inv.reserved or 0 for rc, inv in inventories.get(h.uuid, {}).items()}
        out[h.host] = Usage(
            vcpus=h.vcpus, vcpus_used=u.get("VCPU", 0), memory_mb=h.memory_mb,
            memory_mb_used=u.get("MEMORY_MB", 0) + res.get("MEMORY_MB", 0),
            local_gb=h.local_gb, local_gb_used=u.get("DISK_GB", 0) + res.get("DISK_GB", 0))
    if out:
        rows = s.execute(sa.select(cm.Instance.id, cm.Instance.name, cm.Instance.host,
                                   cm.Instance.task_state)
                         .where(cm.Instance.deleted.is_(False),
                                cm.Instance.host.in_(list(out)))
                         .order_by(cm.Instance.created_at))
        for iid, name, host, task in rows:
            usage = out[host]
            usage.running_vms += 1
            usage.servers.append({"uuid": iid, "name": name})
            if task is not None:
                usage.current_workload += 1
    return out


def cpu_info(h: cm.ComputeHost) -> dict[str, Any]:
    return {"arch": "x86_64", "model": h.hypervisor_type, "vendor": "onestack",
            "topology": {"sockets": 1, "cores": h.vcpus, "threads": 1}, "features": []}


def uptime_text(h: cm.ComputeHost, now: datetime | None = None) -> str:
    """``uptime(1)``-style text counted from the host's registration."""
    now = now or utcnow()
    up = now - (h.created_at or now)
    hours, rest = divmod(up.seconds, 3600)
    return (f" {now:%H:%M:%S} up {up.days} days, {hours:2d}:{rest // 60:02d},  1 users,  "
            "load average: 0.00, 0.00, 0.00")


def services_for(deps: ResourceDeps, ctx: RequestContext, rule: str) -> list[Service]:
    """Every service, for a caller ``rule`` allows (os-services, zones, os-hosts)."""
    deps.enforce(ctx, rule)
    return deps.read(services)


def host_names(deps: ResourceDeps, ctx: RequestContext, rule: str) -> list[str]:
    deps.enforce(ctx, rule)
    return deps.read(lambda s: [h.host for h in compute_hosts(s)])


def _compute_host(s: Session, name: str) -> cm.ComputeHost:
    for h in s.scalars(sa.select(cm.ComputeHost).where(cm.ComputeHost.host == name)):
        if h.host == name:  # exact, whatever the database's collation
            return h
    raise NotFound(f"Compute host {name} could not be found.")


@dataclass
class HostReport:
    """What ``os-hosts/{host}`` shows: the host, its numbers and its live instances."""

    host: cm.ComputeHost
    usage: Usage
    instances: list[cm.Instance]


def host_report(deps: ResourceDeps, ctx: RequestContext, rule: str, name: str) -> HostReport:
    deps.enforce(ctx, rule)

    def work(s: Session) -> HostReport:
        h = _compute_host(s, name)
        instances = list(s.scalars(sa.select(cm.Instance).where(
            cm.Instance.host == h.host, cm.Instance.deleted.is_(False))))
        return HostReport(h, usages(s, [h])[h.host], instances)
    return deps.read(work)


def set_host_status(deps: ResourceDeps, ctx: RequestContext, rule: str, name: str,
                    disable: bool | None, maintenance: str | None) -> cm.ComputeHost:
    """Enable or disable the host's compute service (``disable`` None: leave it);
    maintenance mode is a driver feature the fake hypervisor does not have (501)."""
    deps.enforce(ctx, rule)

    def work(s: Session) -> cm.ComputeHost:
        h = _compute_host(s, name)
        if maintenance is not None:
            raise NotImplementedFault("Virt driver does not implement host maintenance "
                                      "mode.")
        if disable is not None:
            h.disabled = disable
            h.disabled_reason = None
            h.updated_at = utcnow()
        return h
    return deps.write(work)


def host_power(deps: ResourceDeps, ctx: RequestContext, rule: str, name: str) -> NoReturn:
    """Start up, shut down or reboot a host: 404 for an unknown host, else 501 (no driver
    here manages host power)."""
    deps.enforce(ctx, rule)
    deps.read(lambda s: _compute_host(s, name))
    raise NotImplementedFault("Virt driver does not implement host power management.")

"""``os-hypervisors``: one hypervisor per compute host. List, detail, show, statistics,
uptime, and before 2.53 search / servers by host name pattern. Paging from 2.33; UUID ids,
``with_servers`` and ``hypervisor_hostname_pattern`` from 2.53; from 2.88 the resource
numbers leave the views (statistics and the uptime call go away, ``uptime`` joins show)."""
from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy.orm import Session

from onestack.compute import models as cm
from onestack.compute import records
from onestack.compute.api import hostinfo, params
from onestack.compute.api.common import Compute
from onestack.compute.api.hostinfo import Usage
from onestack.core.db import utcnow
from onestack.core.errors import BadRequest, NotFound
from onestack.core.http import Call, Reply, RouteTable

ADMIN = "role:admin"
RULES = [(f"os_compute_api:os-hypervisors:{name}", ADMIN) for name in (
    "list", "list-detail", "show", "statistics", "uptime", "search", "servers")]
NUMBERS = ("vcpus", "memory_mb", "local_gb", "vcpus_used", "memory_mb_used", "local_gb_used",
           "free_ram_mb", "free_disk_gb", "current_workload", "running_vms")


def ident(h: cm.ComputeHost, version: tuple[int, int]) -> Any:
    """The row id before 2.53, then the host's UUID (its placement provider) in canonical
    form."""
    return str(uuid.UUID(h.uuid)) if version >= (2, 53) else h.id


def brief(h: cm.ComputeHost, version: tuple[int, int], now: Any) -> dict[str, Any]:
    return {"id": ident(h, version), "hypervisor_hostname": h.host,
            "state": "up" if records.host_is_up(h, now) else "down",
            "status": "disabled" if h.disabled else "enabled"}


def with_servers(view: dict[str, Any], usage: Usage, version: tuple[int, int]) -> None:
    if usage.servers or version >= (2, 75):
        view["servers"] = list(usage.servers)


def detail(h: cm.ComputeHost, usage: Usage, version: tuple[int, int], now: Any
           ) -> dict[str, Any]:
    out = brief(h, version, now)
    out.update({"hypervisor_type": h.hypervisor_type,
                "hypervisor_version": hostinfo.HYPERVISOR_VERSION, "host_ip": h.host_ip,
                "service": {"host": h.host, "id": (hostinfo.service_uuid(h.host, h.binary)
                                                   if version >= (2, 53) else
                                                   h.id + hostinfo.ID_OFFSET),
                            "disabled_reason": h.disabled_reason}})
    if version >= (2, 88):
        out["uptime"] = hostinfo.uptime_text(h, now)
        return out
    out.update({name: getattr(usage, name) for name in NUMBERS})
    out["disk_available_least"] = usage.free_disk_gb
    info = hostinfo.cpu_info(h)
    out["cpu_info"] = info if version >= (2, 28) else json.dumps(info)
    return out


def statistics(hosts: list[cm.ComputeHost], usage: dict[str, Usage]) -> dict[str, int]:
    """Sums over the enabled hypervisors, as Nova reports them."""
    out = {name: 0 for name in NUMBERS}
    out.update(count=0, disk_available_least=0)
    for h in hosts:
        if h.disabled:
            continue
        u = usage[h.host]
        out["count"] += 1
        for name in NUMBERS:
            out[name] += getattr(u, name)
        out["disk_available_least"] += u.free_disk_gb
    return out


def routes(compute: Compute) -> RouteTable:
    r = RouteTable()
    base = "/v2.1/os-hypervisors"

    def listing(call: Call, v: tuple[int, int]) -> tuple[list[cm.ComputeHost],
                                                         dict[str, Usage], bool]:
        servers = False
        pattern = None
        if v >= (2, 53):
            servers = bool(params.query_bool(call, "with_servers"))
            pattern = call.q("hypervisor_hostname_pattern")
            if pattern is not None and ("limit" in call.query or "marker" in call.query):
                raise BadRequest("Paging over hypervisors with the "
                                 "hypervisor_hostname_pattern query parameter is not "
                                 "supported.")

        def work(s: Session) -> tuple[list[cm.ComputeHost], dict[str, Usage]]:
            hosts = hostinfo.compute_hosts(s)
            if pattern is not None:
                hosts = [h for h in hosts if pattern in h.host]
                if not hosts:
                    raise NotFound(f"No hypervisor matching '{pattern}' could be found.")
            return hosts, hostinfo.usages(s, hosts)
        hosts, usage = compute.read(work)
        if v >= (2, 33):
            limit, marker = params.limit_marker(call)
            if marker is not None and v >= (2, 53):
                if not params.is_uuid(marker):
                    raise BadRequest(f"Invalid marker {marker}")
                marker = str(uuid.UUID(marker))
            keyed = [{"id": str(ident(h, v)), "host": h} for h in hosts]
            hosts = [k["host"] for k in params.page(keyed, "id", limit, marker)]
        return hosts, usage, servers

    def collection(call: Call, v: tuple[int, int], items: list[dict[str, Any]]) -> Reply:
        body: dict[str, Any] = {"hypervisors": items}
        if v >= (2, 33):
            limit, _ = params.limit_marker(call)
            nxt = params.next_link(call, items, limit)
            if nxt:
                body["hypervisors_links"] = nxt
        return compute.reply(call, 200, body)

    @r.get(base)
    def index(call: Call) -> Reply:
        v = compute.version(call)
        compute.enforce(call, "os_compute_api:os-hypervisors:list")
        hosts, usage, servers = listing(call, v)
        now = utcnow()
        items = []
        for h in hosts:
            item = brief(h, v, now)
            if servers:
                with_servers(item, usage[h.host], v)
            items.append(item)
        return collection(call, v, items)

    @r.get(base + "/detail")
    def index_detail(call: Call) -> Reply:
        v = compute.version(call)
        compute.enforce(call, "os_compute_api:os-hypervisors:list-detail")
        hosts, usage, servers = listing(call, v)
        now = utcnow()
        items = []
        for h in hosts:
            item = detail(h, usage[h.host], v, now)
            if servers:
                with_servers(item, usage[h.host], v)
            items.append(item)
        return collection(call, v, items)

    @r.get(base + "/statistics")
    def stats(call: Call) -> Reply:
        v = compute.version(call)
        if v >= (2, 88):
            raise NotFound("The resource could not be found.")
        compute.enforce(call, "os_compute_api:os-hypervisors:statistics")

        def work(s: Session) -> dict[str, int]:
            hosts = hostinfo.compute_hosts(s)
            return statistics(hosts, hostinfo.usages(s, hosts))
        return compute.reply(call, 200, {"hypervisor_statistics": compute.read(work)})

    def one(call: Call, v: tuple[int, int]) -> tuple[cm.ComputeHost, Usage]:
        wanted = call.params["hypervisor_id"]
        if v >= (2, 53) and not params.is_uuid(wanted):
            raise BadRequest(f"Invalid uuid {wanted}")

        def work(s: Session) -> tuple[cm.ComputeHost, Usage]:
            key = str(uuid.UUID(wanted)) if v >= (2, 53) else wanted
            for h in hostinfo.compute_hosts(s):
                if str(ident(h, v)) == key:
                    return h, hostinfo.usages(s, [h])[h.host]
            raise NotFound(f"Hypervisor with ID {wanted} could not be found.")
        return compute.read(work)

    @r.get(base + "/{hypervisor_id}")
    def show(call: Call) -> Reply:
        v = compute.version(call)
        compute.enforce(call, "os_compute_api:os-hypervisors:show")
        servers = v >= (2, 53) and bool(params.query_bool(call, "with_servers"))
        h, usage = one(call, v)
        view = detail(h, usage, v, utcnow())
        if servers:
            with_servers(view, usage, v)
        return compute.reply(call, 200, {"hypervisor": view})

    @r.get(base + "/{hypervisor_id}/uptime")
    def uptime(call: Call) -> Reply:
        v = compute.version(call)
        if v >= (2, 88):
            raise NotFound("The resource could not be found.")
        compute.enforce(call, "os_compute_api:os-hypervisors:uptime")
        h, _ = one(call, v)
        view = brief(h, v, utcnow())
        view["uptime"] = hostinfo.uptime_text(h)
        return compute.reply(call, 200, {"hypervisor": view})

    def matching(call: Call, rule: str, servers: bool) -> Reply:
        v = compute.version(call)
        if v >= (2, 53):
            raise NotFound("The resource could not be found.")
        compute.enforce(call, rule)
        pattern = call.params["pattern"]

        def work(s: Session) -> list[dict[str, Any]]:
            hosts = [h for h in hostinfo.compute_hosts(s) if pattern in h.host]
            if not hosts:
                raise NotFound(f"No hypervisor matching '{pattern}' could be found.")
            usage = hostinfo.usages(s, hosts)
            now = utcnow()
            out = []
            for h in hosts:
                item = brief(h, v, now)
                if servers:
                    with_servers(item, usage[h.host], v)
                out.append(item)
            return out
        return compute.reply(call, 200, {"hypervisors": compute.read(work)})

    @r.get(base + "/{pattern}/search")
    def search(call: Call) -> Reply:
        return matching(call, "os_compute_api:os-hypervisors:search", False)

    @r.get(base + "/{pattern}/servers")
    def servers_on(call: Call) -> Reply:
        return matching(call, "os_compute_api:os-hypervisors:servers", True)

    return r

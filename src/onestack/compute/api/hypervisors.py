"""``os-hypervisors``: one hypervisor per compute host. List, detail, show, statistics,
uptime, and before 2.53 search / servers by host name pattern. Paging from 2.33; UUID ids,
``with_servers`` and ``hypervisor_hostname_pattern`` from 2.53; from 2.88 the resource
numbers leave the views (statistics and the uptime call go away, ``uptime`` joins show)."""
from __future__ import annotations

import json
import uuid
from typing import Any

from onestack.compute import models as cm
from onestack.compute import records
from onestack.compute.api import params
from onestack.compute.api.common import Compute
from onestack.compute.service import hosts as hostinfo
from onestack.compute.service import hypervisors as service
from onestack.compute.service.hosts import Usage
from onestack.compute.service.hypervisors import ident
from onestack.core.db import utcnow
from onestack.core.errors import BadRequest, NotFound
from onestack.core.http import Call, Reply, RouteTable
NUMBERS = ("vcpus", "memory_mb", "local_gb", "vcpus_used", "memory_mb_used", "local_gb_used",
           "free_ram_mb", "free_disk_gb", "current_workload", "running_vms")


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


def list_query(call: Call, v: tuple[int, int]) -> tuple[bool, str | None]:
    """(with_servers, hypervisor_hostname_pattern) of a 2.53+ list; paging and a pattern
    do not mix."""
    if v < (2, 53):
        return False, None
    pattern = call.q("hypervisor_hostname_pattern")
    if pattern is not None and ("limit" in call.query or "marker" in call.query):
        raise BadRequest("Paging over hypervisors with the hypervisor_hostname_pattern "
                         "query parameter is not supported.")
    return bool(params.query_bool(call, "with_servers")), pattern


def page_hosts(call: Call, v: tuple[int, int],
               hosts: list[cm.ComputeHost]) -> list[cm.ComputeHost]:
    """One page (2.33) of hosts, the marker being an id as ``v`` shows ids."""
    if v < (2, 33):
        return hosts
    limit, marker = params.limit_marker(call)
    if marker is not None and v >= (2, 53):
        if not params.is_uuid(marker):
            raise BadRequest(f"Invalid marker {marker[:64]}")
        marker = str(uuid.UUID(marker))
    keyed = [{"id": str(ident(h, v)), "host": h} for h in hosts]
    return [k["host"] for k in params.page(keyed, "id", limit, marker)]


def check_id(wanted: str, v: tuple[int, int]) -> str:
    if v >= (2, 53) and not params.is_uuid(wanted):
        raise BadRequest(f"Invalid uuid {wanted[:64]}")
    return wanted


def routes(compute: Compute) -> RouteTable:
    r = RouteTable()
    deps = compute.deps
    base = "/v2.1/os-hypervisors"

    def collection(call: Call, v: tuple[int, int], items: list[dict[str, Any]]) -> Reply:
        body: dict[str, Any] = {"hypervisors": items}
        if v >= (2, 33):
            limit, _ = params.limit_marker(call)
            nxt = params.next_link(call, items, limit)
            if nxt:
                body["hypervisors_links"] = nxt
        return compute.reply(call, 200, body)

    def listing(call: Call, rule: str, view: Any) -> Reply:
        v = compute.version(call)
        deps.enforce(call.ctx, service.RULE + rule)
        servers, pattern = list_query(call, v)
        hosts, usage = service.list_hypervisors(deps, call.ctx, rule, pattern)
        now = utcnow()
        items = []
        for h in page_hosts(call, v, hosts):
            item = view(h, usage[h.host], v, now)
            if servers:
                with_servers(item, usage[h.host], v)
            items.append(item)
        return collection(call, v, items)

    @r.get(base)
    def index(call: Call) -> Reply:
        return listing(call, "list", lambda h, u, v, now: brief(h, v, now))

    @r.get(base + "/detail")
    def index_detail(call: Call) -> Reply:
        return listing(call, "list-detail", detail)

    @r.get(base + "/statistics")
    def stats(call: Call) -> Reply:
        if compute.version(call) >= (2, 88):
            raise NotFound("The resource could not be found.")
        hosts, usage = service.list_hypervisors(deps, call.ctx, "statistics")
        return compute.reply(call, 200, {"hypervisor_statistics": statistics(hosts, usage)})

    @r.get(base + "/{hypervisor_id}")
    def show(call: Call) -> Reply:
        v = compute.version(call)
        deps.enforce(call.ctx, service.RULE + "show")
        servers = v >= (2, 53) and bool(params.query_bool(call, "with_servers"))
        h, usage = service.get_hypervisor(deps, call.ctx, "show",
                                          check_id(call.params["hypervisor_id"], v), v)
        view = detail(h, usage, v, utcnow())
        if servers:
            with_servers(view, usage, v)
        return compute.reply(call, 200, {"hypervisor": view})

    @r.get(base + "/{hypervisor_id}/uptime")
    def uptime(call: Call) -> Reply:
        v = compute.version(call)
        if v >= (2, 88):
            raise NotFound("The resource could not be found.")
        deps.enforce(call.ctx, service.RULE + "uptime")
        h, _ = service.get_hypervisor(deps, call.ctx, "uptime",
                                      check_id(call.params["hypervisor_id"], v), v)
        view = brief(h, v, utcnow())
        view["uptime"] = hostinfo.uptime_text(h)
        return compute.reply(call, 200, {"hypervisor": view})

    search_routes(r, compute)
    return r


def search_routes(r: RouteTable, compute: Compute) -> None:
    """Before 2.53: hypervisors (and their servers) whose host name contains a pattern."""
    deps = compute.deps
    base = "/v2.1/os-hypervisors"

    def matching(call: Call, rule: str, servers: bool) -> Reply:
        v = compute.version(call)
        if v >= (2, 53):
            raise NotFound("The resource could not be found.")
        hosts, usage = service.list_hypervisors(deps, call.ctx, rule, call.params["pattern"])
        now = utcnow()
        out = []
        for h in hosts:
            item = brief(h, v, now)
            if servers:
                with_servers(item, usage[h.host], v)
            out.append(item)
        return compute.reply(call, 200, {"hypervisors": out})

    @r.get(base + "/{pattern}/search")
    def search(call: Call) -> Reply:
        return matching(call, "search", False)

    @r.get(base + "/{pattern}/servers")
    def servers_on(call: Call) -> Reply:
        return matching(call, "servers", True)

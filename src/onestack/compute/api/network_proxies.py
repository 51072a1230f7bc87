"""Nova's proxies to the network service, gone from 2.36 (404 above it, as Nova answers):
``os-security-groups`` and ``os-security-group-rules``, ``os-floating-ips`` and
``os-floating-ip-pools``; a server's ``os-security-groups`` and the
``addFloatingIp``/``removeFloatingIp`` actions (until 2.44)."""
from __future__ import annotations

from functools import partial
from typing import Any, Callable

from onestack.compute.api import microversion
from onestack.compute.api.common import Compute
from onestack.compute.policies import register
from onestack.compute.policies import servers as server_rules
from onestack.compute.service import network_proxy as service
from onestack.core.errors import BadRequest, NotFound
from onestack.core.http import Call, Reply, RouteTable

GONE_AT = (2, 36)
ACTIONS_GONE_AT = (2, 44)
MEMBER = server_rules.PROJECT_MEMBER_OR_ADMIN
READER = server_rules.PROJECT_READER_OR_ADMIN
ANY_READER = "role:reader or role:admin"
ANY_MEMBER = "role:member or role:admin"
RULES = [
    *((f"os_compute_api:os-security-groups:{a}", ANY_READER) for a in ("get", "show")),
    *((f"os_compute_api:os-security-groups:{a}", ANY_MEMBER)
      for a in ("create", "update", "delete", "rule:create", "rule:delete")),
    *((f"os_compute_api:os-floating-ips:{a}", ANY_READER) for a in ("list", "show")),
    *((f"os_compute_api:os-floating-ips:{a}", ANY_MEMBER) for a in ("create", "delete")),
    *((f"os_compute_api:os-floating-ips:{a}", MEMBER) for a in ("add", "remove")),
    ("os_compute_api:os-floating-ip-pools:list", ANY_READER),
    *((f"os_compute_api:os-multinic:{a}", MEMBER) for a in ("add", "remove")),
]
ACTIONS = ("addFloatingIp", "removeFloatingIp", "addFixedIp", "removeFixedIp")
Handler = Callable[[Compute, Call], Reply]


def negotiate(compute: Compute, call: Call, gone: tuple[int, int] = GONE_AT
              ) -> tuple[int, int]:
    version = compute.version(call)
    if version >= gone:
        raise NotFound(f"API version {microversion.fmt(version)} is not supported on this "
                       "method.")
    return version


def _deps(compute: Compute) -> Any:
    from onestack.compute.api.servers import deps

    return deps(compute)


def _body(call: Call) -> Any:
    return call.body()


# --- security groups ----------------------------------------------------------------------
def list_groups(compute: Compute, call: Call) -> Reply:
    negotiate(compute, call)
    compute.enforce(call, "os_compute_api:os-security-groups:get")
    all_projects = call.q("all_tenants") not in (None, "0", "false", "False") and \
        compute.allowed(call, "os_compute_api:admin")
    groups = service.list_groups(_deps(compute), call.ctx, all_projects)
    return compute.reply(call, 200, {"security_groups": groups})


def show_group(compute: Compute, call: Call) -> Reply:
    negotiate(compute, call)
    compute.enforce(call, "os_compute_api:os-security-groups:show")
    group = service.show_group(_deps(compute), call.ctx, call.params["group_id"])
    return compute.reply(call, 200, {"security_group": group})


def create_group(compute: Compute, call: Call) -> Reply:
    negotiate(compute, call)
    compute.enforce(call, "os_compute_api:os-security-groups:create")
    group = service.create_group(_deps(compute), call.ctx, _body(call))
    return compute.reply(call, 200, {"security_group": group})


def update_group(compute: Compute, call: Call) -> Reply:
    negotiate(compute, call)
    compute.enforce(call, "os_compute_api:os-security-groups:update")
    group = service.update_group(_deps(compute), call.ctx, call.params["group_id"],
                                 _body(call))
    return compute.reply(call, 200, {"security_group": group})


def delete_group(compute: Compute, call: Call) -> Reply:
    negotiate(compute, call)
    compute.enforce(call, "os_compute_api:os-security-groups:delete")
    service.delete_group(_deps(compute), call.ctx, call.params["group_id"])
    return compute.reply(call, 202)


def no_group(compute: Compute, call: Call) -> Reply:
    """``DELETE /os-security-groups/`` names no group: 404, as Nova answers."""
    negotiate(compute, call)
    raise NotFound("Security group  not found.")


def create_rule(compute: Compute, call: Call) -> Reply:
    negotiate(compute, call)
    compute.enforce(call, "os_compute_api:os-security-groups:rule:create")
    rule = service.create_rule(_deps(compute), call.ctx, _body(call))
    return compute.reply(call, 200, {"security_group_rule": rule})


def delete_rule(compute: Compute, call: Call) -> Reply:
    negotiate(compute, call)
    compute.enforce(call, "os_compute_api:os-security-groups:rule:delete")
    service.delete_rule(_deps(compute), call.ctx, call.params["rule_id"])
    return compute.reply(call, 202)


def server_groups(compute: Compute, call: Call) -> Reply:
    negotiate(compute, call)
    groups = service.server_groups(_deps(compute), call.ctx, call.params["server_id"])
    return compute.reply(call, 200, {"security_groups": groups})


# --- floating IPs ------------------------------------------------------------------------
def list_fips(compute: Compute, call: Call) -> Reply:
    negotiate(compute, call)
    compute.enforce(call, "os_compute_api:os-floating-ips:list")
    return compute.reply(call, 200, {"floating_ips": service.list_fips(_deps(compute),
                                                                      call.ctx)})


def show_fip(compute: Compute, call: Call) -> Reply:
    negotiate(compute, call)
    compute.enforce(call, "os_compute_api:os-floating-ips:show")
    fip = service.show_fip(_deps(compute), call.ctx, call.params["fip_id"])
    return compute.reply(call, 200, {"floating_ip": fip})


def create_fip(compute: Compute, call: Call) -> Reply:
    negotiate(compute, call)
    compute.enforce(call, "os_compute_api:os-floating-ips:create")
    body = call.json if call.raw_body.strip() else None
    pool = body.get("pool") if isinstance(body, dict) else None
    fip = service.create_fip(_deps(compute), call.ctx, pool)
    return compute.reply(call, 200, {"floating_ip": fip})


def delete_fip(compute: Compute, call: Call) -> Reply:
    negotiate(compute, call)
    compute.enforce(call, "os_compute_api:os-floating-ips:delete")
    service.delete_fip(_deps(compute), call.ctx, call.params["fip_id"])
    return compute.reply(call, 202)


def list_pools(compute: Compute, call: Call) -> Reply:
    negotiate(compute, call)
    compute.enforce(call, "os_compute_api:os-floating-ip-pools:list")
    return compute.reply(call, 200, {"floating_ip_pools": service.pools(_deps(compute),
                                                                        call.ctx)})


# --- server actions -----------------------------------------------------------------------
def server_action(compute: Compute, call: Call, name: str, args: Any) -> Reply:
    """``addFloatingIp``/``removeFloatingIp`` (and the multinic ``addFixedIp``/
    ``removeFixedIp``): gone from 2.44, as in Nova."""
    negotiate(compute, call, ACTIONS_GONE_AT)
    deps, sid = _deps(compute), call.params["server_id"]
    if name == "addFloatingIp":
        service.add_floating_ip(deps, call.ctx, sid, args)
    elif name == "removeFloatingIp":
        service.remove_floating_ip(deps, call.ctx, sid, args)
    else:
        from onestack.compute.service import interfaces

        if not isinstance(args, dict):
            raise BadRequest(f"Invalid input for {name}.")
        if name == "addFixedIp":
            if not args.get("networkId"):
                raise BadRequest("Missing parameter dict")
            interfaces.add_fixed_ip(deps, call.ctx, sid, str(args["networkId"]))
        else:
            if not args.get("address"):
                raise BadRequest("Missing parameter dict")
            interfaces.remove_fixed_ip(deps, call.ctx, sid, str(args["address"]))
    return compute.reply(call, 202)


ROUTES: list[tuple[str, str, Handler]] = [
    ("GET", "/v2.1/os-security-groups", list_groups),
    ("POST", "/v2.1/os-security-groups", create_group),
    ("GET", "/v2.1/os-security-groups/{group_id}", show_group),
    ("PUT", "/v2.1/os-security-groups/{group_id}", update_group),
    ("DELETE", "/v2.1/os-security-groups/{group_id}", delete_group),
    ("DELETE", "/v2.1/os-security-groups/", no_group),
    ("POST", "/v2.1/os-security-group-rules", create_rule),
    ("DELETE", "/v2.1/os-security-group-rules/{rule_id}", delete_rule),
    ("GET", "/v2.1/servers/{server_id}/os-security-groups", server_groups),
    ("GET", "/v2.1/os-floating-ips", list_fips),
    ("POST", "/v2.1/os-floating-ips", create_fip),
    ("GET", "/v2.1/os-floating-ips/{fip_id}", show_fip),
    ("DELETE", "/v2.1/os-floating-ips/{fip_id}", delete_fip),
    ("GET", "/v2.1/os-floating-ip-pools", list_pools),
]


def routes(compute: Compute) -> RouteTable:
    register(compute.platform.policy, RULES)
    table = RouteTable()
    for method, path, handler in ROUTES:
        table.add(method, path, partial(handler, compute))
    return table

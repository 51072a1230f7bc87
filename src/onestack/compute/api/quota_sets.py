"""Quotas as the API shows them: ``/limits`` (absolute limits and use), ``os-quota-sets``
(per project, optionally per user: show, defaults, detail, update, delete) and
``os-quota-class-sets`` (stored as ``QuotaLimit`` rows of project ``class:<name>``; the
``default`` class is what every project starts from).

The resources shown shrink with the microversion: the network ones leave at 2.36 (2.50 for
quota classes, which gain the server group ones there) and the injected-file ones at 2.57."""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from onestack.compute import schemas
from onestack.compute.api import params
from onestack.compute.api.common import Compute
from onestack.compute.service import quota_sets as service
from onestack.core.errors import BadRequest
from onestack.core.http import Call, Reply, RouteTable

RESOURCES = ["instances", "cores", "ram", "floating_ips", "fixed_ips", "metadata_items",
             "key_pairs", "security_groups", "security_group_rules", "server_groups",
             "server_group_members", "injected_files", "injected_file_content_bytes",
             "injected_file_path_bytes"]
NETWORK = {"floating_ips", "fixed_ips", "security_groups", "security_group_rules"}
FILES = {"injected_files", "injected_file_content_bytes", "injected_file_path_bytes"}
GROUPS = {"server_groups", "server_group_members"}

# (quota resource, limit name); the use of some is reported too.
ABSOLUTE = [("ram", "maxTotalRAMSize"), ("instances", "maxTotalInstances"),
            ("cores", "maxTotalCores"), ("key_pairs", "maxTotalKeypairs"),
            ("floating_ips", "maxTotalFloatingIps"), ("metadata_items", "maxServerMeta"),
            ("metadata_items", "maxImageMeta"), ("injected_files", "maxPersonality"),
            ("injected_file_content_bytes", "maxPersonalitySize"),
            ("security_groups", "maxSecurityGroups"),
            ("security_group_rules", "maxSecurityGroupRules"),
            ("server_groups", "maxServerGroups"),
            ("server_group_members", "maxServerGroupMembers")]
USED = [("ram", "totalRAMUsed"), ("cores", "totalCoresUsed"),
        ("instances", "totalInstancesUsed"), ("floating_ips", "totalFloatingIpsUsed"),
        ("security_groups", "totalSecurityGroupsUsed"),
        ("server_groups", "totalServerGroupsUsed")]
GONE_236 = {"maxSecurityGroupRules", "maxSecurityGroups", "maxTotalFloatingIps",
            "totalFloatingIpsUsed", "totalSecurityGroupsUsed"}


def set_resources(version: tuple[int, int]) -> list[str]:
    gone = (NETWORK if version >= (2, 36) else set()) | (FILES if version >= (2, 57) else set())
    return [r for r in RESOURCES if r not in gone]


def class_resources(version: tuple[int, int]) -> list[str]:
    if version < (2, 50):
        return [r for r in RESOURCES if r not in GROUPS]
    gone = NETWORK | (FILES if version >= (2, 57) else set())
    return [r for r in RESOURCES if r not in gone]


def update_schema(key: str, names: list[str] | tuple[str, ...], force: bool
                  ) -> dict[str, Any]:
    """The update body for ``names`` (one schema object per argument set: do not mutate)."""
    return _update_schema(key, tuple(names), force)


@lru_cache(maxsize=None)
def _update_schema(key: str, names: tuple[str, ...], force: bool) -> dict[str, Any]:
    props: dict[str, Any] = {name: params.QUOTA_LIMIT for name in names}
    if force:
        props["force"] = params.BOOLEAN
    return {"type": "object", "properties": {key: {
        "type": "object", "properties": props, "additionalProperties": False}},
        "required": [key], "additionalProperties": False}


def absolute_limits(limits: dict[str, int], used: dict[str, int],
                    version: tuple[int, int]) -> dict[str, int]:
    out = {name: limits.get(res, -1) for res, name in ABSOLUTE}
    out.update({name: used.get(res, 0) for res, name in USED})
    if version >= (2, 36):
        out = {k: v for k, v in out.items() if k not in GONE_236}
    if version >= (2, 39):
        out.pop("maxImageMeta", None)
    if version >= (2, 57):
        out.pop("maxPersonality", None)
        out.pop("maxPersonalitySize", None)
    return out


def quota_set(ident: str, found: dict[str, Any], names: list[str]) -> dict[str, Any]:
    return {"id": ident, **{k: found[k] for k in names}}


def target(call: Call) -> tuple[str, str]:
    """(project, user or "") a quota-set call names."""
    return call.params["project_id"], call.q("user_id") or ""


def parse_values(body: dict[str, Any]) -> dict[str, int]:
    return {k: params.to_int(val, k, -1) for k, val in body.items()}


def check_class_name(name: str) -> None:
    if not 1 <= len(name) <= 255:
        raise BadRequest("The quota class name must be 1 to 255 characters long.")


def routes(compute: Compute) -> RouteTable:
    r = RouteTable()
    deps = compute.deps
    base = "/v2.1/os-quota-sets/{project_id}"

    @r.get("/v2.1/limits")
    def limits(call: Call) -> Reply:
        v = compute.version(call)
        found, used = service.limits_and_use(deps, call.ctx, call.q("tenant_id"))
        absolute = absolute_limits(found, used, v)
        return compute.reply(call, 200, {"limits": {"rate": [], "absolute": absolute}})

    @r.get(base)
    def show(call: Call) -> Reply:
        v = compute.version(call)
        project_id, user_id = target(call)
        found = service.show(deps, call.ctx, project_id, user_id)
        return compute.reply(call, 200, {"quota_set": quota_set(project_id, found,
                                                                set_resources(v))})

    @r.get(base + "/defaults")
    def defaults(call: Call) -> Reply:
        v = compute.version(call)
        found = service.defaults(deps, call.ctx)
        body = quota_set(call.params["project_id"], found, set_resources(v))
        return compute.reply(call, 200, {"quota_set": body})

    @r.get(base + "/detail")
    def detail(call: Call) -> Reply:
        v = compute.version(call)
        project_id, user_id = target(call)
        found, used = service.detail(deps, call.ctx, project_id, user_id)
        body = {"id": project_id, **{k: {"limit": found[k], "in_use": used.get(k, 0),
                                         "reserved": 0} for k in set_resources(v)}}
        return compute.reply(call, 200, {"quota_set": body})

    @r.put(base)
    def update(call: Call) -> Reply:
        v = compute.version(call)
        project_id, user_id = target(call)
        service.authorize_update(deps, call.ctx, project_id)
        body = schemas.validate(update_schema("quota_set", set_resources(v), True),
                                call.body())["quota_set"]
        force = params.to_bool(body.pop("force", False))
        found = service.update(deps, call.ctx, project_id, user_id, parse_values(body), force)
        return compute.reply(call, 200, {"quota_set": {k: found[k] for k in set_resources(v)}})

    @r.delete(base)
    def delete(call: Call) -> Reply:
        service.delete(deps, call.ctx, *target(call))
        return compute.reply(call, 202)

    class_routes(r, compute)
    return r


def class_routes(r: RouteTable, compute: Compute) -> None:
    base = "/v2.1/os-quota-class-sets/{name}"
    deps = compute.deps

    @r.get(base)
    def show(call: Call) -> Reply:
        v = compute.version(call)
        name = call.params["name"]
        check_class_name(name)
        found = service.show_class(deps, call.ctx, name)
        return compute.reply(call, 200, {"quota_class_set": quota_set(name, found,
                                                                      class_resources(v))})

    @r.put(base)
    def update(call: Call) -> Reply:
        v = compute.version(call)
        name = call.params["name"]
        check_class_name(name)
        names = class_resources(v) if v >= (2, 50) else RESOURCES
        body = schemas.validate(update_schema("quota_class_set", names, False),
                                call.body())["quota_class_set"]
        found = service.update_class(deps, call.ctx, name, parse_values(body))
        return compute.reply(call, 200, {"quota_class_set": {
            k: found[k] for k in class_resources(v)}})

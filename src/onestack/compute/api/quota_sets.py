"""Quotas as the API shows them: ``/limits`` (absolute limits and use), ``os-quota-sets``
(per project, optionally per user: show, defaults, detail, update, delete) and
``os-quota-class-sets`` (stored as ``QuotaLimit`` rows of project ``class:<name>``; the
``default`` class is what every project starts from).

The resources shown shrink with the microversion: the network ones leave at 2.36 (2.50 for
quota classes, which gain the server group ones there) and the injected-file ones at 2.57."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.compute import models as cm
from onestack.compute import quotas, schemas
from onestack.compute.api import params
from onestack.compute.api.common import Compute
from onestack.core.errors import BadRequest
from onestack.core.http import Call, Reply, RouteTable

ADMIN = "role:admin"
PROJECT_READER = "role:admin or (role:reader and project_id:%(target.project_id)s)"
RULES = [
    ("os_compute_api:limits", ""),
    ("os_compute_api:limits:other_project", ADMIN),
    ("os_compute_api:os-quota-sets:show", PROJECT_READER),
    ("os_compute_api:os-quota-sets:detail", PROJECT_READER),
    ("os_compute_api:os-quota-sets:defaults", ""),
    ("os_compute_api:os-quota-sets:update", ADMIN),
    ("os_compute_api:os-quota-sets:delete", ADMIN),
    ("os_compute_api:os-quota-class-sets:show", ADMIN),
    ("os_compute_api:os-quota-class-sets:update", ADMIN),
]
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


def update_schema(key: str, names: list[str], force: bool) -> dict[str, Any]:
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


def class_limits(s: Session, name: str) -> dict[str, int]:
    """A quota class: the defaults, the ``default`` class, then the class's own rows."""
    out = quotas.limits_for(s, quotas.CLASS_PREFIX + "default")
    if name != "default":
        for row in s.scalars(sa.select(cm.QuotaLimit).where(
                cm.QuotaLimit.project_id == quotas.CLASS_PREFIX + name)):
            out[row.resource] = row.hard_limit
    return out


def store(s: Session, project_id: str, user_id: str, values: dict[str, int]) -> None:
    for resource, limit in values.items():
        row = s.get(cm.QuotaLimit, (project_id, user_id, resource))
        if row is None:
            s.add(cm.QuotaLimit(project_id=project_id, user_id=user_id, resource=resource,
                                hard_limit=limit))
        else:
            row.hard_limit = limit


def check_limits(values: dict[str, int], used: dict[str, int],
                 project_limits: dict[str, int] | None) -> None:
    """Nova's update checks: a limit below what is in use needs ``force``; a user's limit
    may not exceed its project's."""
    for resource, limit in values.items():
        in_use = used.get(resource, 0)
        if 0 <= limit < in_use:
            raise BadRequest(f"Quota limit {limit} for {resource} must be greater than or "
                             f"equal to already used and reserved {in_use}.")
        if project_limits is not None:
            top = project_limits.get(resource, -1)
            if top >= 0 and (limit < 0 or limit > top):
                raise BadRequest(f"Quota limit {limit} for {resource} must be less than or "
                                 f"equal to {top}.")


def routes(compute: Compute) -> RouteTable:
    compute.platform.policy.register(RULES)
    r = RouteTable()
    base = "/v2.1/os-quota-sets/{project_id}"

    @r.get("/v2.1/limits")
    def limits(call: Call) -> Reply:
        v = compute.version(call)
        compute.enforce(call, "os_compute_api:limits")
        project_id = call.q("tenant_id") or call.ctx.project_id
        if project_id != call.ctx.project_id:
            compute.enforce(call, "os_compute_api:limits:other_project",
                            {"project_id": project_id})

        def work(s: Session) -> dict[str, int]:
            return absolute_limits(quotas.limits_for(s, project_id),
                                   quotas.usage(s, project_id), v)
        return compute.reply(call, 200, {"limits": {"rate": [], "absolute": compute.read(work)}})

    def target(call: Call) -> tuple[str, str]:
        project_id = call.params["project_id"]
        return project_id, call.q("user_id") or ""

    @r.get(base)
    def show(call: Call) -> Reply:
        v = compute.version(call)
        project_id, user_id = target(call)
        compute.enforce(call, "os_compute_api:os-quota-sets:show", {"project_id": project_id})
        found = compute.read(lambda s: quotas.limits_for(s, project_id, user_id))
        body = {"id": project_id, **{k: found[k] for k in set_resources(v)}}
        return compute.reply(call, 200, {"quota_set": body})

    @r.get(base + "/defaults")
    def defaults(call: Call) -> Reply:
        v = compute.version(call)
        project_id = call.params["project_id"]
        compute.enforce(call, "os_compute_api:os-quota-sets:defaults")
        found = compute.read(lambda s: class_limits(s, "default"))
        body = {"id": project_id, **{k: found[k] for k in set_resources(v)}}
        return compute.reply(call, 200, {"quota_set": body})

    @r.get(base + "/detail")
    def detail(call: Call) -> Reply:
        v = compute.version(call)
        project_id, user_id = target(call)
        compute.enforce(call, "os_compute_api:os-quota-sets:detail",
                        {"project_id": project_id})

        def work(s: Session) -> dict[str, Any]:
            found = quotas.limits_for(s, project_id, user_id)
            used = quotas.usage(s, project_id, user_id)
            return {"id": project_id, **{k: {"limit": found[k], "in_use": used.get(k, 0),
                                             "reserved": 0} for k in set_resources(v)}}
        return compute.reply(call, 200, {"quota_set": compute.read(work)})

    @r.put(base)
    def update(call: Call) -> Reply:
        v = compute.version(call)
        project_id, user_id = target(call)
        compute.enforce(call, "os_compute_api:os-quota-sets:update",
                        {"project_id": project_id})
        body = schemas.validate(update_schema("quota_set", set_resources(v), True),
                                call.body())["quota_set"]
        force = params.to_bool(body.pop("force", False))
        values = {k: params.to_int(val, k, -1) for k, val in body.items()}

        def work(s: Session) -> dict[str, Any]:
            if not force:
                check_limits(values, quotas.usage(s, project_id, user_id),
                             quotas.limits_for(s, project_id) if user_id else None)
            store(s, project_id, user_id, values)
            s.flush()
            found = quotas.limits_for(s, project_id, user_id)
            return {k: found[k] for k in set_resources(v)}
        return compute.reply(call, 200, {"quota_set": compute.write(work)})

    @r.delete(base)
    def delete(call: Call) -> Reply:
        project_id, user_id = target(call)
        compute.enforce(call, "os_compute_api:os-quota-sets:delete",
                        {"project_id": project_id})

        def work(s: Session) -> None:
            q = sa.delete(cm.QuotaLimit).where(cm.QuotaLimit.project_id == project_id)
            if user_id:
                q = q.where(cm.QuotaLimit.user_id == user_id)
            s.execute(q)
        compute.write(work)
        return compute.reply(call, 202)

    class_routes(r, compute)
    return r


def class_routes(r: RouteTable, compute: Compute) -> None:
    base = "/v2.1/os-quota-class-sets/{name}"

    def check_name(name: str) -> None:
        if not 1 <= len(name) <= 255:
            raise BadRequest("The quota class name must be 1 to 255 characters long.")

    @r.get(base)
    def show(call: Call) -> Reply:
        v = compute.version(call)
        name = call.params["name"]
        check_name(name)
        compute.enforce(call, "os_compute_api:os-quota-class-sets:show")
        found = compute.read(lambda s: class_limits(s, name))
        body = {"id": name, **{k: found[k] for k in class_resources(v)}}
        return compute.reply(call, 200, {"quota_class_set": body})

    @r.put(base)
    def update(call: Call) -> Reply:
        v = compute.version(call)
        name = call.params["name"]
        check_name(name)
        compute.enforce(call, "os_compute_api:os-quota-class-sets:update")
        names = class_resources(v) if v >= (2, 50) else RESOURCES
        body = schemas.validate(update_schema("quota_class_set", names, False),
                                call.body())["quota_class_set"]
        values = {k: params.to_int(val, k, -1) for k, val in body.items()}

        def work(s: Session) -> dict[str, Any]:
            store(s, quotas.CLASS_PREFIX + name, "", values)
            s.flush()
            found = class_limits(s, name)
            return {k: found[k] for k in class_resources(v)}
        return compute.reply(call, 200, {"quota_class_set": compute.write(work)})

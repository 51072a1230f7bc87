"""Flavors: list (filters, sorting, paging), show, create, update (2.55), delete, extra specs
and the access list of private flavors.

A private flavor is visible to admins and to the projects on its access list; everyone else
gets 404, as from Nova.
"""
from __future__ import annotations

import re
import uuid
from typing import Any

from onestack.compute import models as cm
from onestack.compute import schemas
from onestack.compute.api import params
from onestack.compute.api.common import Compute, links
from onestack.compute.service import flavors as service
from onestack.core.db import utcnow
from onestack.core.errors import BadRequest, NotFound
from onestack.core.http import Call, Reply, RouteTable

FLAVOR_ID_RE = re.compile(r"^(?! )[a-zA-Z0-9. _-]+(?<! )$")
SORT_KEYS = {"flavorid": "id", "name": "name", "memory_mb": "ram", "vcpus": "vcpus",
             "root_gb": "disk", "ephemeral_gb": "ephemeral", "swap": "swap",
             "rxtx_factor": "rxtx_factor", "is_public": "is_public", "disabled": "disabled",
             "description": "description", "created_at": "created_at",
             "updated_at": "created_at", "id": "created_at", "vcpu_weight": "created_at"}
DESCRIPTION = {"type": ["string", "null"], "minLength": 0, "maxLength": 65535}
_FLAVOR_FIELDS: dict[str, Any] = {
    "name": params.NAME,
    "id": {"type": ["string", "number", "null"], "minLength": 1, "maxLength": 255},
    "ram": params.POSITIVE_INT, "vcpus": params.POSITIVE_INT,
    "disk": params.NON_NEGATIVE_INT,
    "OS-FLV-EXT-DATA:ephemeral": params.NON_NEGATIVE_INT,
    "swap": params.NON_NEGATIVE_INT,
    "rxtx_factor": {"type": ["number", "string"], "pattern": r"^[0-9]+(\.[0-9]+)?$",
                    "minimum": 0, "exclusiveMinimum": True, "maximum": 3.40282e+38},
    "os-flavor-access:is_public": params.BOOLEAN,
}


def create_schema(description: bool) -> dict[str, Any]:
    fields = dict(_FLAVOR_FIELDS)
    if description:
        fields["description"] = DESCRIPTION
    return {"type": "object", "properties": {"flavor": {
        "type": "object", "properties": fields,
        "required": ["name", "ram", "vcpus", "disk"], "additionalProperties": False}},
        "required": ["flavor"], "additionalProperties": False}


CREATE_21, CREATE_255 = create_schema(False), create_schema(True)
UPDATE = {"type": "object", "properties": {"flavor": {
    "type": "object", "properties": {"description": DESCRIPTION},
    "required": ["description"], "additionalProperties": False}},
    "required": ["flavor"], "additionalProperties": False}
_SPEC_VALUE = {"type": ["string", "number", "boolean"], "minLength": 0, "maxLength": 255}
EXTRA_SPECS = {"type": "object", "properties": {"extra_specs": {
    "type": "object", "patternProperties": {params.METADATA_KEY: _SPEC_VALUE},
    "additionalProperties": False}},
    "required": ["extra_specs"], "additionalProperties": False}
EXTRA_SPEC_ITEM = {"type": "object", "patternProperties": {params.METADATA_KEY: _SPEC_VALUE},
                   "minProperties": 1, "maxProperties": 1, "additionalProperties": False}
_TENANT = {"type": "object", "properties": {"tenant": {
    "type": "string", "minLength": 1, "maxLength": 255, "pattern": r"^[a-zA-Z0-9-_]*$"}},
    "required": ["tenant"], "additionalProperties": False}
ACCESS_ACTION = {"type": "object", "properties": {"addTenantAccess": _TENANT,
                                                  "removeTenantAccess": _TENANT},
                 "minProperties": 1, "maxProperties": 1, "additionalProperties": False}

# Values of well-known extra specs, checked from 2.86 (other keys are accepted as given).
KNOWN_SPECS: dict[str, Any] = {
    "hw:cpu_policy": ("dedicated", "shared", "mixed"),
    "hw:cpu_thread_policy": ("prefer", "isolate", "require"),
    "hw:mem_page_size": None,
    "hw:numa_nodes": int,
    "hw:cpu_sockets": int, "hw:cpu_cores": int, "hw:cpu_threads": int,
    "hw:cpu_max_sockets": int, "hw:cpu_max_cores": int, "hw:cpu_max_threads": int,
}


def flavor_view(call: Call, f: cm.Flavor, version: tuple[int, int],
                with_specs: bool) -> dict[str, Any]:
    """The 2.1 detail view, with ``description`` from 2.55, ``extra_specs`` from 2.61 (when
    the caller may read them) and an integer ``swap`` from 2.75 (an empty string before when
    the flavor has none)."""
    out: dict[str, Any] = {
        "id": f.id, "name": f.name, "ram": f.ram, "disk": f.disk,
        "swap": f.swap if (f.swap or version >= (2, 75)) else "",
        "OS-FLV-EXT-DATA:ephemeral": f.ephemeral, "OS-FLV-DISABLED:disabled": f.disabled,
        "vcpus": f.vcpus, "os-flavor-access:is_public": f.is_public,
        "rxtx_factor": f.rxtx_factor, "links": links(call, "flavors", f.id)}
    if version >= (2, 55):
        out["description"] = f.description
    if version >= (2, 61) and with_specs:
        out["extra_specs"] = dict(f.extra_specs or {})
    return out


def brief_view(call: Call, f: cm.Flavor, version: tuple[int, int]) -> dict[str, Any]:
    out: dict[str, Any] = {"id": f.id, "name": f.name, "links": links(call, "flavors", f.id)}
    if version >= (2, 55):
        out["description"] = f.description
    return out


def parse_is_public(value: str | None) -> bool | None:
    """The admin ``is_public`` filter: absent or ``none`` means every flavor."""
    if value is None or value.strip().lower() == "none":
        return None
    low = value.strip().lower()
    if low in params.TRUE_STRINGS:
        return True
    if low in params.FALSE_STRINGS:
        return False
    raise BadRequest(f"Invalid is_public filter [{value}]")


def sort_flavors(flavors: list[cm.Flavor], sort_key: str, sort_dir: str) -> list[cm.Flavor]:
    """Order by Nova's sort key (flavorid by default) with the flavor id as tie breaker."""
    if sort_key not in SORT_KEYS:
        raise BadRequest(f"Invalid input for query parameters sort_key. Value: {sort_key}.")
    if sort_dir not in ("asc", "desc"):
        raise BadRequest(f"Invalid input for query parameters sort_dir. Value: {sort_dir}.")
    attr = SORT_KEYS[sort_key]

    def key(f: cm.Flavor) -> tuple:
        value = getattr(f, attr)
        return (value is not None, value if value is not None else 0, f.id)
    return sorted(flavors, key=key, reverse=sort_dir == "desc")


def check_spec(key: str, value: str) -> None:
    """Nova 2.86 validates the values of the extra specs it knows."""
    rule = KNOWN_SPECS.get(key, None)
    if rule is int:
        try:
            if int(value) < 1:
                raise ValueError(value)
        except ValueError as exc:
            raise BadRequest(f"Validation failed; extra spec {key} must be an integer "
                             f"greater than zero; got '{value}'.") from exc
    elif isinstance(rule, tuple) and value not in rule:
        raise BadRequest(f"Validation failed; '{value}' is not one of {list(rule)}; "
                         f"got '{value}' for extra spec {key}.")


def spec_values(specs: dict[str, Any], version: tuple[int, int]) -> dict[str, str]:
    out = {k: v if isinstance(v, str) else str(v) for k, v in specs.items()}
    if version >= (2, 86):
        for k, v in out.items():
            check_spec(k, v)
    return out


def new_flavor(body: dict[str, Any]) -> cm.Flavor:
    """A flavor row from a validated create body (ids and numbers normalised as Nova does)."""
    raw_id = body.get("id")
    flavor_id = str(uuid.uuid4()) if raw_id is None else str(raw_id)
    if not FLAVOR_ID_RE.match(flavor_id):
        raise BadRequest("Flavor id can only contain letters from A-Z (both cases), periods, "
                         "dashes, underscores and spaces.")
    rxtx = float(body.get("rxtx_factor", 1.0))
    if not 0 < rxtx <= 3.40282e+38:
        raise BadRequest("rxtx_factor must be > 0 and <= 3.40282e+38")
    return cm.Flavor(
        id=flavor_id, name=body["name"],
        ram=params.to_int(body["ram"], "ram", 1),
        vcpus=params.to_int(body["vcpus"], "vcpus", 1),
        disk=params.to_int(body["disk"], "disk", 0),
        ephemeral=params.to_int(body.get("OS-FLV-EXT-DATA:ephemeral", 0), "ephemeral", 0),
        swap=params.to_int(body.get("swap", 0), "swap", 0),
        rxtx_factor=rxtx,
        is_public=params.to_bool(body.get("os-flavor-access:is_public", True)),
        disabled=False, description=body.get("description"), extra_specs={},
        created_at=utcnow())


def parse_query(call: Call, admin: bool) -> service.FlavorQuery:
    """The list filters; ``is_public`` is read for admins only (others see public ones and
    their own private ones)."""
    return service.FlavorQuery(
        is_public=parse_is_public(call.q("is_public")) if admin else True,
        min_ram=params.int_filter(call, "minRam"), min_disk=params.int_filter(call, "minDisk"))


def listing(compute: Compute, call: Call) -> list[cm.Flavor]:
    """The flavors a list call shows: filtered, sorted, one page."""
    deps = compute.deps
    q = parse_query(call, service.sees_all(deps, call.ctx))
    limit, marker = params.limit_marker(call)
    flavors = sort_flavors(service.list_flavors(deps, call.ctx, q),
                           call.q("sort_key") or "flavorid", call.q("sort_dir") or "asc")
    return params.page(flavors, "id", limit, marker)


def collection(call: Call, items: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {"flavors": items}
    limit, _ = params.limit_marker(call)
    nxt = params.next_link(call, items, limit)
    if nxt:
        out["flavors_links"] = nxt
    return out


def routes(compute: Compute) -> RouteTable:
    r = RouteTable()
    deps = compute.deps

    @r.get("/v2.1/flavors")
    def list_flavors(call: Call) -> Reply:
        v = compute.version(call)
        items = [brief_view(call, f, v) for f in listing(compute, call)]
        return compute.reply(call, 200, collection(call, items))

    @r.get("/v2.1/flavors/detail")
    def list_detail(call: Call) -> Reply:
        v = compute.version(call)
        specs = service.reads_specs(deps, call.ctx)
        items = [flavor_view(call, f, v, specs) for f in listing(compute, call)]
        return compute.reply(call, 200, collection(call, items))

    @r.get("/v2.1/flavors/{flavor_id}")
    def show(call: Call) -> Reply:
        v = compute.version(call)
        specs = service.reads_specs(deps, call.ctx)
        f = service.get_flavor(deps, call.ctx, call.params["flavor_id"])
        return compute.reply(call, 200, {"flavor": flavor_view(call, f, v, specs)})

    @r.post("/v2.1/flavors")
    def create(call: Call) -> Reply:
        v = compute.version(call)
        deps.enforce(call.ctx, service.MANAGE + "create")
        body = schemas.validate(CREATE_255 if v >= (2, 55) else CREATE_21, call.body())
        f = service.create_flavor(deps, call.ctx, new_flavor(body["flavor"]))
        return compute.reply(call, 200, {"flavor": flavor_view(call, f, v, True)})

    @r.put("/v2.1/flavors/{flavor_id}")
    def update(call: Call) -> Reply:
        v = compute.version(call)
        if v < (2, 55):
            raise NotFound("The resource could not be found.")
        deps.enforce(call.ctx, service.MANAGE + "update")
        body = schemas.validate(UPDATE, call.body())
        f = service.describe_flavor(deps, call.ctx, call.params["flavor_id"],
                                    body["flavor"]["description"])
        return compute.reply(call, 200, {"flavor": flavor_view(call, f, v, True)})

    @r.delete("/v2.1/flavors/{flavor_id}")
    def delete(call: Call) -> Reply:
        service.delete_flavor(deps, call.ctx, call.params["flavor_id"])
        return compute.reply(call, 202)

    extra_specs_routes(r, compute)
    access_routes(r, compute)
    return r


def extra_specs_routes(r: RouteTable, compute: Compute) -> None:
    base = "/v2.1/flavors/{flavor_id}/os-extra_specs"
    deps = compute.deps

    @r.get(base)
    def index(call: Call) -> Reply:
        f = service.get_flavor(deps, call.ctx, call.params["flavor_id"], service.SPECS + "index")
        return compute.reply(call, 200, {"extra_specs": dict(f.extra_specs or {})})

    @r.post(base)
    def create(call: Call) -> Reply:
        v = compute.version(call)
        deps.enforce(call.ctx, service.SPECS + "create")
        specs = spec_values(schemas.validate(EXTRA_SPECS, call.body())["extra_specs"], v)
        service.set_specs(deps, call.ctx, call.params["flavor_id"], specs, "create")
        return compute.reply(call, 200, {"extra_specs": specs})

    @r.get(base + "/{key}")
    def show(call: Call) -> Reply:
        f = service.get_flavor(deps, call.ctx, call.params["flavor_id"], service.SPECS + "show")
        key = call.params["key"]
        if key not in (f.extra_specs or {}):
            raise NotFound(f"Flavor {f.id} has no extra specs with key {key}.")
        return compute.reply(call, 200, {key: f.extra_specs[key]})

    @r.put(base + "/{key}")
    def update(call: Call) -> Reply:
        v = compute.version(call)
        deps.enforce(call.ctx, service.SPECS + "update")
        key = call.params["key"]
        body = call.body()
        if len(body) > 1:
            raise BadRequest("Request body contains too many items")
        specs = spec_values(schemas.validate(EXTRA_SPEC_ITEM, body), v)
        if key not in specs:
            raise BadRequest("Request body and URI mismatch")
        service.set_specs(deps, call.ctx, call.params["flavor_id"], specs, "update")
        return compute.reply(call, 200, specs)

    @r.delete(base + "/{key}")
    def delete(call: Call) -> Reply:
        service.delete_spec(deps, call.ctx, call.params["flavor_id"], call.params["key"])
        return compute.reply(call, 200)


def access_routes(r: RouteTable, compute: Compute) -> None:
    deps = compute.deps

    @r.get("/v2.1/flavors/{flavor_id}/os-flavor-access")
    def index(call: Call) -> Reply:
        found = service.list_access(deps, call.ctx, call.params["flavor_id"])
        return compute.reply(call, 200, {"flavor_access": found})

    @r.post("/v2.1/flavors/{flavor_id}/action")
    def action(call: Call) -> Reply:
        v = compute.version(call)
        body = call.body()
        name = next(iter(body), "")
        service.authorize_access_change(deps, call.ctx, name)
        body = schemas.validate(ACCESS_ACTION, body)
        found = service.change_access(deps, call.ctx, call.params["flavor_id"], name,
                                      body[name]["tenant"], refuse_public=v >= (2, 7))
        return compute.reply(call, 200, {"flavor_access": found})

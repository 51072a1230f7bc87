"""Flavors: list (filters, sorting, paging), show, create, update (2.55), delete, extra specs
and the access list of private flavors.

A private flavor is visible to admins and to the projects on its access list; everyone else
gets 404, as from Nova.
"""
from __future__ import annotations

import re
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.compute import models as cm
from onestack.compute import schemas
from onestack.compute.api import params
from onestack.compute.api.common import Compute, links
from onestack.core.db import utcnow
from onestack.core.errors import BadRequest, Conflict, NotFound
from onestack.core.http import Call, Reply, RouteTable

ADMIN = "role:admin"
READER = "role:reader or role:admin"
RULES = [
    ("os_compute_api:os-flavor-manage:create", ADMIN),
    ("os_compute_api:os-flavor-manage:update", ADMIN),
    ("os_compute_api:os-flavor-manage:delete", ADMIN),
    ("os_compute_api:os-flavor-extra-specs:index", READER),
    ("os_compute_api:os-flavor-extra-specs:show", READER),
    ("os_compute_api:os-flavor-extra-specs:create", ADMIN),
    ("os_compute_api:os-flavor-extra-specs:update", ADMIN),
    ("os_compute_api:os-flavor-extra-specs:delete", ADMIN),
    # Seeing every flavor (private ones, the is_public filter) and reading access lists.
    ("os_compute_api:os-flavor-access", ADMIN),
    ("os_compute_api:os-flavor-access:add_tenant_access", ADMIN),
    ("os_compute_api:os-flavor-access:remove_tenant_access", ADMIN),
]

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


def flavor_not_found(flavor_id: str) -> NotFound:
    return NotFound(f"Flavor {flavor_id} could not be found.")


def visible(s: Session, f: cm.Flavor, project_id: str, admin: bool) -> bool:
    return admin or f.is_public or s.get(cm.FlavorAccess, (f.id, project_id)) is not None


def routes(compute: Compute) -> RouteTable:
    r = RouteTable()

    def admin(call: Call) -> bool:
        return compute.allowed(call, "os_compute_api:os-flavor-access")

    def get_flavor(s: Session, call: Call, flavor_id: str) -> cm.Flavor:
        f = s.get(cm.Flavor, flavor_id)
        if f is None or not visible(s, f, call.ctx.project_id, admin(call)):
            raise flavor_not_found(flavor_id)
        return f

    def listing(call: Call) -> list[cm.Flavor]:
        is_admin = admin(call)
        is_public: bool | None = True
        if is_admin:
            is_public = parse_is_public(call.q("is_public"))
        min_ram, min_disk = params.int_filter(call, "minRam"), params.int_filter(call, "minDisk")
        limit, marker = params.limit_marker(call)

        def work(s: Session) -> list[cm.Flavor]:
            flavors = list(s.scalars(sa.select(cm.Flavor)))
            mine = set(s.scalars(sa.select(cm.FlavorAccess.flavor_id).where(
                cm.FlavorAccess.project_id == call.ctx.project_id)))
            out = []
            for f in flavors:
                if is_public is True and not (f.is_public or f.id in mine):
                    continue
                if is_public is False and f.is_public:
                    continue
                if not is_admin and f.disabled:
                    continue
                if min_ram is not None and f.ram < min_ram:
                    continue
                if min_disk is not None and f.disk < min_disk:
                    continue
                out.append(f)
            return out
        flavors = sort_flavors(compute.read(work), call.q("sort_key") or "flavorid",
                               call.q("sort_dir") or "asc")
        return params.page(flavors, "id", limit, marker)

    def collection(call: Call, items: list[dict[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {"flavors": items}
        limit, _ = params.limit_marker(call)
        nxt = params.next_link(call, items, limit)
        if nxt:
            out["flavors_links"] = nxt
        return out

    @r.get("/v2.1/flavors")
    def list_flavors(call: Call) -> Reply:
        v = compute.version(call)
        items = [brief_view(call, f, v) for f in listing(call)]
        return compute.reply(call, 200, collection(call, items))

    @r.get("/v2.1/flavors/detail")
    def list_detail(call: Call) -> Reply:
        v = compute.version(call)
        specs = compute.allowed(call, "os_compute_api:os-flavor-extra-specs:index")
        items = [flavor_view(call, f, v, specs) for f in listing(call)]
        return compute.reply(call, 200, collection(call, items))

    @r.get("/v2.1/flavors/{flavor_id}")
    def show(call: Call) -> Reply:
        v = compute.version(call)
        specs = compute.allowed(call, "os_compute_api:os-flavor-extra-specs:index")
        f = compute.read(lambda s: get_flavor(s, call, call.params["flavor_id"]))
        return compute.reply(call, 200, {"flavor": flavor_view(call, f, v, specs)})

    @r.post("/v2.1/flavors")
    def create(call: Call) -> Reply:
        v = compute.version(call)
        compute.enforce(call, "os_compute_api:os-flavor-manage:create")
        body = schemas.validate(CREATE_255 if v >= (2, 55) else CREATE_21, call.body())
        f = new_flavor(body["flavor"])

        def work(s: Session) -> cm.Flavor:
            if s.scalar(sa.select(cm.Flavor.id).where(cm.Flavor.name == f.name)):
                raise Conflict(f"Flavor with name {f.name} already exists.")
            if s.get(cm.Flavor, f.id) is not None:
                raise Conflict(f"Flavor with ID {f.id} already exists.")
            s.add(f)
            return f
        flavor = compute.write(work)
        return compute.reply(call, 200, {"flavor": flavor_view(call, flavor, v, True)})

    @r.put("/v2.1/flavors/{flavor_id}")
    def update(call: Call) -> Reply:
        v = compute.version(call)
        if v < (2, 55):
            raise NotFound("The resource could not be found.")
        compute.enforce(call, "os_compute_api:os-flavor-manage:update")
        body = schemas.validate(UPDATE, call.body())

        def work(s: Session) -> cm.Flavor:
            f = get_flavor(s, call, call.params["flavor_id"])
            f.description = body["flavor"]["description"]
            return f
        f = compute.write(work)
        return compute.reply(call, 200, {"flavor": flavor_view(call, f, v, True)})

    @r.delete("/v2.1/flavors/{flavor_id}")
    def delete(call: Call) -> Reply:
        compute.enforce(call, "os_compute_api:os-flavor-manage:delete")

        def work(s: Session) -> None:
            f = get_flavor(s, call, call.params["flavor_id"])
            s.execute(sa.delete(cm.FlavorAccess).where(cm.FlavorAccess.flavor_id == f.id))
            s.delete(f)
        compute.write(work)
        return compute.reply(call, 202)

    extra_specs_routes(r, compute, get_flavor)
    access_routes(r, compute, get_flavor)
    return r


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


def extra_specs_routes(r: RouteTable, compute: Compute, get_flavor: Any) -> None:
    base = "/v2.1/flavors/{flavor_id}/os-extra_specs"

    @r.get(base)
    def index(call: Call) -> Reply:
        compute.enforce(call, "os_compute_api:os-flavor-extra-specs:index")
        f = compute.read(lambda s: get_flavor(s, call, call.params["flavor_id"]))
        return compute.reply(call, 200, {"extra_specs": dict(f.extra_specs or {})})

    @r.post(base)
    def create(call: Call) -> Reply:
        v = compute.version(call)
        compute.enforce(call, "os_compute_api:os-flavor-extra-specs:create")
        specs = spec_values(schemas.validate(EXTRA_SPECS, call.body())["extra_specs"], v)

        def work(s: Session) -> None:
            f = get_flavor(s, call, call.params["flavor_id"])
            f.extra_specs = {**(f.extra_specs or {}), **specs}
        compute.write(work)
        return compute.reply(call, 200, {"extra_specs": specs})

    @r.get(base + "/{key}")
    def show(call: Call) -> Reply:
        compute.enforce(call, "os_compute_api:os-flavor-extra-specs:show")
        f = compute.read(lambda s: get_flavor(s, call, call.params["flavor_id"]))
        key = call.params["key"]
        if key not in (f.extra_specs or {}):
            raise NotFound(f"Flavor {f.id} has no extra specs with key {key}.")
        return compute.reply(call, 200, {key: f.extra_specs[key]})

    @r.put(base + "/{key}")
    def update(call: Call) -> Reply:
        v = compute.version(call)
        compute.enforce(call, "os_compute_api:os-flavor-extra-specs:update")
        key = call.params["key"]
        body = call.body()
        if len(body) > 1:
            raise BadRequest("Request body contains too many items")
        specs = spec_values(schemas.validate(EXTRA_SPEC_ITEM, body), v)
        if key not in specs:
            raise BadRequest("Request body and URI mismatch")

        def work(s: Session) -> None:
            f = get_flavor(s, call, call.params["flavor_id"])
            f.extra_specs = {**(f.extra_specs or {}), **specs}
        compute.write(work)
        return compute.reply(call, 200, specs)

    @r.delete(base + "/{key}")
    def delete(call: Call) -> Reply:
        compute.enforce(call, "os_compute_api:os-flavor-extra-specs:delete")
        key = call.params["key"]

        def work(s: Session) -> None:
            f = get_flavor(s, call, call.params["flavor_id"])
            specs = dict(f.extra_specs or {})
            if key not in specs:
                raise NotFound(f"Flavor {f.id} has no extra specs with key {key}.")
            del specs[key]
            f.extra_specs = specs
        compute.write(work)
        return compute.reply(call, 200)


def access_routes(r: RouteTable, compute: Compute, get_flavor: Any) -> None:
    def access_list(s: Session, flavor_id: str) -> dict[str, Any]:
        rows = s.scalars(sa.select(cm.FlavorAccess).where(cm.FlavorAccess.flavor_id == flavor_id)
                         .order_by(cm.FlavorAccess.project_id))
        return {"flavor_access": [{"flavor_id": a.flavor_id, "tenant_id": a.project_id}
                                  for a in rows]}

    @r.get("/v2.1/flavors/{flavor_id}/os-flavor-access")
    def index(call: Call) -> Reply:
        compute.enforce(call, "os_compute_api:os-flavor-access")

        def work(s: Session) -> dict[str, Any]:
            f = get_flavor(s, call, call.params["flavor_id"])
            if f.is_public:
                raise NotFound("Access list not available for public flavors.")
            return access_list(s, f.id)
        return compute.reply(call, 200, compute.read(work))

    @r.post("/v2.1/flavors/{flavor_id}/action")
    def action(call: Call) -> Reply:
        v = compute.version(call)
        body = call.body()
        name = next(iter(body), "")
        if name == "addTenantAccess":
            compute.enforce(call, "os_compute_api:os-flavor-access:add_tenant_access")
        elif name == "removeTenantAccess":
            compute.enforce(call, "os_compute_api:os-flavor-access:remove_tenant_access")
        body = schemas.validate(ACCESS_ACTION, body)
        tenant = body[name]["tenant"]

        def work(s: Session) -> dict[str, Any]:
            f = get_flavor(s, call, call.params["flavor_id"])
            row = s.get(cm.FlavorAccess, (f.id, tenant))
            if name == "addTenantAccess":
                if f.is_public and v >= (2, 7):
                    raise Conflict("Can not add access to a public flavor.")
                if row is not None:
                    raise Conflict(f"Flavor access already exists for flavor {f.id} and "
                                   f"project {tenant} combination.")
                s.add(cm.FlavorAccess(flavor_id=f.id, project_id=tenant))
            else:
                if row is None:
                    raise NotFound(f"Flavor access not found for {f.id} / {tenant} "
                                   "combination.")
                s.delete(row)
            s.flush()
            return access_list(s, f.id)
        return compute.reply(call, 200, compute.write(work))

"""Servers: create, list, show, update, delete, metadata, addresses, password, interfaces
and instance actions. Each handler parses the request, calls one use case of
``compute.service`` (which checks policy and owns the transaction) and renders."""
from __future__ import annotations

import re
from functools import partial
from typing import Any, Callable

from onestack.compute import action_schemas, schemas, views
from onestack.compute import models as cm
from onestack.compute.api.common import Compute, int_query, links, root
from onestack.compute.policies import register, servers as server_rules
from onestack.compute.service import create as creating
from onestack.compute.api import interfaces
from onestack.compute.service import listing, networking, server_metadata, server_tags
from onestack.compute.service import servers as service
from onestack.compute.service import volumes
from onestack.compute.service.servers import Deps
from onestack.core.errors import BadRequest, NotFound
from onestack.core.http import Call, Reply, RouteTable

RULES = server_rules.RULES
UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?"
                     r"[0-9a-fA-F]{12}$")
BASE = "/v2.1/servers"
ONE = BASE + "/{server_id}"
META = ONE + "/metadata"
Handler = Callable[[Compute, Call], Reply]


def deps(compute: Compute) -> Deps:
    return Deps(compute.db, compute.platform.policy, compute.bus,
                network=compute.platform.seams.get("network"),
                volume=compute.platform.seams.get("volume"))


def is_admin(compute: Compute, call: Call) -> bool:
    return compute.allowed(call, service.ADMIN_RULE)


def _to_int(value: Any, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise BadRequest(f"Invalid input for field/attribute {name}.") from exc


def _image_ref(server: dict[str, Any], version: tuple[int, int] = (2, 1)
               ) -> tuple[str, list[Any]]:
    """The boot image ("" for a volume-backed server) and the volume mappings."""
    from onestack.compute.api.volume_attachments import parse_block_devices

    image_ref, volumes = parse_block_devices(server, version)
    if not image_ref:
        return "", volumes
    image_ref = listing.ref_id(image_ref)
    if not UUID_RE.match(image_ref):
        raise BadRequest(f"Invalid imageRef provided: {server['imageRef']}.")
    return image_ref, volumes


def parse_boot(body: dict[str, Any], version: tuple[int, int] = (2, 1)
               ) -> creating.BootRequest:
    server = body["server"]
    hints = body.get("os:scheduler_hints") or body.get("OS-SCH-HNT:scheduler_hints") or {}
    min_count = _to_int(server.get("min_count", 1), "min_count")
    max_count = _to_int(server.get("max_count", min_count), "max_count")
    if min_count < 1 or max_count < 1 or min_count > max_count:
        raise BadRequest("min_count must be <= max_count and both positive.")
    networks = interfaces.parse_networks(server.get("networks"), version)
    zone, forced_host, forced = server.get("availability_zone"), None, False
    if zone and ":" in zone:
        forced = True
        zone, _, forced_host = zone.partition(":")
        forced_host = forced_host.split(":")[0] or None
        zone = zone or None
    image_ref, volumes = _image_ref(server, version)
    return creating.BootRequest(server, image_ref, listing.ref_id(server["flavorRef"]),
                                min_count=min_count, max_count=max_count, zone=zone,
                                forced_host=forced_host, forced=forced, hints=hints,
                                networks=networks, block_devices=volumes)


def create(compute: Compute, call: Call) -> Reply:
    version = compute.version(call)
    body = schemas.validate(schemas.SERVER_CREATE, call.body())
    schemas.validate(action_schemas.SERVER_CREATE_EXTRA, body)
    if version >= (2, 37) and "networks" not in body["server"] and \
            compute.platform.seams.get("network") is not None:
        raise BadRequest("Invalid input for field/attribute server. 'networks' is a "
                         "required property")  # from 2.37, as in Nova
    req = parse_boot(body, version)
    booted = creating.create(deps(compute), call.ctx, req)
    if req.server.get("return_reservation_id") in (True, "true", "True"):
        return compute.reply(call, 202, {"reservation_id": booted.reservation_id})
    first = booted.ids[0]
    out = {"server": {"id": first, "links": links(call, "servers", first),
                      "OS-DCF:diskConfig": req.server.get("OS-DCF:diskConfig", "MANUAL"),
                      "security_groups": [{"name": g.get("name", "default")} for g in
                                          req.server.get("security_groups") or
                                          [{"name": "default"}]],
                      "adminPass": booted.admin_pass}}
    return compute.reply(call, 202, out, {"Location": f"{root(call)}/servers/{first}",
                                          "x-compute-request-id": call.ctx.request_id})


def listing_reply(compute: Compute, call: Call, detailed: bool) -> Reply:
    version = compute.version(call)
    filters = dict(call.query)
    if version < (2, 26):  # tag filters came with server tags
        filters = {k: v for k, v in filters.items() if k not in listing.TAG_FILTERS}
    query = listing.ListQuery(filters, int_query(call, "limit"), call.q("marker"), detailed)
    page = listing.list_servers(deps(compute), call.ctx, query)
    admin = is_admin(compute, call)
    if detailed:
        addresses = networking.addresses_of(deps(compute), [v.instance.id
                                                            for v in page.servers])
        attached = volumes.volumes_attached(deps(compute), [v.instance.id
                                                            for v in page.servers])
        items = [views.detail(call, v.instance, v.fault, admin, version,
                              addresses=addresses.get(v.instance.id),
                              volumes=attached.get(v.instance.id))
                 for v in page.servers]
    else:
        items = [views.brief(call, v.instance) for v in page.servers]
    body: dict[str, Any] = {"servers": items}
    if page.next_marker:
        path = "servers/detail" if detailed else "servers"
        params = {**dict(call.query), "marker": page.next_marker}
        query_string = "&".join(f"{k}={v}" for k, v in params.items())
        body["servers_links"] = [{"rel": "next",
                                  "href": f"{root(call)}/{path}?{query_string}"}]
    return compute.reply(call, 200, body)


def show(compute: Compute, call: Call) -> Reply:
    version = compute.version(call)
    d = deps(compute)
    view = service.show(d, call.ctx, call.params["server_id"])
    return compute.reply(call, 200, {"server": views.detail(
        call, view.instance, view.fault, is_admin(compute, call), version, view.groups,
        addresses=view.addresses, security_groups=view.security_groups,
        volumes=volumes.volumes_attached(d, [view.instance.id]).get(view.instance.id))})


def update(compute: Compute, call: Call) -> Reply:
    version = compute.version(call)
    body = schemas.validate(schemas.SERVER_UPDATE, call.body())
    schemas.validate(action_schemas.SERVER_UPDATE_EXTRA, body)
    view = service.update(deps(compute), call.ctx, call.params["server_id"], body["server"])
    ident = view.instance.id
    return compute.reply(call, 200, {"server": views.updated(
        call, view.instance, is_admin(compute, call), version, view.groups or [],
        addresses=networking.addresses_of(deps(compute), [ident]).get(ident))})


def delete(compute: Compute, call: Call) -> Reply:
    compute.version(call)
    service.request_delete(deps(compute), call.ctx, call.params["server_id"], "delete",
                           "os_compute_api:servers:delete")
    return compute.reply(call, 204)


# --- metadata ---------------------------------------------------------------
def list_meta(compute: Compute, call: Call) -> Reply:
    meta = server_metadata.index(deps(compute), call.ctx, call.params["server_id"])
    return compute.reply(call, 200, {"metadata": meta})


def merge_meta(compute: Compute, call: Call) -> Reply:
    new = schemas.validate(schemas.METADATA, call.body())["metadata"]
    meta = server_metadata.merge(deps(compute), call.ctx, call.params["server_id"], new)
    return compute.reply(call, 200, {"metadata": meta})


def replace_meta(compute: Compute, call: Call) -> Reply:
    new = schemas.validate(schemas.METADATA, call.body())["metadata"]
    meta = server_metadata.replace(deps(compute), call.ctx, call.params["server_id"], new)
    return compute.reply(call, 200, {"metadata": meta})


def show_meta(compute: Compute, call: Call) -> Reply:
    item = server_metadata.show(deps(compute), call.ctx, call.params["server_id"],
                                call.params["key"])
    return compute.reply(call, 200, {"meta": item})


def set_meta(compute: Compute, call: Call) -> Reply:
    item = schemas.validate(schemas.META_ITEM, call.body())["meta"]
    key = call.params["key"]
    if key not in item:
        raise BadRequest("Request body and URI mismatch")
    out = server_metadata.set_item(deps(compute), call.ctx, call.params["server_id"], key,
                                   item[key])
    return compute.reply(call, 200, {"meta": out})


def delete_meta(compute: Compute, call: Call) -> Reply:
    server_metadata.delete_item(deps(compute), call.ctx, call.params["server_id"],
                                call.params["key"])
    return compute.reply(call, 204)


# --- tags (2.26) ------------------------------------------------------------
TAG_RULES = [(f"os_compute_api:os-server-tags:{a}", server_rules.PROJECT_READER_OR_ADMIN)
             for a in ("index", "show")] + \
    [(f"os_compute_api:os-server-tags:{a}", server_rules.PROJECT_MEMBER_OR_ADMIN)
     for a in ("update", "update_all", "delete", "delete_all")]


def _tags_version(compute: Compute, call: Call) -> None:
    if compute.version(call) < (2, 26):
        raise NotFound("The resource could not be found.")


def list_tags(compute: Compute, call: Call) -> Reply:
    _tags_version(compute, call)
    tags = server_tags.index(deps(compute), call.ctx, call.params["server_id"])
    return compute.reply(call, 200, {"tags": tags})


def replace_tags(compute: Compute, call: Call) -> Reply:
    _tags_version(compute, call)
    body = call.body()
    if not isinstance(body.get("tags"), list) or set(body) != {"tags"}:
        raise BadRequest("Invalid input for field/attribute tags.")
    tags = server_tags.replace(deps(compute), call.ctx, call.params["server_id"],
                               body["tags"])
    return compute.reply(call, 200, {"tags": tags})


def clear_tags(compute: Compute, call: Call) -> Reply:
    _tags_version(compute, call)
    server_tags.clear(deps(compute), call.ctx, call.params["server_id"])
    return compute.reply(call, 204)


def check_tag(compute: Compute, call: Call) -> Reply:
    _tags_version(compute, call)
    server_tags.exists(deps(compute), call.ctx, call.params["server_id"], call.params["tag"])
    return compute.reply(call, 204)


def add_tag(compute: Compute, call: Call) -> Reply:
    _tags_version(compute, call)
    sid, tag = call.params["server_id"], call.params["tag"]
    if server_tags.add(deps(compute), call.ctx, sid, tag):
        return compute.reply(call, 201, None,
                             {"Location": f"{root(call)}/servers/{sid}/tags/{tag}"})
    return compute.reply(call, 204)


def delete_tag(compute: Compute, call: Call) -> Reply:
    _tags_version(compute, call)
    server_tags.remove(deps(compute), call.ctx, call.params["server_id"], call.params["tag"])
    return compute.reply(call, 204)


# --- addresses, password, interfaces, instance actions ----------------------
def _readable(compute: Compute, call: Call, rule: str) -> cm.Instance:
    return service.check_readable(deps(compute), call.ctx, call.params["server_id"], rule)


def ips(compute: Compute, call: Call) -> Reply:
    _readable(compute, call, "os_compute_api:ips:index")
    ident = call.params["server_id"]
    found = networking.addresses_of(deps(compute), [ident]).get(ident) or {}
    return compute.reply(call, 200, {"addresses": views.plain(found)})


def ips_network(compute: Compute, call: Call) -> Reply:
    _readable(compute, call, "os_compute_api:ips:show")
    ident, name = call.params["server_id"], call.params["network"]
    found = views.plain(networking.addresses_of(deps(compute), [ident]).get(ident))
    if name not in found:
        raise NotFound("Instance is not a member of specified network")
    return compute.reply(call, 200, {name: found[name]})


def password(compute: Compute, call: Call) -> Reply:
    """What the guest posted to the metadata service's password document, or ""."""
    inst = _readable(compute, call, "os_compute_api:os-server-password:show")
    return compute.reply(call, 200, {"password": service.server_password(inst)})


def clear_password(compute: Compute, call: Call) -> Reply:
    _readable(compute, call, "os_compute_api:os-server-password:clear")
    service.clear_server_password(deps(compute), call.params["server_id"])
    return compute.reply(call, 204)


def action_view(a: Any) -> dict[str, Any]:
    return {"action": a.action, "request_id": a.request_id, "user_id": a.user_id,
            "project_id": a.project_id, "start_time": a.start_time.isoformat(),
            "message": a.message, "instance_uuid": a.instance_id}


def instance_actions(compute: Compute, call: Call) -> Reply:
    found = service.instance_actions(deps(compute), call.ctx, call.params["server_id"])
    return compute.reply(call, 200, {"instanceActions": [action_view(a) for a in found]})


def instance_action(compute: Compute, call: Call) -> Reply:
    found, details = service.instance_action(deps(compute), call.ctx, call.params["server_id"],
                                             call.params["request_id"])
    body = action_view(found)
    events = []
    for e in found.events or []:
        event = {k: e.get(k) for k in ("event", "start_time", "finish_time", "result")}
        if details:
            event["traceback"] = e.get("traceback")
        events.append(event)
    body["events"] = events
    return compute.reply(call, 200, {"instanceAction": body})


ROUTES: list[tuple[str, str, Handler]] = [
    ("POST", BASE, create),
    ("GET", BASE, partial(listing_reply, detailed=False)),
    ("GET", BASE + "/detail", partial(listing_reply, detailed=True)),
    ("GET", ONE, show), ("PUT", ONE, update), ("DELETE", ONE, delete),
    ("GET", META, list_meta), ("POST", META, merge_meta), ("PUT", META, replace_meta),
    ("GET", META + "/{key}", show_meta), ("PUT", META + "/{key}", set_meta),
    ("DELETE", META + "/{key}", delete_meta),
    ("GET", ONE + "/ips", ips), ("GET", ONE + "/ips/{network}", ips_network),
    ("GET", ONE + "/tags", list_tags), ("PUT", ONE + "/tags", replace_tags),
    ("DELETE", ONE + "/tags", clear_tags), ("GET", ONE + "/tags/{tag}", check_tag),
    ("PUT", ONE + "/tags/{tag}", add_tag), ("DELETE", ONE + "/tags/{tag}", delete_tag),
    ("GET", ONE + "/os-server-password", password),
    ("DELETE", ONE + "/os-server-password", clear_password),
    ("GET", ONE + "/os-instance-actions", instance_actions),
    ("GET", ONE + "/os-instance-actions/{request_id}", instance_action),
]


def routes(compute: Compute) -> RouteTable:
    register(compute.platform.policy, RULES)
    register(compute.platform.policy, TAG_RULES)
    table = RouteTable()
    for method, path, handler in ROUTES:
        table.add(method, path, partial(handler, compute))
    return table

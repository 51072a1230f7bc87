"""Servers: create (desired state only, then the scheduler and host agents take over), list,
show, update, delete, metadata, addresses, instance actions."""
from __future__ import annotations

import re
import secrets
import uuid
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.compute import models as cm
from onestack.compute import quotas, records, schemas
from onestack.compute import states as st
from onestack.compute import views
from onestack.compute.api.common import Compute, int_query, links, root
from onestack.compute.images import find_image
from onestack.core.db import utcnow
from onestack.core.errors import BadRequest, Conflict, Forbidden, NotFound
from onestack.core.http import Call, Reply, RouteTable

RULES = [
    ("os_compute_api:servers:create", "role:member or role:admin"),
    ("os_compute_api:servers:index", "role:reader or role:admin"),
    ("os_compute_api:servers:index:get_all_tenants", "role:admin"),
    ("os_compute_api:servers:show", "role:reader or role:admin"),
    ("os_compute_api:servers:update", "role:member or role:admin"),
    ("os_compute_api:servers:delete", "role:member or role:admin"),
    ("os_compute_api:servers:create:forced_host", "role:admin"),
    ("os_compute_api:os-extended-server-attributes", "role:admin"),
    ("os_compute_api:admin", "role:admin"),
]
UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?"
                     r"[0-9a-fA-F]{12}$")


def server_not_found(ident: str) -> NotFound:
    return NotFound(f"Instance {ident} could not be found.")


def get_instance(s: Session, call: Call, compute: Compute, ident: str) -> cm.Instance:
    """The caller's instance; another project's or a deleted one is 404."""
    inst = s.get(cm.Instance, ident)
    if inst is None or inst.deleted:
        raise server_not_found(ident)
    if inst.project_id != call.ctx.project_id and not compute.allowed(
            call, "os_compute_api:admin"):
        raise server_not_found(ident)
    return inst


def hostname_from(name: str) -> str:
    """A DNS-safe hostname from a display name, as Nova derives it."""
    host = re.sub(r"[^a-zA-Z0-9-]+", "-", name).strip("-").lower()[:63]
    return host or "server"


def normalise_ip(value: str | None) -> str | None:
    import ipaddress

    if not value:
        return value
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return value


def _ref_id(ref: Any) -> str:
    ref = str(ref)
    return ref.rstrip("/").rsplit("/", 1)[-1]


def _to_int(value: Any, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise BadRequest(f"Invalid input for field/attribute {name}.") from exc


def routes(compute: Compute) -> RouteTable:
    compute.platform.policy.register(RULES)
    r = RouteTable()
    base = "/v2.1/servers"

    def is_admin(call: Call) -> bool:
        return compute.allowed(call, "os_compute_api:admin")

    # --- create -------------------------------------------------------------
    @r.post(base)
    def create(call: Call) -> Reply:
        compute.version(call)
        body = schemas.validate(schemas.SERVER_CREATE, call.body())
        compute.enforce(call, "os_compute_api:servers:create")
        server = body["server"]
        hints = body.get("os:scheduler_hints") or body.get("OS-SCH-HNT:scheduler_hints") or {}
        min_count = _to_int(server.get("min_count", 1), "min_count")
        max_count = _to_int(server.get("max_count", min_count), "max_count")
        if min_count < 1 or max_count < 1 or min_count > max_count:
            raise BadRequest("min_count must be <= max_count and both positive.")
        networks = server.get("networks")
        if isinstance(networks, list) and networks:
            for net in networks:
                if not isinstance(net, dict):
                    raise BadRequest("Bad networks format")
                if net.get("uuid") or net.get("port"):
                    raise BadRequest(f"Network {net.get('uuid') or net.get('port')} could "
                                     "not be found.")
        az_host = None
        az = server.get("availability_zone")
        if az and ":" in az:
            compute.enforce(call, "os_compute_api:servers:create:forced_host")
            az, _, az_host = az.partition(":")
            az_host = az_host.split(":")[0] or None
            az = az or None
        image_ref = server.get("imageRef", "")
        for mapping in server.get("block_device_mapping_v2") or []:
            # a local disk from an image is just the image; volumes need the volume service
            if not isinstance(mapping, dict) or mapping.get("source_type") != "image" or \
                    mapping.get("destination_type", "local") != "local":
                raise BadRequest("Block device mapping is not available: no volume service.")
            if str(mapping.get("boot_index", "")) == "0":
                image_ref = image_ref or mapping.get("uuid", "")
        if server.get("block_device_mapping"):
            raise BadRequest("Block device mapping is not available: no volume service.")
        if not image_ref:
            raise BadRequest("Missing imageRef attribute")
        if image_ref:
            image_ref = _ref_id(image_ref)
            if not UUID_RE.match(image_ref):
                raise BadRequest(f"Invalid imageRef provided: {server['imageRef']}.")
        flavor_ref = _ref_id(server["flavorRef"])
        admin_pass = server.get("adminPass") or secrets.token_urlsafe(9)
        user_data = server.get("user_data")
        ctx = call.ctx
        reservation = "r-" + secrets.token_hex(4)

        def work(s: Session) -> list[str]:
            flavor = s.get(cm.Flavor, flavor_ref)
            if flavor is None or (flavor.disabled):
                raise BadRequest(f"Flavor {flavor_ref} could not be found.")
            if not flavor.is_public and not is_admin(call) and s.get(
                    cm.FlavorAccess, (flavor.id, ctx.project_id)) is None:
                raise BadRequest(f"Flavor {flavor_ref} could not be found.")
            if image_ref:
                image = find_image(s, image_ref, ctx.project_id, is_admin(call))
                if image is None:
                    raise BadRequest(f"Image {image_ref} could not be found.")
                if image["status"] != "active":
                    raise BadRequest(f"Image {image_ref} is not active.")
                if flavor.ram < (image.get("min_ram") or 0):
                    raise BadRequest("Flavor's memory is too small for requested image.")
                if flavor.disk and flavor.disk < (image.get("min_disk") or 0):
                    raise BadRequest("Flavor's disk is too small for requested image.")
            key_data = None
            if server.get("key_name"):
                kp = s.get(cm.Keypair, (ctx.user_id, server["key_name"]))
                if kp is None:
                    raise BadRequest("Invalid key_name provided.")
                key_data = kp.public_key
            if az:
                zones = set(records.host_zones(s).values())
                if az not in zones:
                    raise BadRequest("The requested availability zone is not available")
            group_id = hints.get("group")
            if group_id:
                group = s.get(cm.ServerGroup, group_id)
                if group is None:
                    raise BadRequest(f"Invalid server group {group_id}")
            count = max_count
            try:
                quotas.check_servers(s, ctx.project_id, ctx.user_id, max_count, flavor.vcpus,
                                     flavor.ram)
            except Forbidden:
                if min_count == max_count:
                    raise
                quotas.check_servers(s, ctx.project_id, ctx.user_id, min_count, flavor.vcpus,
                                     flavor.ram)
                count = min_count
            limits = quotas.limits_for(s, ctx.project_id, ctx.user_id)
            meta = server.get("metadata") or {}
            if limits["metadata_items"] >= 0 and len(meta) > limits["metadata_items"]:
                raise Forbidden("Quota exceeded for metadata_items: Maximum number of "
                                "metadata items exceeds " f"{limits['metadata_items']}")
            ids = []
            now = utcnow()
            request = {"hints": hints}
            if group_id:
                request["group"] = group_id
            if az_host:
                request["force_host"] = az_host
            for index in range(count):
                name = server["name"]
                if count > 1:
                    name = f"{name}-{index + 1}"
                inst = cm.Instance(
                    id=str(uuid.uuid4()),
                    project_id=ctx.project_id, user_id=ctx.user_id, name=name,
                    description=server.get("description"), image_ref=image_ref,
                    flavor_id=flavor.id, flavor=records.flavor_snapshot(flavor),
                    key_name=server.get("key_name"), key_data=key_data, user_data=user_data,
                    requested_az=az, availability_zone=az,
                    vm_state=st.BUILDING, task_state=st.SCHEDULING, power_state=0,
                    config_drive="True" if server.get("config_drive") in (True, "true", "True")
                    else "", access_ip_v4=normalise_ip(server.get("accessIPv4")),
                    access_ip_v6=normalise_ip(server.get("accessIPv6")),
                    disk_config=server.get("OS-DCF:diskConfig", "MANUAL"), launch_index=index,
                    reservation_id=reservation, metadata_=dict(meta),
                    tags=list(server.get("tags") or []),
                    system_metadata={"security_groups": [g.get("name", "default") for g in
                                                         server.get("security_groups") or
                                                         [{"name": "default"}]],
                                     "hostname": server.get("hostname") or
                                     hostname_from(name)},
                    request=dict(request), created_at=now, updated_at=now, deleted=False,
                    locked=False, progress=0, console_log="")
                s.add(inst)
                s.flush()
                records.start_action(s, inst, "create", ctx.request_id, ctx.user_id,
                                     ctx.project_id)
                ids.append(inst.id)
            if group_id:
                group = s.get(cm.ServerGroup, group_id)
                group.members = list(group.members or []) + ids
            return ids

        ids = compute.write(work)
        for ident in ids:
            compute.bus.notify("schedule", ident)
        if server.get("return_reservation_id") in (True, "true", "True"):
            return compute.reply(call, 202, {"reservation_id": reservation})
        first = ids[0]
        body_out = {"server": {"id": first, "links": links(call, "servers", first),
                               "OS-DCF:diskConfig": server.get("OS-DCF:diskConfig", "MANUAL"),
                               "security_groups": [{"name": "default"}],
                               "adminPass": admin_pass}}
        return compute.reply(call, 202, body_out,
                             {"Location": f"{root(call)}/servers/{first}"})

    # --- list ---------------------------------------------------------------
    def listing(call: Call, detailed: bool) -> Reply:
        compute.version(call)
        compute.enforce(call, "os_compute_api:servers:index")
        admin = is_admin(call)
        limit = int_query(call, "limit")
        marker = call.q("marker")

        def work(s: Session) -> tuple[list[dict], str | None]:
            q = sa.select(cm.Instance)
            all_tenants = call.q("all_tenants")
            if all_tenants is not None and admin:
                project = call.q("project_id") or call.q("tenant_id")
                if project:
                    q = q.where(cm.Instance.project_id == project)
            else:
                q = q.where(cm.Instance.project_id == call.ctx.project_id)
            changes = call.q("changes-since")
            deleted = call.q("deleted")
            if changes:
                try:
                    since = datetime.fromisoformat(changes.replace("Z", "+00:00"))
                except ValueError as exc:
                    raise BadRequest("Invalid filter field: changes-since.") from exc
                if since.tzinfo:
                    since = since.astimezone(timezone.utc).replace(tzinfo=None)
                q = q.where(cm.Instance.updated_at >= since)
            elif deleted is not None and admin and deleted.lower() in ("true", "1", "yes"):
                q = q.where(cm.Instance.deleted.is_(True))
            else:
                q = q.where(cm.Instance.deleted.is_(False))
            status = call.q("status")
            if status:
                vm_states = st.vm_states_for_status(status)
                if not vm_states:
                    return [], None
                q = q.where(cm.Instance.vm_state.in_(vm_states))
            for param, column in (("image", cm.Instance.image_ref),
                                  ("flavor", cm.Instance.flavor_id),
                                  ("reservation_id", cm.Instance.reservation_id),
                                  ("availability_zone", cm.Instance.availability_zone),
                                  ("key_name", cm.Instance.key_name)):
                value = call.q(param)
                if value:
                    q = q.where(column == _ref_id(value) if param in ("image", "flavor")
                                else column == value)
            if admin and call.q("host"):
                q = q.where(cm.Instance.host == call.q("host"))
            sort_key = call.q("sort_key", "created_at")
            columns = {"created_at": cm.Instance.created_at, "display_name": cm.Instance.name,
                       "updated_at": cm.Instance.updated_at, "uuid": cm.Instance.id,
                       "vm_state": cm.Instance.vm_state, "host": cm.Instance.host}
            column = columns.get(sort_key, cm.Instance.created_at)
            desc = call.q("sort_dir", "desc") != "asc"
            q = q.order_by(column.desc() if desc else column.asc(), cm.Instance.id)
            rows = list(s.scalars(q))
            name = call.q("name")
            if name:
                try:
                    pattern = re.compile(name)
                except re.error:
                    pattern = re.compile(re.escape(name))
                rows = [i for i in rows if pattern.search(i.name)]
            ip = call.q("ip")
            if ip:
                rows = []
            if marker:
                idx = next((n for n, i in enumerate(rows) if i.id == marker), None)
                if idx is None:
                    raise BadRequest(f"marker [{marker}] not found")
                rows = rows[idx + 1:]
            next_marker = None
            if limit is not None and len(rows) > limit:
                rows = rows[:limit]
                next_marker = rows[-1].id if rows else None
            if detailed:
                version = compute.version(call)
                out = [views.detail(call, i, records.latest_fault(s, i.id)
                                    if i.vm_state in (st.ERROR, st.DELETED) else None, admin,
                                    version)
                       for i in rows]
            else:
                out = [views.brief(call, i) for i in rows]
            return out, next_marker

        items, next_marker = compute.read(work)
        body: dict[str, Any] = {"servers": items}
        if next_marker:
            path = "servers/detail" if detailed else "servers"
            params = dict(call.query)
            params["marker"] = next_marker
            query = "&".join(f"{k}={v}" for k, v in params.items())
            body["servers_links"] = [{"rel": "next", "href": f"{root(call)}/{path}?{query}"}]
        return compute.reply(call, 200, body)

    @r.get(base)
    def index(call: Call) -> Reply:
        return listing(call, False)

    @r.get(base + "/detail")
    def index_detail(call: Call) -> Reply:
        return listing(call, True)

    # --- one server ---------------------------------------------------------
    @r.get(base + "/{server_id}")
    def show(call: Call) -> Reply:
        compute.version(call)
        compute.enforce(call, "os_compute_api:servers:show")

        def work(s: Session) -> dict:
            inst = get_instance(s, call, compute, call.params["server_id"])
            return views.detail(call, inst, records.latest_fault(s, inst.id), is_admin(call),
                                compute.version(call), views.server_groups_of(s, inst.id))
        return compute.reply(call, 200, {"server": compute.read(work)})

    @r.put(base + "/{server_id}")
    def update(call: Call) -> Reply:
        compute.version(call)
        body = schemas.validate(schemas.SERVER_UPDATE, call.body())["server"]
        compute.enforce(call, "os_compute_api:servers:update")

        def work(s: Session) -> dict:
            inst = get_instance(s, call, compute, call.params["server_id"])
            if "name" in body:
                inst.name = body["name"]
            if "accessIPv4" in body:
                inst.access_ip_v4 = normalise_ip(body["accessIPv4"])
            if "accessIPv6" in body:
                inst.access_ip_v6 = normalise_ip(body["accessIPv6"])
            if "OS-DCF:diskConfig" in body:
                inst.disk_config = body["OS-DCF:diskConfig"]
            if "description" in body:
                inst.description = body["description"]
            inst.updated_at = utcnow()
            return views.updated(call, inst, is_admin(call), compute.version(call),
                                 views.server_groups_of(s, inst.id))
        return compute.reply(call, 200, {"server": compute.write(work)})

    @r.delete(base + "/{server_id}")
    def delete(call: Call) -> Reply:
        compute.version(call)
        compute.enforce(call, "os_compute_api:servers:delete")
        host = request_delete(compute, call, call.params["server_id"], "delete")
        if host:
            compute.bus.notify("compute." + host, call.params["server_id"])
        return compute.reply(call, 204)

    # --- metadata -----------------------------------------------------------
    meta_base = base + "/{server_id}/metadata"

    def meta_write(call: Call, fn) -> dict:
        def work(s: Session) -> dict:
            inst = get_instance(s, call, compute, call.params["server_id"])
            if inst.locked and not is_admin(call):
                raise Conflict(f"Instance {inst.id} is locked")
            meta = dict(inst.metadata_ or {})
            result = fn(meta)
            limit = quotas.limits_for(s, inst.project_id)["metadata_items"]
            if limit >= 0 and len(meta) > limit:
                raise Forbidden("Quota exceeded for metadata_items: Maximum number of "
                                f"metadata items exceeds {limit}")
            inst.metadata_ = meta
            inst.updated_at = utcnow()
            return result
        return compute.write(work)

    @r.get(meta_base)
    def list_meta(call: Call) -> Reply:
        meta = compute.read(lambda s: dict(get_instance(
            s, call, compute, call.params["server_id"]).metadata_ or {}))
        return compute.reply(call, 200, {"metadata": meta})

    @r.post(meta_base)
    def update_meta(call: Call) -> Reply:
        new = schemas.validate(schemas.METADATA, call.body())["metadata"]

        def fn(meta: dict) -> dict:
            meta.update(new)
            return dict(meta)
        return compute.reply(call, 200, {"metadata": meta_write(call, fn)})

    @r.put(meta_base)
    def replace_meta(call: Call) -> Reply:
        new = schemas.validate(schemas.METADATA, call.body())["metadata"]

        def fn(meta: dict) -> dict:
            meta.clear()
            meta.update(new)
            return dict(meta)
        return compute.reply(call, 200, {"metadata": meta_write(call, fn)})

    @r.get(meta_base + "/{key}")
    def show_meta(call: Call) -> Reply:
        meta = compute.read(lambda s: dict(get_instance(
            s, call, compute, call.params["server_id"]).metadata_ or {}))
        key = call.params["key"]
        if key not in meta:
            raise NotFound("Metadata item was not found")
        return compute.reply(call, 200, {"meta": {key: meta[key]}})

    @r.put(meta_base + "/{key}")
    def set_meta(call: Call) -> Reply:
        item = schemas.validate(schemas.META_ITEM, call.body())["meta"]
        key = call.params["key"]
        if key not in item:
            raise BadRequest("Request body and URI mismatch")

        def fn(meta: dict) -> dict:
            meta[key] = item[key]
            return {key: item[key]}
        return compute.reply(call, 200, {"meta": meta_write(call, fn)})

    @r.delete(meta_base + "/{key}")
    def delete_meta(call: Call) -> Reply:
        key = call.params["key"]

        def fn(meta: dict) -> None:
            if key not in meta:
                raise NotFound("Metadata item was not found")
            del meta[key]
        meta_write(call, fn)
        return compute.reply(call, 204)

    # --- addresses, password, actions --------------------------------------
    @r.get(base + "/{server_id}/ips")
    def ips(call: Call) -> Reply:
        compute.read(lambda s: get_instance(s, call, compute, call.params["server_id"]))
        return compute.reply(call, 200, {"addresses": {}})

    @r.get(base + "/{server_id}/ips/{network}")
    def ips_network(call: Call) -> Reply:
        compute.read(lambda s: get_instance(s, call, compute, call.params["server_id"]))
        raise NotFound("Instance is not a member of specified network")

    @r.get(base + "/{server_id}/os-server-password")
    def password(call: Call) -> Reply:
        compute.read(lambda s: get_instance(s, call, compute, call.params["server_id"]))
        return compute.reply(call, 200, {"password": ""})

    @r.delete(base + "/{server_id}/os-server-password")
    def clear_password(call: Call) -> Reply:
        compute.read(lambda s: get_instance(s, call, compute, call.params["server_id"]))
        return compute.reply(call, 204)

    def action_view(a: cm.InstanceAction) -> dict[str, Any]:
        return {"action": a.action, "request_id": a.request_id, "user_id": a.user_id,
                "project_id": a.project_id, "start_time": a.start_time.isoformat(),
                "message": a.message, "instance_uuid": a.instance_id}

    @r.get(base + "/{server_id}/os-instance-actions")
    def actions(call: Call) -> Reply:
        def work(s: Session) -> list[dict]:
            sid = call.params["server_id"]
            inst = s.get(cm.Instance, sid)
            if inst is None or (inst.project_id != call.ctx.project_id and not is_admin(call)):
                raise server_not_found(sid)
            rows = s.scalars(sa.select(cm.InstanceAction).where(
                cm.InstanceAction.instance_id == sid).order_by(cm.InstanceAction.id.desc()))
            return [action_view(a) for a in rows]
        return compute.reply(call, 200, {"instanceActions": compute.read(work)})

    @r.get(base + "/{server_id}/os-instance-actions/{request_id}")
    def action(call: Call) -> Reply:
        def work(s: Session) -> dict:
            sid = call.params["server_id"]
            inst = s.get(cm.Instance, sid)
            if inst is None or (inst.project_id != call.ctx.project_id and not is_admin(call)):
                raise server_not_found(sid)
            a = s.scalar(sa.select(cm.InstanceAction).where(
                cm.InstanceAction.instance_id == sid,
                cm.InstanceAction.request_id == call.params["request_id"]))
            if a is None:
                raise NotFound(f"Action for request_id {call.params['request_id']} on "
                               f"instance {sid} not found")
            body = action_view(a)
            events = []
            for e in a.events or []:
                ev = {k: e.get(k) for k in ("event", "start_time", "finish_time", "result")}
                if is_admin(call):
                    ev["traceback"] = e.get("traceback")
                events.append(ev)
            body["events"] = events
            return body
        return compute.reply(call, 200, {"instanceAction": compute.read(work)})

    return r


def request_delete(compute: Compute, call: Call, server_id: str, action: str,
                   force: bool = False) -> str | None:
    """Ask for deletion; returns the host to wake, or None when nothing runs anywhere."""

    def work(s: Session) -> str | None:
        inst = get_instance(s, call, compute, server_id)
        if inst.locked and not compute.allowed(call, "os_compute_api:admin"):
            raise Conflict(f"Instance {inst.id} is locked")
        records.start_action(s, inst, action, call.ctx.request_id, call.ctx.user_id,
                             call.ctx.project_id)
        if not inst.host:
            records.mark_deleted(s, inst)  # nothing runs anywhere: no agent to wait for
            return None
        inst.task_state = st.DELETING
        inst.updated_at = utcnow()
        return inst.host
    return compute.write(work)

"""Server create: the desired state only (rows in BUILD, no host), in one transaction that
holds the project's usage lock and the server group's row (the flavor, image, key pair and
zone are validated in a read before it), so concurrent boots neither pass
a quota together nor lose each other's group membership. The scheduler and host agents take
over from the ``schedule`` notification."""
from __future__ import annotations

import re
import secrets
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from onestack.compute import images, quotas, records
from onestack.compute import models as cm
from onestack.compute import states as st
from onestack.compute.service import networking
from onestack.compute.service.servers import Deps, normalise_ip, require_project_scope
from onestack.core.context import RequestContext
from onestack.core.db import utcnow
from onestack.core.errors import BadRequest, Forbidden

RULE = "os_compute_api:servers:create"
GIB = 1 << 30


@dataclass
class BootRequest:
    """A validated ``POST /servers`` body, parsed by the API."""

    server: dict[str, Any]
    image_ref: str
    flavor_ref: str
    min_count: int = 1
    max_count: int = 1
    zone: str | None = None
    forced_host: str | None = None
    forced: bool = False  # a ``zone:host`` was asked for (admin only)
    hints: dict[str, Any] = field(default_factory=dict)
    # "auto", "none", a list of ``networking.Nic`` or None (not given)
    networks: Any = None
    # the volume mappings (``volumes.Requested``); a volume-backed server has no image_ref
    block_devices: list[Any] = field(default_factory=list)


@dataclass
class Booted:
    ids: list[str]
    reservation_id: str
    admin_pass: str


def hostname_from(name: str) -> str:
    """A DNS-safe hostname from a display name, as Nova derives it."""
    host = re.sub(r"[^a-zA-Z0-9-]+", "-", name).strip("-").lower()[:63]
    return host or "server"


def visible_flavor(s: Session, deps: Deps, ctx: RequestContext, ref: str) -> cm.Flavor:
    """A public flavor, or a private one the project was given (admins see every one)."""
    flavor = s.get(cm.Flavor, ref)
    if flavor is None or flavor.disabled or (
            not flavor.is_public and not deps.is_admin(ctx) and
            s.get(cm.FlavorAccess, (flavor.id, ctx.project_id)) is None):
        raise BadRequest(f"Flavor {ref} could not be found.")
    return flavor


def check_image(s: Session, deps: Deps, ctx: RequestContext, image_ref: str,
                flavor: cm.Flavor) -> None:
    image = images.find_image(s, image_ref, ctx.project_id, deps.is_admin(ctx))
    if image is None:
        raise BadRequest(f"Image {image_ref} could not be found.")
    if image["status"] != "active":
        raise BadRequest(f"Image {image_ref} is not active.")
    if flavor.ram < (image.get("min_ram") or 0):
        raise BadRequest("Flavor's memory is too small for requested image.")
    check_disk_fits(flavor.disk, image)


def check_disk_fits(disk_gb: int, image: dict[str, Any]) -> None:
    """What the API can tell of a root disk of ``disk_gb`` (0: the image's own size, no
    limit) from the image record: its stored bytes and its ``min_disk``. A compressed
    image whose virtual size is larger than the flavor's disk is only found on the host,
    which then fails the build."""
    if not disk_gb:
        return
    flavor_bytes = disk_gb * GIB
    stored = int(image.get("size") or 0)
    if stored > flavor_bytes:
        raise BadRequest(f"Flavor's disk is too small for requested image. Flavor disk is "
                         f"{flavor_bytes} bytes, image is {stored} bytes.")
    min_disk = int(image.get("min_disk") or 0)
    if min_disk > disk_gb:
        raise BadRequest(f"Flavor's disk is smaller than the minimum size specified in image "
                         f"metadata. Flavor disk is {flavor_bytes} bytes, minimum size is "
                         f"{min_disk * GIB} bytes.")


def locked_group(s: Session, deps: Deps, ctx: RequestContext, group_id: str) -> cm.ServerGroup:
    """The caller's server group, its row locked until commit; another project's is not
    found (F11)."""
    group = s.get(cm.ServerGroup, group_id, with_for_update=True)
    if group is None or (group.project_id != ctx.project_id and not deps.is_admin(ctx)):
        raise BadRequest(f"Invalid server group {group_id}")
    return group


def check_quota(s: Session, ctx: RequestContext, req: BootRequest, flavor: cm.Flavor) -> int:
    """How many servers to make: ``max_count`` if the quota allows, else ``min_count``,
    else Nova's 403. Takes the project's usage lock, then reads the limits and the usage
    once for every check."""
    quotas.lock_project(s, ctx.project_id)
    limits = quotas.limits_for(s, ctx.project_id, ctx.user_id)
    used = quotas.server_usage(s, ctx.project_id)
    count = req.max_count
    try:
        quotas.check_servers(s, ctx.project_id, ctx.user_id, req.max_count, flavor.vcpus,
                             flavor.ram, limits, used)
    except Forbidden:
        if req.min_count == req.max_count:
            raise
        quotas.check_servers(s, ctx.project_id, ctx.user_id, req.min_count, flavor.vcpus,
                             flavor.ram, limits, used)
        count = req.min_count
    meta = req.server.get("metadata") or {}
    limit = limits["metadata_items"]
    if limit >= 0 and len(meta) > limit:
        raise Forbidden("Quota exceeded for metadata_items: Maximum number of metadata "
                        f"items exceeds {limit}")
    return count


def new_instance(ctx: RequestContext, req: BootRequest, flavor: cm.Flavor, index: int,
                 count: int, reservation: str, key_data: str | None,
                 group_id: str | None) -> cm.Instance:
    server = req.server
    name = f"{server['name']}-{index + 1}" if count > 1 else server["name"]
    now = utcnow()
    groups = server.get("security_groups") or [{"name": "default"}]
    return cm.Instance(
        id=str(uuid.uuid4()), project_id=ctx.project_id, user_id=ctx.user_id, name=name,
        description=server.get("description"), image_ref=req.image_ref, flavor_id=flavor.id,
        flavor=records.flavor_snapshot(flavor), key_name=server.get("key_name"),
        key_data=key_data, user_data=server.get("user_data"), requested_az=req.zone,
        availability_zone=req.zone, vm_state=st.BUILDING, task_state=st.SCHEDULING,
        power_state=0,
        config_drive="True" if server.get("config_drive") in (True, "true", "True") else "",
        access_ip_v4=normalise_ip(server.get("accessIPv4")),
        access_ip_v6=normalise_ip(server.get("accessIPv6")),
        disk_config=server.get("OS-DCF:diskConfig", "MANUAL"), launch_index=index,
        reservation_id=reservation, metadata_=dict(server.get("metadata") or {}),
        tags=list(server.get("tags") or []),
        system_metadata={"security_groups": [g.get("name", "default") for g in groups],
                         "hostname": server.get("hostname") or hostname_from(name)},
        request={"hints": dict(req.hints)}, server_group_id=group_id,
        force_host=req.forced_host, created_at=now, updated_at=now, deleted=False,
        locked=False, progress=0, console_log="")


def _key_data(s: Session, ctx: RequestContext, key_name: str | None) -> str | None:
    if not key_name:
        return None
    kp = s.get(cm.Keypair, (ctx.user_id, key_name))
    if kp is None:
        raise BadRequest("Invalid key_name provided.")
    return kp.public_key


def create(deps: Deps, ctx: RequestContext, req: BootRequest) -> Booted:
    """Write the servers a boot asks for and wake the scheduler."""
    require_project_scope(ctx, RULE)
    deps.enforce(RULE, ctx)
    if req.forced:
        deps.enforce("os_compute_api:servers:create:forced_host", ctx)
    reservation = "r-" + secrets.token_hex(4)
    group_id = req.hints.get("group")

    def check(s: Session) -> tuple[cm.Flavor, str | None]:
        flavor = visible_flavor(s, deps, ctx, req.flavor_ref)
        if req.image_ref:
            check_image(s, deps, ctx, req.image_ref, flavor)
        key_data = _key_data(s, ctx, req.server.get("key_name"))
        if req.zone and req.zone not in set(records.host_zones(s).values()):
            raise BadRequest("The requested availability zone is not available")
        return flavor, key_data

    # what is only validated (and copied: the flavor snapshot, the public key) is read
    # before the write transaction, which then holds the write lock only for the group,
    # the quota and the rows
    flavor, key_data = deps.db.read(check)
    from onestack.compute.service import volume_backed

    req.block_devices = volume_backed.boot_mappings(deps, ctx, req.image_ref,
                                                    req.block_devices)
    if req.block_devices:
        from onestack.compute.service import volumes

        volumes.check_boot_volumes(deps, ctx, req.block_devices, req.max_count)

    def work(s: Session) -> list[str]:
        group = locked_group(s, deps, ctx, group_id) if group_id else None
        count = check_quota(s, ctx, req, flavor)
        nics = networking.plan(s, deps.network, ctx, req.networks, count, [
            g.get("name", "default") for g in req.server.get("security_groups") or []])
        ids = []
        for index in range(count):
            inst = new_instance(ctx, req, flavor, index, count, reservation, key_data,
                                group_id)
            s.add(inst)
            s.flush()
            networking.record(s, deps.network, inst, nics)
            if req.block_devices:
                from onestack.compute.service import volumes

                volumes.record(s, inst, req.block_devices)
            records.start_action(s, inst, "create", ctx.request_id, ctx.user_id,
                                 ctx.project_id)
            ids.append(inst.id)
        if group is not None:
            group.members = list(group.members or []) + ids
        return ids

    ids = deps.db.write(work)
    for ident in ids:
        deps.bus.notify("schedule", ident)
    return Booted(ids, reservation, req.server.get("adminPass") or secrets.token_urlsafe(9))

"""Instance rows → the server shapes of the compute API (2.1)."""
from __future__ import annotations

import hashlib
from typing import Any

from onestack.compute import models as cm
from onestack.compute import states as st
from onestack.compute.api.common import bookmark, iso, iso_micro, links
from onestack.core.http import Call

PROGRESS_STATUSES = {"ACTIVE", "BUILD", "REBUILD", "RESIZE", "VERIFY_RESIZE", "MIGRATING"}


def host_id(inst: cm.Instance) -> str:
    if not inst.host:
        return ""
    return hashlib.sha224((inst.project_id + inst.host).encode()).hexdigest()


def plain(addresses: dict[str, list[dict[str, Any]]] | None
          ) -> dict[str, list[dict[str, Any]]]:
    """Addresses without the ``OS-EXT-IPS`` keys, as ``/ips`` and (before 2.75) update
    and rebuild answer them."""
    return {name: [{"version": a["version"], "addr": a["addr"]} for a in entries]
            for name, entries in (addresses or {}).items()}


def brief(call: Call, inst: cm.Instance) -> dict[str, Any]:
    return {"id": inst.id, "links": links(call, "servers", inst.id), "name": inst.name}


def common(call: Call, inst: cm.Instance, fault: cm.InstanceFault | None,
           admin: bool, version: tuple[int, int] = (2, 1),
           groups: list[str] | None = None, *,
           addresses: dict[str, list[dict[str, Any]]] | None = None) -> dict[str, Any]:
    """The fields every server answer has, with those each microversion added (update and
    rebuild answer exactly these before 2.75). ``addresses``: the server's, by network
    name (from the network service's ports)."""
    status = st.status(inst.vm_state, inst.task_state)
    image: Any = ""
    if inst.image_ref:
        image = {"id": inst.image_ref, "links": [
            {"rel": "bookmark", "href": f"{bookmark(call)}/images/{inst.image_ref}"}]}
    body: dict[str, Any] = {
        "id": inst.id, "name": inst.name, "status": status,
        "tenant_id": inst.project_id, "user_id": inst.user_id,
        "metadata": dict(inst.metadata_ or {}), "hostId": host_id(inst),
        "image": image,
        "flavor": {"id": inst.flavor_id, "links": [
            {"rel": "bookmark", "href": f"{bookmark(call)}/flavors/{inst.flavor_id}"}]},
        "created": iso(inst.created_at), "updated": iso(inst.updated_at),
        "addresses": addresses or {}, "accessIPv4": inst.access_ip_v4 or "",
        "accessIPv6": inst.access_ip_v6 or "", "links": links(call, "servers", inst.id),
        "OS-DCF:diskConfig": inst.disk_config or "MANUAL",
    }
    if version >= (2, 9):
        body["locked"] = bool(inst.locked)
    if version >= (2, 19):
        body["description"] = inst.description
    if version >= (2, 26):
        body["tags"] = list(inst.tags or [])
    if version >= (2, 47):
        f = inst.flavor or {}
        body["flavor"] = {"vcpus": f.get("vcpus"), "ram": f.get("ram"), "disk": f.get("disk"),
                          "ephemeral": f.get("ephemeral", 0), "swap": f.get("swap", 0),
                          "original_name": f.get("name", "")}
        if admin:
            body["flavor"]["extra_specs"] = dict(f.get("extra_specs") or {})
    if version >= (2, 63):
        body["trusted_image_certificates"] = None
    if groups is not None and version >= (2, 71):
        body["server_groups"] = groups
    if version >= (2, 73):
        body["locked_reason"] = inst.locked_reason
    if version >= (2, 96):
        body["pinned_availability_zone"] = inst.requested_az
    if status in PROGRESS_STATUSES:
        body["progress"] = inst.progress or 0
    if fault is not None and inst.vm_state in (st.ERROR, st.DELETED):
        body["fault"] = {"code": fault.code, "created": iso(fault.created_at),
                         "message": fault.message}
        if admin and fault.code != 500 or admin:
            body["fault"]["details"] = fault.details or ""
    return body


def detail(call: Call, inst: cm.Instance, fault: cm.InstanceFault | None,
           admin: bool, version: tuple[int, int] = (2, 1),
           groups: list[str] | None = None, *,
           addresses: dict[str, list[dict[str, Any]]] | None = None,
           security_groups: list[str] | None = None,
           volumes: list[tuple[str, bool]] | None = None) -> dict[str, Any]:
    """Show, list-detail and (from 2.75) update and rebuild; ``groups`` only for one server.
    ``security_groups``: the groups of the server's ports (None: the names it asked for)."""
    body = common(call, inst, fault, admin, version, groups, addresses=addresses)
    body.update({
        "key_name": inst.key_name, "config_drive": inst.config_drive or "",
        "OS-EXT-AZ:availability_zone": inst.availability_zone or "",
        "OS-SRV-USG:launched_at": iso_micro(inst.launched_at),
        "OS-SRV-USG:terminated_at": iso_micro(inst.terminated_at),
        "OS-EXT-STS:task_state": inst.task_state, "OS-EXT-STS:vm_state": inst.vm_state,
        "OS-EXT-STS:power_state": inst.power_state,
        "os-extended-volumes:volumes_attached": [
            {"id": vid, "delete_on_termination": dot} if version >= (2, 3) else {"id": vid}
            for vid, dot in volumes or []],
    })
    groups_sg = security_groups if security_groups is not None else (
        inst.system_metadata or {}).get("security_groups")
    if groups_sg:
        body["security_groups"] = [{"name": n} for n in groups_sg]
    if admin:
        body.update({"OS-EXT-SRV-ATTR:host": inst.host,
                     "OS-EXT-SRV-ATTR:instance_name": "instance-" + inst.id[:8],
                     "OS-EXT-SRV-ATTR:hypervisor_hostname": inst.node})
        if version >= (2, 3):
            body.update({"OS-EXT-SRV-ATTR:reservation_id": inst.reservation_id,
                         "OS-EXT-SRV-ATTR:launch_index": inst.launch_index,
                         "OS-EXT-SRV-ATTR:hostname": (inst.system_metadata or {}).get(
                             "hostname", inst.name),
                         "OS-EXT-SRV-ATTR:kernel_id": "", "OS-EXT-SRV-ATTR:ramdisk_id": "",
                         "OS-EXT-SRV-ATTR:root_device_name": "/dev/vda",
                         "OS-EXT-SRV-ATTR:user_data": inst.user_data})
        if version >= (2, 16):
            body["host_status"] = "UP" if inst.host else ""
    return body


def rebuilt(call: Call, inst: cm.Instance, admin: bool, version: tuple[int, int],
            groups: list[str], *,
            addresses: dict[str, list[dict[str, Any]]] | None = None) -> dict[str, Any]:
    """The rebuild answer (without adminPass)."""
    if version >= (2, 75):
        body = detail(call, inst, None, admin, version, groups, addresses=addresses)
        body.pop("OS-EXT-SRV-ATTR:user_data", None)  # rebuild answers it as ``user_data``
    else:
        body = common(call, inst, None, admin, version, groups, addresses=plain(addresses))
        if version >= (2, 54):
            body["key_name"] = inst.key_name
    if version >= (2, 57):
        body["user_data"] = inst.user_data
    return body


def updated(call: Call, inst: cm.Instance, admin: bool, version: tuple[int, int],
            groups: list[str], *,
            addresses: dict[str, list[dict[str, Any]]] | None = None) -> dict[str, Any]:
    if version >= (2, 75):
        return detail(call, inst, None, admin, version, groups, addresses=addresses)
    return common(call, inst, None, admin, version, groups, addresses=plain(addresses))

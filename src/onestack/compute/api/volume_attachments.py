"""``os-volume_attachments`` (Nova's ``volumeAttachment`` bodies per microversion) and the
parsing of a boot's ``block_device_mapping_v2`` / legacy ``block_device_mapping``."""
from __future__ import annotations

import re
from functools import partial
from typing import Any

from onestack.compute.api.common import Compute
from onestack.compute.policies import servers as server_rules
from onestack.compute.service import volumes as service
from onestack.compute.volume_models import BlockDevice
from onestack.core.errors import BadRequest
from onestack.core.http import Call, Reply, RouteTable

UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?"
                     r"[0-9a-fA-F]{12}$")
DEVICE_RE = re.compile(r"^(/dev/x{0,1}[a-z]{0,1}d{0,1})([a-z]+)[0-9]*$")
TAG_RE = re.compile(r"^[^,/]*$")
BASE = "/v2.1/servers/{server_id}/os-volume_attachments"
ONE = BASE + "/{volume_id}"
RULES = [
    (service.RULE + "index", server_rules.PROJECT_READER_OR_ADMIN),
    (service.RULE + "show", server_rules.PROJECT_READER_OR_ADMIN),
    (service.RULE + "create", server_rules.PROJECT_MEMBER_OR_ADMIN),
    (service.RULE + "update", server_rules.PROJECT_MEMBER_OR_ADMIN),
    (service.RULE + "delete", server_rules.PROJECT_MEMBER_OR_ADMIN),
    (service.RULE + "swap", server_rules.ADMIN),
]
SOURCES = ("image", "snapshot", "volume", "blank")
BDM_KEYS = {"source_type", "destination_type", "uuid", "boot_index", "volume_size",
            "delete_on_termination", "device_name", "tag", "volume_type", "guest_format",
            "disk_bus", "device_type", "no_device", "volume_id", "snapshot_id",
            "image_id", "connection_info"}


def view(row: BlockDevice, server_id: str, version: tuple[int, int]) -> dict[str, Any]:
    body: dict[str, Any] = {"device": row.device_name, "serverId": server_id,
                            "volumeId": row.volume_id}
    if version < (2, 89):
        body["id"] = row.volume_id
    if version >= (2, 70):
        body["tag"] = row.tag
    if version >= (2, 79):
        body["delete_on_termination"] = bool(row.delete_on_termination)
    if version >= (2, 89):
        body["attachment_id"] = row.attachment_id
        body["bdm_uuid"] = row.id
    return body


def _deps(compute: Compute) -> Any:
    from onestack.compute.api.servers import deps

    return deps(compute)


def _invalid(name: str, value: Any, why: str) -> BadRequest:
    return BadRequest(f"Invalid input for field/attribute {name}. Value: {value}. {why}")


def _uuid(name: str, value: Any) -> str:
    if not isinstance(value, str) or not UUID_RE.match(value):
        raise _invalid(name, value, f"'{value}' is not a 'uuid'")
    return value


def _bool(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false", "1", "0", "yes", "no",
                                                    "on", "off"):
        return value.lower() in ("true", "1", "yes", "on")
    raise _invalid(name, value, f"{value!r} is not of type 'boolean'")


def _attachment_body(call: Call, allowed: set[str]) -> dict[str, Any]:
    body = call.body()
    if not isinstance(body, dict) or not isinstance(body.get("volumeAttachment"), dict):
        raise BadRequest("Invalid input for field/attribute volumeAttachment. "
                         "'volumeAttachment' is a required property")
    spec = body["volumeAttachment"]
    extra = (set(spec) - allowed) | (set(body) - {"volumeAttachment"})
    if extra:
        raise BadRequest("Additional properties are not allowed ("
                         f"{', '.join(sorted(extra))} was unexpected)")
    if "volumeId" not in spec:
        raise BadRequest("Invalid input for field/attribute volumeAttachment. "
                         "'volumeId' is a required property")
    _uuid("volumeId", spec["volumeId"])
    return spec


def index(compute: Compute, call: Call) -> Reply:
    version = compute.version(call)
    sid = call.params["server_id"]
    rows = service.list_attachments(_deps(compute), call.ctx, sid)
    offset = max(int(call.q("offset") or 0), 0) if (call.q("offset") or "0").isdigit() else 0
    limit = call.q("limit")
    rows = rows[offset:]
    if limit is not None and str(limit).isdigit():
        rows = rows[:int(limit)]
    return compute.reply(call, 200, {"volumeAttachments": [view(r, sid, version)
                                                           for r in rows]})


def show(compute: Compute, call: Call) -> Reply:
    version = compute.version(call)
    sid = call.params["server_id"]
    row = service.show_attachment(_deps(compute), call.ctx, sid, call.params["volume_id"])
    return compute.reply(call, 200, {"volumeAttachment": view(row, sid, version)})


def create(compute: Compute, call: Call) -> Reply:
    version = compute.version(call)
    allowed = {"volumeId", "device"}
    if version >= (2, 49):
        allowed.add("tag")
    if version >= (2, 79):
        allowed.add("delete_on_termination")
    spec = _attachment_body(call, allowed)
    device = spec.get("device")
    if device is not None and (not isinstance(device, str) or not DEVICE_RE.match(device)):
        raise _invalid("device", device, "Invalid device name")
    tag = spec.get("tag")
    if tag is not None and (not isinstance(tag, str) or len(tag) > 60 or
                            not TAG_RE.match(tag)):
        raise _invalid("tag", tag, "Invalid tag")
    dot = _bool("delete_on_termination", spec.get("delete_on_termination", False))
    sid = call.params["server_id"]
    row = service.attach(_deps(compute), call.ctx, sid, spec["volumeId"], device=device,
                         tag=tag, delete_on_termination=dot)
    return compute.reply(call, 200, {"volumeAttachment": view(row, sid, version)})


def update(compute: Compute, call: Call) -> Reply:
    version = compute.version(call)
    allowed = {"volumeId"}
    if version >= (2, 85):
        allowed |= {"id", "serverId", "device", "tag", "delete_on_termination"}
    spec = _attachment_body(call, allowed)
    dot = spec.get("delete_on_termination")
    if dot is not None:
        dot = _bool("delete_on_termination", dot)
    service.update(_deps(compute), call.ctx, call.params["server_id"],
                   call.params["volume_id"], spec["volumeId"], dot)
    return compute.reply(call, 202)


def delete(compute: Compute, call: Call) -> Reply:
    compute.version(call)
    service.detach(_deps(compute), call.ctx, call.params["server_id"],
                   call.params["volume_id"])
    return compute.reply(call, 202)


# --- a boot's block device mappings -----------------------------------------------------------
def _int(name: str, value: Any) -> int:
    if isinstance(value, bool):
        raise _invalid(name, value, f"{value!r} is not of type 'integer'")
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise _invalid(name, value, f"{value!r} is not of type 'integer'") from exc


def _one(mapping: Any, version: tuple[int, int]) -> service.Requested:
    if not isinstance(mapping, dict):
        raise BadRequest("Invalid input for field/attribute block_device_mapping_v2.")
    extra = set(mapping) - BDM_KEYS
    if extra:
        raise BadRequest("Invalid input for field/attribute block_device_mapping_v2. "
                         f"Additional properties are not allowed ({', '.join(sorted(extra))}"
                         " was unexpected)")
    source = mapping.get("source_type")
    if source not in SOURCES:
        raise _invalid("source_type", source, f"'{source}' is not one of {list(SOURCES)}")
    dest = mapping.get("destination_type") or ("volume" if source in ("volume", "snapshot")
                                               else "local")
    if dest not in ("local", "volume"):
        raise _invalid("destination_type", dest, f"'{dest}' is not one of "
                       "['local', 'volume']")
    boot = mapping.get("boot_index")
    boot_index = None if boot in (None, "none", "None") else _int("boot_index", boot)
    size = mapping.get("volume_size")
    volume_size = None if size in (None, "") else _int("volume_size", size)
    if volume_size is not None and volume_size < 0:
        raise _invalid("volume_size", size, "Value must be >= 0")
    ident = mapping.get("uuid")
    if source != "blank":
        if not ident:
            raise BadRequest("Block Device Mapping is Invalid: Missing device UUID.")
        _uuid("uuid", ident)
    if source == "image" and dest == "volume" and not volume_size:
        raise BadRequest("Images with destination_type 'volume' need to have a non-zero "
                         "size specified")
    if source == "blank" and dest == "volume" and not volume_size:
        raise BadRequest("Blank volumes (source: 'blank', dest: 'volume') need to have "
                         "non-zero size")
    if source in ("volume", "snapshot") and dest != "volume":
        raise BadRequest("Block Device Mapping is Invalid: Mapping image to local is not "
                         "supported.")
    tag = mapping.get("tag")
    if tag is not None and (not isinstance(tag, str) or len(tag) > 60 or
                            not TAG_RE.match(tag)):
        raise _invalid("tag", tag, "Invalid tag")
    device = mapping.get("device_name")
    if device is not None and not isinstance(device, str):
        raise _invalid("device_name", device, f"{device!r} is not of type 'string'")
    dot = _bool("delete_on_termination", mapping.get("delete_on_termination", False))
    return service.Requested(source, dest, ident, boot_index, volume_size, dot,
                             device or None, tag, mapping.get("volume_type"))


def _legacy(mapping: Any) -> service.Requested:
    if not isinstance(mapping, dict):
        raise BadRequest("Invalid input for field/attribute block_device_mapping.")
    device = mapping.get("device_name")
    snapshot, volume = mapping.get("snapshot_id"), mapping.get("volume_id")
    if not (snapshot or volume):
        raise BadRequest("Block Device Mapping is Invalid: Missing device UUID.")
    root = isinstance(device, str) and device.rsplit("/", 1)[-1] in ("vda", "sda", "xvda")
    return service.Requested("snapshot" if snapshot else "volume", "volume",
                             _uuid("uuid", snapshot or volume), 0 if root else None,
                             None if mapping.get("volume_size") in (None, "") else
                             _int("volume_size", mapping["volume_size"]),
                             _bool("delete_on_termination",
                                   mapping.get("delete_on_termination", False)),
                             device if isinstance(device, str) else None)


def parse_block_devices(server: dict[str, Any], version: tuple[int, int]
                        ) -> tuple[str, list[service.Requested]]:
    """The boot image (``imageRef`` or a local image disk at boot index 0; "" for a
    volume-backed server) and the volume mappings, with Nova's 400s."""
    image_ref = server.get("imageRef", "") or ""
    v2, legacy = server.get("block_device_mapping_v2"), server.get("block_device_mapping")
    if v2 and legacy:
        raise BadRequest("Using different block_device_mapping syntaxes is not allowed in "
                         "the same request.")
    if (v2 is not None and not isinstance(v2, list)) or \
            (legacy is not None and not isinstance(legacy, list)):
        raise BadRequest("Invalid input for field/attribute block_device_mapping_v2.")
    requested = [_one(m, version) for m in v2 or []] + [_legacy(m) for m in legacy or []]
    boots = sorted(b.boot_index for b in requested
                   if b.boot_index is not None and b.boot_index >= 0)
    if boots and boots != list(range(len(boots))):
        raise BadRequest("Boot sequence for the instance and image/block device mapping "
                         "combination is not valid.")
    root = next((b for b in requested if b.boot_index == 0), None)
    volumes = [b for b in requested if b.destination_type == "volume"]
    if root is not None and root.destination_type == "volume":
        return "", volumes
    if root is not None and root.source_type == "image":
        image_ref = image_ref or root.uuid or ""
    if not image_ref:
        if volumes:
            raise BadRequest("Block Device Mapping is Invalid: Boot sequence for the "
                             "instance and image/block device mapping combination is not "
                             "valid.")
        raise BadRequest("Missing imageRef attribute")
    return image_ref, volumes


def routes(compute: Compute) -> RouteTable:
    from onestack.compute.policies import register

    register(compute.platform.policy, RULES)
    table = RouteTable()
    for method, path, handler in (("GET", BASE, index), ("POST", BASE, create),
                                  ("GET", ONE, show), ("PUT", ONE, update),
                                  ("DELETE", ONE, delete)):
        table.add(method, path, partial(handler, compute))
    return table

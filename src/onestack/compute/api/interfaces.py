"""A server's NICs: the boot's ``networks`` parsed for the negotiated microversion, and
``os-interface`` (list, show, attach, detach: Nova's ``interfaceAttachment`` bodies),
which exists at every microversion."""
from __future__ import annotations

import ipaddress
import re
from functools import partial
from typing import Any

from onestack.compute.api.common import Compute
from onestack.compute.policies import servers as server_rules
from onestack.compute.service import interfaces as service
from onestack.compute.service.networking import AUTO, NONE, Nic
from onestack.core.errors import BadRequest
from onestack.core.http import Call, Reply, RouteTable

UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?"
                     r"[0-9a-fA-F]{12}$")
TAG_RE = re.compile(r"^[^,/]*$")
NIC_KEYS = {"uuid", "port", "fixed_ip", "tag"}
BASE = "/v2.1/servers/{server_id}/os-interface"
RULES = [
    ("os_compute_api:os-attach-interfaces:show", server_rules.PROJECT_READER_OR_ADMIN),
    ("os_compute_api:os-attach-interfaces:create", server_rules.PROJECT_MEMBER_OR_ADMIN),
    ("os_compute_api:os-attach-interfaces:delete", server_rules.PROJECT_MEMBER_OR_ADMIN),
]


def tags_allowed(version: tuple[int, int]) -> bool:
    """Device tags on a boot's NICs: 2.32 to 2.36, then again from 2.42."""
    return (2, 32) <= version <= (2, 36) or version >= (2, 42)


def _invalid(name: str, value: Any, why: str) -> BadRequest:
    return BadRequest(f"Invalid input for field/attribute {name}. Value: {value}. {why}")


def check_ip(value: Any, name: str = "fixed_ip") -> str:
    try:
        return str(ipaddress.ip_address(str(value)))
    except ValueError as exc:
        raise _invalid(name, value, f"'{value}' is not a 'ip-address'") from exc


def parse_networks(value: Any, version: tuple[int, int]) -> str | list[Nic] | None:
    """A boot's ``networks`` → ``"auto"``, ``"none"``, a list of ``Nic`` or None."""
    if value is None:
        return None
    if isinstance(value, str):
        if version < (2, 37) or value not in (AUTO, NONE):
            raise _invalid("networks", value, f"'{value}' is not of type 'array'")
        return value
    if not isinstance(value, list):
        raise BadRequest("Bad networks format")
    nics = []
    for net in value:
        if not isinstance(net, dict):
            raise BadRequest("Bad networks format")
        extra = set(net) - NIC_KEYS
        if "tag" in net and not tags_allowed(version):
            extra.add("tag")
        if extra:
            raise BadRequest("Invalid input for field/attribute networks. Additional "
                             f"properties are not allowed ({', '.join(sorted(extra))} was "
                             "unexpected)")
        uuid, port, tag = net.get("uuid"), net.get("port"), net.get("tag")
        if port is not None and (not isinstance(port, str) or not UUID_RE.match(port)):
            raise _invalid("port", port, f"'{port}' is not a 'uuid'")
        if uuid is not None and not port and (not isinstance(uuid, str) or
                                              not UUID_RE.match(uuid)):
            raise BadRequest(f"Bad networks format: network uuid is not in proper format "
                             f"({uuid})")
        if not uuid and not port:
            raise BadRequest("Bad networks format: network uuid is not in proper format "
                             "(None)")
        if tag is not None and (not isinstance(tag, str) or len(tag) > 60 or
                                not TAG_RE.match(tag)):
            raise _invalid("tag", tag, "Invalid tag")
        fixed = check_ip(net["fixed_ip"]) if net.get("fixed_ip") is not None else None
        nics.append(Nic(None if port else uuid, port or None, fixed, tag))
    return nics


# --- os-interface ---------------------------------------------------------------------
def view(a: service.Attachment, version: tuple[int, int]) -> dict[str, Any]:
    body = {"port_state": a.port_state, "fixed_ips": a.fixed_ips, "port_id": a.port_id,
            "net_id": a.net_id, "mac_addr": a.mac_addr}
    if version >= (2, 70):
        body["tag"] = a.tag
    return body


def _deps(compute: Compute) -> Any:
    from onestack.compute.api.servers import deps

    return deps(compute)


def index(compute: Compute, call: Call) -> Reply:
    version = compute.version(call)
    found = service.list_attachments(_deps(compute), call.ctx, call.params["server_id"])
    return compute.reply(call, 200, {"interfaceAttachments": [view(a, version)
                                                              for a in found]})


def show(compute: Compute, call: Call) -> Reply:
    version = compute.version(call)
    found = service.show_attachment(_deps(compute), call.ctx, call.params["server_id"],
                                    call.params["port_id"])
    return compute.reply(call, 200, {"interfaceAttachment": view(found, version)})


def create(compute: Compute, call: Call) -> Reply:
    version = compute.version(call)
    body = call.body()
    if not isinstance(body, dict):
        raise BadRequest("The request body is invalid")
    spec = body.get("interfaceAttachment", {})
    if not isinstance(spec, dict):
        raise BadRequest("Invalid input for field/attribute interfaceAttachment.")
    allowed = {"net_id", "port_id", "fixed_ips"} | ({"tag"} if version >= (2, 49) else set())
    extra = set(spec) - allowed
    if extra or set(body) - {"interfaceAttachment"}:
        raise BadRequest("Additional properties are not allowed ("
                         f"{', '.join(sorted(extra or set(body)))} was unexpected)")
    net_id, port_id = spec.get("net_id"), spec.get("port_id")
    for name, value in (("net_id", net_id), ("port_id", port_id)):
        if value is not None and (not isinstance(value, str) or not UUID_RE.match(value)):
            raise _invalid(name, value, f"'{value}' is not a 'uuid'")
    fixed = spec.get("fixed_ips")
    ip = None
    if fixed is not None:
        if not isinstance(fixed, list) or len(fixed) != 1 or not isinstance(fixed[0], dict) \
                or set(fixed[0]) != {"ip_address"}:
            raise _invalid("fixed_ips", fixed, "Invalid fixed_ips")
        ip = check_ip(fixed[0]["ip_address"], "ip_address")
    if port_id and (net_id or ip):
        raise BadRequest("Must not input both network_id and port_id")
    if ip and not net_id:
        raise BadRequest("Must input network_id when request IP address")
    found = service.attach(_deps(compute), call.ctx, call.params["server_id"],
                           net_id=net_id, port_id=port_id, fixed_ip=ip,
                           tag=spec.get("tag"))
    return compute.reply(call, 200, {"interfaceAttachment": view(found, version)})


def delete(compute: Compute, call: Call) -> Reply:
    compute.version(call)
    service.detach(_deps(compute), call.ctx, call.params["server_id"],
                   call.params["port_id"])
    return compute.reply(call, 202)


def routes(compute: Compute) -> RouteTable:
    from onestack.compute.policies import register

    register(compute.platform.policy, RULES)
    table = RouteTable()
    for method, path, handler in (("GET", BASE, index), ("POST", BASE, create),
                                  ("GET", BASE + "/{port_id}", show),
                                  ("DELETE", BASE + "/{port_id}", delete)):
        table.add(method, path, partial(handler, compute))
    return table

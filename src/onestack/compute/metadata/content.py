"""OpenStack's metadata documents for one instance, rendered from its ``InstanceFacts``:
the shapes Nova serves (``openstack/<version>/meta_data.json``, ``user_data``,
``network_data.json``, ``vendor_data.json``, ``vendor_data2.json``, the EC2 tree) so that
cloud-init and other guest agents read them unchanged.

``lookup`` answers one request path (the HTTP service); ``drive_documents`` lists every
file a config drive carries. Neither touches the database.
"""
from __future__ import annotations

import base64
import datetime
import ipaddress
import json
import os
import posixpath
from dataclasses import dataclass
from typing import Any

from onestack.compute.metadata import ec2
from onestack.compute.metadata.facts import InstanceFacts, Nic, Subnet
from onestack.core.dataplane import tap_name

# The OpenStack metadata versions (each adds fields; ``latest`` is the newest).
FOLSOM, GRIZZLY, HAVANA, LIBERTY = "2012-08-10", "2013-04-04", "2013-10-17", "2015-10-15"
NEWTON_ONE, NEWTON_TWO, OCATA = "2016-06-30", "2016-10-06", "2017-02-22"
ROCKY, VICTORIA, EPOXY = "2018-08-27", "2020-10-14", "2025-04-04"
OPENSTACK_VERSIONS = (FOLSOM, GRIZZLY, HAVANA, LIBERTY, NEWTON_ONE, NEWTON_TWO, OCATA,
                      ROCKY, VICTORIA, EPOXY)
# EC2 versions the config drive carries (the older ones hold nothing guests still read)
DRIVE_EC2_VERSIONS = ("2009-04-04", "latest")

JSON = "application/json"
TEXT = "text/plain"

META_DATA, USER_DATA, NETWORK_DATA = "meta_data.json", "user_data", "network_data.json"
PASSWORD = "password"  # openstack/<version>/password since Grizzly: GET, and POST once
VENDOR_DATA, VENDOR_DATA2 = "vendor_data.json", "vendor_data2.json"


@dataclass(frozen=True)
class Document:
    body: bytes
    content_type: str = TEXT


def _dump(value: Any) -> bytes:
    return json.dumps(value).encode()


def openstack_version(requested: str) -> str | None:
    if requested == "latest":
        return OPENSTACK_VERSIONS[-1]
    return requested if requested in OPENSTACK_VERSIONS else None


def _since(first: str, version: str) -> bool:
    return OPENSTACK_VERSIONS.index(version) >= OPENSTACK_VERSIONS.index(first)


def listed_versions(today: datetime.date | None = None) -> list[str]:
    """The versions ``/openstack`` lists: none dated after today, then ``latest``."""
    day = (today or datetime.datetime.now(datetime.timezone.utc).date()).isoformat()
    return [v for v in OPENSTACK_VERSIONS if v <= day] + ["latest"]


def random_seed() -> str:
    """512 random bytes, base64: what guests without a good entropy source seed with."""
    return base64.b64encode(os.urandom(512)).decode()


def meta_data(facts: InstanceFacts, version: str, seed: str | None = None) -> dict[str, Any]:
    """``meta_data.json`` of ``version`` (a known version, not ``latest``)."""
    doc: dict[str, Any] = {"uuid": facts.uuid}
    if facts.meta:
        doc["meta"] = dict(facts.meta)
    if facts.key_name:
        doc["public_keys"] = {facts.key_name: facts.key_data or ""}
        doc["keys"] = [{"name": facts.key_name, "type": facts.key_type,
                        "data": facts.key_data or ""}]
    doc.update({"hostname": facts.hostname, "name": facts.name,
                "launch_index": facts.launch_index,
                "availability_zone": facts.availability_zone})
    if _since(GRIZZLY, version):
        doc["random_seed"] = seed if seed is not None else random_seed()
    if _since(LIBERTY, version):
        doc["project_id"] = facts.project_id
    if _since(NEWTON_ONE, version):
        doc["devices"] = devices(facts)
    if _since(VICTORIA, version):
        doc["dedicated_cpus"] = []
    return doc


def devices(facts: InstanceFacts) -> list[dict[str, Any]]:
    """Tagged devices (a boot's or an attach's ``tag``): the guest finds a NIC by its MAC,
    a volume by its serial (the volume's id). Bus addresses are the hypervisor's and are
    not known here."""
    nics = [{"type": "nic", "mac": nic.mac, "tags": [nic.tag]}
            for nic in facts.nics if nic.tag]
    return nics + [{"type": "disk", "serial": disk.volume_id, "tags": [disk.tag]}
                   for disk in facts.disks]


def files_of(facts: InstanceFacts, version: str) -> list[str]:
    """What ``openstack/<version>/`` lists."""
    names = [META_DATA]
    if facts.user_data is not None:
        names.append(USER_DATA)
    if _since(HAVANA, version):
        names.append(VENDOR_DATA)
    if _since(LIBERTY, version):
        names.append(NETWORK_DATA)
    if _since(NEWTON_TWO, version):
        names.append(VENDOR_DATA2)
    return names


# --- network_data.json ------------------------------------------------------------------
def _first(nic: Nic, ip_version: int) -> tuple[Subnet, str] | None:
    for ip in nic.fixed_ips:
        if ip.subnet.ip_version == ip_version:
            return ip.subnet, ip.address
    return None


def _dns(subnet: Subnet) -> list[dict[str, str]]:
    return [{"type": "dns", "address": a} for a in subnet.dns_nameservers]


def _routes(subnet: Subnet) -> list[dict[str, str]]:
    routes = []
    if subnet.gateway_ip:
        anywhere = "0.0.0.0" if subnet.ip_version == 4 else "::"
        routes.append({"network": anywhere, "netmask": anywhere,
                       "gateway": subnet.gateway_ip})
    for destination, nexthop in subnet.host_routes:
        net = ipaddress.ip_network(destination, strict=False)
        routes.append({"network": str(net.network_address), "netmask": str(net.netmask),
                       "gateway": nexthop})
    return routes


def _network(nic: Nic, subnet: Subnet, address: str, index: int, link: str
             ) -> dict[str, Any]:
    """One address of a link: DHCP when the subnet serves it (an IPv6 address mode is
    said as such), otherwise static with its routes and nameservers."""
    base = {"id": f"network{index}", "link": link, "network_id": nic.network_id}
    if subnet.ip_version == 6 and subnet.ipv6_address_mode:
        kind = f"ipv6_{subnet.ipv6_address_mode}"
    elif subnet.enable_dhcp:
        return {**base, "type": f"ipv{subnet.ip_version}_dhcp"}
    else:
        kind = f"ipv{subnet.ip_version}"
    return {**base, "type": kind, "ip_address": address, "netmask": subnet.netmask(),
            "routes": _routes(subnet), "services": _dns(subnet)}


def network_data(facts: InstanceFacts) -> dict[str, Any]:
    """``network_data.json``: a link per NIC with an address, its first IPv4 and first
    IPv6 address as networks, and every nameserver once as a service. A link's MTU is
    left to DHCP when a subnet of it serves DHCP."""
    links: list[dict[str, Any]] = []
    networks: list[dict[str, Any]] = []
    services: list[dict[str, str]] = []
    for nic in facts.nics:
        firsts = [f for f in (_first(nic, 4), _first(nic, 6)) if f is not None]
        if not firsts:
            continue
        link = tap_name(nic.port_id)
        dhcp = any(ip.subnet.enable_dhcp for ip in nic.fixed_ips)
        links.append({"id": link, "vif_id": nic.port_id, "type": "bridge",
                      "mtu": None if dhcp else nic.mtu,
                      "ethernet_mac_address": nic.mac})
        for subnet, address in firsts:
            networks.append(_network(nic, subnet, address, len(networks), link))
            services += [d for d in _dns(subnet) if d not in services]
    return {"links": links, "networks": networks, "services": services}


# --- lookup -----------------------------------------------------------------------------
def _openstack(facts: InstanceFacts, parts: list[str], seed: str | None,
               today: datetime.date | None) -> Document | None:
    if not parts:
        return Document("\n".join(listed_versions(today)).encode())
    version = openstack_version(parts[0])
    if version is None:
        return None
    if len(parts) == 1:
        return Document("\n".join(files_of(facts, version)).encode())
    if is_password(parts):
        return Document(facts.password.encode())
    if len(parts) != 2 or parts[1] not in files_of(facts, version):
        return None
    name = parts[1]
    if name == META_DATA:
        return Document(_dump(meta_data(facts, version, seed)), JSON)
    if name == USER_DATA:
        return Document(facts.user_data or b"")
    if name == NETWORK_DATA:
        return Document(_dump(network_data(facts)), JSON)
    return Document(_dump({}), JSON)  # vendor data: this cloud's vendor adds nothing


def is_password(parts: list[str]) -> bool:
    """Whether ``[version, name]`` (under ``openstack/``) is the password document."""
    version = openstack_version(parts[0]) if len(parts) == 2 else None
    return version is not None and parts[1] == PASSWORD and _since(GRIZZLY, version)


def password_path(path: str) -> bool:
    """Whether a request path is ``openstack/<version>/password``."""
    parts = [p for p in posixpath.normpath("/" + path).split("/") if p]
    return len(parts) == 3 and parts[0] == "openstack" and is_password(parts[1:])


def _ec2(facts: InstanceFacts, parts: list[str]) -> Document | None:
    if not parts:
        return Document("\n".join([*ec2.EC2_VERSIONS, "latest"]).encode())
    version = ec2.ec2_version(parts[0])
    if version is None:
        return None
    try:
        node = ec2.find(ec2.version_tree(facts, version), parts[1:])
    except KeyError:
        return None
    return Document(ec2.render(node))


def lookup(facts: InstanceFacts, path: str, *, seed: str | None = None,
           today: datetime.date | None = None) -> Document | None:
    """The document at ``path`` (relative to the metadata root: ``openstack/latest/
    meta_data.json``, ``latest/meta-data/hostname``, ``ec2/...``), None for a 404."""
    parts = [p for p in posixpath.normpath("/" + path).split("/") if p]
    if parts and parts[0] == "openstack":
        return _openstack(facts, parts[1:], seed, today)
    if parts and parts[0] == "ec2":
        parts = parts[1:]
    return _ec2(facts, parts)


def drive_documents(facts: InstanceFacts, seed: str | None = None) -> dict[str, bytes]:
    """Every file of a config drive, path → bytes: each OpenStack version's documents
    and ``latest``, and the EC2 meta-data of the newest EC2 version and ``latest``. One
    random seed serves every version, as the drive is written once."""
    seed = seed if seed is not None else random_seed()
    out: dict[str, bytes] = {}
    for requested in (*OPENSTACK_VERSIONS, "latest"):
        version = openstack_version(requested)
        assert version is not None
        for name in files_of(facts, version):
            doc = _openstack(facts, [version, name], seed, None)
            assert doc is not None
            out[f"openstack/{requested}/{name}"] = doc.body
    for requested in DRIVE_EC2_VERSIONS:
        version = ec2.ec2_version(requested)
        assert version is not None
        out[f"ec2/{requested}/meta-data.json"] = _dump(ec2.drive_meta_data(facts, version))
        if facts.user_data is not None:
            out[f"ec2/{requested}/user-data"] = facts.user_data
    return out

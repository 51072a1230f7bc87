"""The facts the metadata documents are rendered from, as plain frozen values: read once
from compute's rows and the network seam (``gather``), then rendered without a database
(``content``), so the same facts make the HTTP answers and the config drive."""
from __future__ import annotations

import base64
import binascii
import ipaddress
from dataclasses import dataclass, field

# the instance's system_metadata key holding what the guest posted to the password document
PASSWORD_KEY = "password"
# Nova's limit on a posted password (four chunks of 255 characters)
PASSWORD_MAX = 4 * 255


@dataclass(frozen=True)
class Subnet:
    cidr: str
    ip_version: int
    gateway_ip: str | None = None
    enable_dhcp: bool = True
    ipv6_address_mode: str | None = None
    dns_nameservers: tuple[str, ...] = ()
    host_routes: tuple[tuple[str, str], ...] = ()  # (destination CIDR, next hop)

    def netmask(self) -> str:
        return str(ipaddress.ip_network(self.cidr, strict=False).netmask)


@dataclass(frozen=True)
class FixedIP:
    address: str
    subnet: Subnet


@dataclass(frozen=True)
class Nic:
    """One port of the guest, in boot order."""
    port_id: str
    mac: str
    network_id: str
    mtu: int = 1500
    fixed_ips: tuple[FixedIP, ...] = ()
    floating_ips: tuple[str, ...] = ()
    tag: str | None = None


@dataclass(frozen=True)
class Disk:
    """A tagged volume of the guest (boot or attached): the guest finds it by its serial,
    the volume's id."""
    volume_id: str
    tag: str


@dataclass(frozen=True)
class InstanceFacts:
    uuid: str
    name: str
    hostname: str
    project_id: str
    availability_zone: str
    launch_index: int = 0
    reservation_id: str = ""
    image_ref: str = ""
    flavor_name: str = ""
    key_name: str | None = None
    key_data: str | None = None
    key_type: str = "ssh"
    user_data: bytes | None = None  # decoded: the API stores what the user sent, base64
    meta: dict[str, str] = field(default_factory=dict)
    security_groups: tuple[str, ...] = ()
    nics: tuple[Nic, ...] = ()
    disks: tuple[Disk, ...] = ()
    password: str = ""  # what the guest posted (encrypted by it), "" until it does


def decode_user_data(stored: str | None) -> bytes | None:
    """The raw bytes of the base64 the API accepted (None when there is none; bytes that
    are not base64 after all are served as they were stored)."""
    if stored is None:
        return None
    try:
        return base64.b64decode(stored, validate=False)
    except (binascii.Error, ValueError):
        return stored.encode()

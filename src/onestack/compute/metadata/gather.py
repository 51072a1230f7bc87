"""Reads an instance's metadata facts from compute's rows and the network seam, in the
caller's read transaction."""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from onestack.compute import models as cm
from onestack.compute.metadata.facts import PASSWORD_KEY, Disk, FixedIP, InstanceFacts, \
    Nic, Subnet, decode_user_data
from onestack.compute.network_models import RequestedNetwork
from onestack.compute.volume_models import DETACHING, BlockDevice


def _key(s: Session, inst: cm.Instance) -> tuple[str | None, str | None, str]:
    """The key the server was booted (or rebuilt) with; the keypair row gives its type
    while it exists, the server keeps its copy of the key either way."""
    if not inst.key_name:
        return None, None, "ssh"
    row = s.get(cm.Keypair, (inst.user_id, inst.key_name))
    key_type = row.type if row is not None else "ssh"
    return inst.key_name, inst.key_data, key_type or "ssh"


def _nics(s: Session, network: Any, instance_id: str
          ) -> tuple[tuple[Nic, ...], tuple[str, ...]]:
    """The guest's ports in boot order, and the names of their security groups."""
    ports = network.ports_of(s, [instance_id]).get(instance_id, [])
    ports = [p for p in ports if p.device_owner.startswith("compute:")]
    if not ports:
        return (), ()
    port_ids = [p.id for p in ports]
    subnet_ids = [ip["subnet_id"] for p in ports for ip in p.fixed_ips]
    subnets = network.subnet_details(s, subnet_ids)
    nets = network.networks_by_id(s, [p.network_id for p in ports])
    floating = network.floating_ips_of(s, port_ids)
    requested = list(s.query(RequestedNetwork).filter(
        RequestedNetwork.instance_id == instance_id))
    tags = {r.port_id: r.tag for r in requested}
    order = {r.port_id: r.position for r in requested}
    ports.sort(key=lambda p: order.get(p.id, len(order)))
    nics = []
    for p in ports:
        fixed = tuple(FixedIP(ip["ip_address"], _subnet(subnets[ip["subnet_id"]]))
                      for ip in p.fixed_ips if ip["subnet_id"] in subnets)
        net = nets.get(p.network_id)
        nics.append(Nic(p.id, p.mac_address, p.network_id, net.mtu if net else 1500, fixed,
                        tuple(floating.get(p.id, ())), tags.get(p.id)))
    groups = network.group_names(s, port_ids)
    names = tuple(dict.fromkeys(n for pid in port_ids for n in groups.get(pid, [])))
    return tuple(nics), names


def _disks(s: Session, instance_id: str) -> tuple[Disk, ...]:
    """The guest's tagged volumes in boot order, then in the order they were attached; one
    being detached is no longer the guest's to look for."""
    rows = s.query(BlockDevice).filter(
        BlockDevice.instance_id == instance_id, BlockDevice.tag.isnot(None),
        BlockDevice.volume_id.isnot(None), BlockDevice.state != DETACHING)
    rows = sorted(rows, key=lambda r: (r.boot_index is None or r.boot_index < 0,
                                       r.boot_index or 0, r.created_at, r.id))
    return tuple(Disk(r.volume_id, r.tag) for r in rows if r.tag)


def _subnet(d: Any) -> Subnet:
    return Subnet(d.cidr, d.ip_version, d.gateway_ip, d.enable_dhcp, d.ipv6_address_mode,
                  tuple(d.dns_nameservers), tuple(d.host_routes))


def gather(s: Session, network: Any, instance_id: str) -> InstanceFacts | None:
    """The facts of a live (not deleted) instance, or None. ``network`` is the network
    seam (None: a cloud without networking — the guest gets no NICs)."""
    inst = s.get(cm.Instance, instance_id)
    if inst is None or inst.deleted:
        return None
    key_name, key_data, key_type = _key(s, inst)
    nics, groups = _nics(s, network, inst.id) if network is not None else ((), ())
    hostname = (inst.system_metadata or {}).get("hostname") or inst.name
    return InstanceFacts(
        uuid=inst.id, name=inst.name, hostname=hostname, project_id=inst.project_id,
        availability_zone=inst.availability_zone or "", launch_index=inst.launch_index or 0,
        reservation_id=inst.reservation_id or "", image_ref=inst.image_ref or "",
        flavor_name=str((inst.flavor or {}).get("name", "")), key_name=key_name,
        key_data=key_data, key_type=key_type, user_data=decode_user_data(inst.user_data),
        meta={str(k): str(v) for k, v in (inst.metadata_ or {}).items()},
        security_groups=groups, nics=nics, disks=_disks(s, inst.id),
        password=str((inst.system_metadata or {}).get(PASSWORD_KEY) or ""))


def instance_at(s: Session, network: Any, network_id: str, address: str) -> str | None:
    """The instance whose port holds ``address`` on ``network_id`` (what a per-network
    proxy tells us about a guest), or None."""
    if network is None or not network_id or not address:
        return None
    device = network.device_at(s, network_id, address)
    return device or None

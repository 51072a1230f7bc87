"""Ports and what hangs off them: fixed IP allocations, allowed address pairs, extra DHCP
options and the port ↔ security group bindings.

Two things must never be handed out twice, even by several API replicas racing on one
database, and the database itself guarantees both: an address of a subnet (the primary
key of ``network_ip_allocations`` is ``(subnet_id, ip_address)``) and a MAC address on a
network (``uq_network_ports_mac``). IP addresses are stored in their canonical text form
(``ipaddress.ip_address(x)``), so that two spellings of one IPv6 address collide.
"""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from onestack.core.db import Base, JSONDocument
from onestack.network.models.base import NAME, UUID, Standard


class Port(Standard, Base):
    __tablename__ = "network_ports"
    network_id: Mapped[str] = mapped_column(
        UUID, sa.ForeignKey("network_networks.id"), index=True)
    mac_address: Mapped[str] = mapped_column(sa.String(32))
    admin_state_up: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    # DOWN until the network agent reports the port wired (its one writer)
    status: Mapped[str] = mapped_column(sa.String(16), default="DOWN")
    device_id: Mapped[str] = mapped_column(NAME, default="", index=True)
    device_owner: Mapped[str] = mapped_column(NAME, default="")
    port_security_enabled: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    dns_name: Mapped[str] = mapped_column(NAME, default="")
    dns_domain: Mapped[str] = mapped_column(NAME, default="")
    propagate_uplink_status: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    qos_policy_id: Mapped[str | None] = mapped_column(UUID, index=True)
    # the binding (ML2's port binding): written by compute at schedule time
    binding_host_id: Mapped[str] = mapped_column(NAME, default="", index=True)
    binding_vnic_type: Mapped[str] = mapped_column(sa.String(64), default="normal")
    binding_vif_type: Mapped[str] = mapped_column(sa.String(64), default="unbound")
    binding_vif_details: Mapped[dict] = mapped_column(JSONDocument, default=dict)
    binding_profile: Mapped[dict] = mapped_column(JSONDocument, default=dict)
    __table_args__ = (sa.UniqueConstraint("network_id", "mac_address",
                                          name="uq_network_ports_mac"),)


class IPAllocation(Base):
    """One address of a subnet held by a port. The primary key is the guarantee that no
    address is handed out twice."""

    __tablename__ = "network_ip_allocations"
    # a subnet deleted while a port takes one of its addresses takes the address along
    subnet_id: Mapped[str] = mapped_column(
        UUID, sa.ForeignKey("network_subnets.id", ondelete="CASCADE"), primary_key=True)
    ip_address: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    network_id: Mapped[str] = mapped_column(UUID, index=True)
    port_id: Mapped[str] = mapped_column(
        UUID, sa.ForeignKey("network_ports.id", ondelete="CASCADE"), index=True)


class AllowedAddressPair(Base):
    __tablename__ = "network_allowed_address_pairs"
    port_id: Mapped[str] = mapped_column(
        UUID, sa.ForeignKey("network_ports.id", ondelete="CASCADE"), primary_key=True)
    mac_address: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    ip_address: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    position: Mapped[int] = mapped_column(sa.Integer, default=0)


class ExtraDhcpOpt(Base):
    __tablename__ = "network_extra_dhcp_opts"
    port_id: Mapped[str] = mapped_column(
        UUID, sa.ForeignKey("network_ports.id", ondelete="CASCADE"), primary_key=True)
    opt_name: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    ip_version: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    opt_value: Mapped[str] = mapped_column(sa.String(255))


class PortSecurityGroup(Base):
    """A port's security groups (the security groups service reads it to find the ports
    a group applies to, and to refuse deleting a group in use)."""

    __tablename__ = "network_port_security_groups"
    port_id: Mapped[str] = mapped_column(
        UUID, sa.ForeignKey("network_ports.id", ondelete="CASCADE"), primary_key=True)
    security_group_id: Mapped[str] = mapped_column(UUID, primary_key=True, index=True)

"""Layer 3 addressing: subnets with their allocation pools, DNS nameservers, host routes
and service types; subnet pools with their prefixes; address scopes.

Addresses and CIDRs are stored in their canonical text form (``ipaddress``), so that two
spellings of one IPv6 address compare equal. The IPAM of ports reads ``Subnet`` and
``AllocationPool`` (the ranges it allocates from).
"""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from onestack.core.db import Base
from onestack.network.models.base import UUID, Standard

ADDRESS = sa.String(64)


class Subnet(Standard, Base):
    __tablename__ = "network_subnets"
    network_id: Mapped[str] = mapped_column(
        UUID, sa.ForeignKey("network_networks.id"), index=True)
    ip_version: Mapped[int] = mapped_column(sa.Integer)
    cidr: Mapped[str] = mapped_column(ADDRESS)
    gateway_ip: Mapped[str | None] = mapped_column(ADDRESS)
    enable_dhcp: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    ipv6_ra_mode: Mapped[str | None] = mapped_column(sa.String(16))
    ipv6_address_mode: Mapped[str | None] = mapped_column(sa.String(16))
    subnetpool_id: Mapped[str | None] = mapped_column(UUID, index=True)
    segment_id: Mapped[str | None] = mapped_column(UUID, index=True)


class AllocationPool(Base):
    """One range a subnet hands addresses out of (both ends inclusive)."""

    __tablename__ = "network_subnet_allocation_pools"
    subnet_id: Mapped[str] = mapped_column(
        UUID, sa.ForeignKey("network_subnets.id", ondelete="CASCADE"), primary_key=True)
    first_ip: Mapped[str] = mapped_column(ADDRESS, primary_key=True)
    last_ip: Mapped[str] = mapped_column(ADDRESS)


class DNSNameServer(Base):
    """A subnet's nameservers, in the order given (``position``)."""

    __tablename__ = "network_subnet_dns_nameservers"
    subnet_id: Mapped[str] = mapped_column(
        UUID, sa.ForeignKey("network_subnets.id", ondelete="CASCADE"), primary_key=True)
    address: Mapped[str] = mapped_column(ADDRESS, primary_key=True)
    position: Mapped[int] = mapped_column(sa.Integer, default=0)


class HostRoute(Base):
    __tablename__ = "network_subnet_host_routes"
    subnet_id: Mapped[str] = mapped_column(
        UUID, sa.ForeignKey("network_subnets.id", ondelete="CASCADE"), primary_key=True)
    destination: Mapped[str] = mapped_column(ADDRESS, primary_key=True)
    nexthop: Mapped[str] = mapped_column(ADDRESS, primary_key=True)
    position: Mapped[int] = mapped_column(sa.Integer, default=0)


class SubnetServiceType(Base):
    __tablename__ = "network_subnet_service_types"
    subnet_id: Mapped[str] = mapped_column(
        UUID, sa.ForeignKey("network_subnets.id", ondelete="CASCADE"), primary_key=True)
    service_type: Mapped[str] = mapped_column(sa.String(255), primary_key=True)


class SubnetPool(Standard, Base):
    __tablename__ = "network_subnetpools"
    ip_version: Mapped[int] = mapped_column(sa.Integer)
    default_prefixlen: Mapped[int] = mapped_column(sa.Integer)
    min_prefixlen: Mapped[int] = mapped_column(sa.Integer)
    max_prefixlen: Mapped[int] = mapped_column(sa.Integer)
    shared: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    is_default: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    default_quota: Mapped[int | None] = mapped_column(sa.Integer)
    address_scope_id: Mapped[str | None] = mapped_column(UUID, index=True)


class SubnetPoolPrefix(Base):
    __tablename__ = "network_subnetpool_prefixes"
    subnetpool_id: Mapped[str] = mapped_column(
        UUID, sa.ForeignKey("network_subnetpools.id", ondelete="CASCADE"),
        primary_key=True)
    cidr: Mapped[str] = mapped_column(ADDRESS, primary_key=True)


class AddressScope(Standard, Base):
    __tablename__ = "network_address_scopes"
    ip_version: Mapped[int] = mapped_column(sa.Integer)
    shared: Mapped[bool] = mapped_column(sa.Boolean, default=False)

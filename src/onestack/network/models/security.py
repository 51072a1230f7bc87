"""Security groups, their rules, and address groups (the port ↔ group bindings are the
ports' table, ``models.ports.PortSecurityGroup``).

Two things must never happen twice, so the database refuses them rather than a check in
Python: a project's second ``default`` group (``default_for`` is unique: the project id on
its default group, NULL on every other) and a rule equal to one its group already has
(``fingerprint`` is unique: the group and the rule's canonical match, see
``service.security_group_rules.fingerprint``).
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from onestack.core.db import Base, Timestamp
from onestack.network.models.base import PROJECT, UUID, Standard


class SecurityGroup(Standard, Base):
    __tablename__ = "network_security_groups"
    stateful: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    # the project id on a project's default group, NULL otherwise (unique: one per project)
    default_for: Mapped[str | None] = mapped_column(PROJECT, unique=True)


class SecurityGroupRule(Base):
    __tablename__ = "network_security_group_rules"
    id: Mapped[str] = mapped_column(UUID, primary_key=True)
    project_id: Mapped[str] = mapped_column(PROJECT, index=True, default="")
    description: Mapped[str] = mapped_column(sa.String(255), default="")
    created_at: Mapped[datetime] = mapped_column(Timestamp)
    updated_at: Mapped[datetime] = mapped_column(Timestamp)
    revision_number: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    security_group_id: Mapped[str] = mapped_column(
        UUID, sa.ForeignKey("network_security_groups.id", ondelete="CASCADE"), index=True)
    # a rule naming a group as its remote goes with that group (as in Neutron)
    remote_group_id: Mapped[str | None] = mapped_column(
        UUID, sa.ForeignKey("network_security_groups.id", ondelete="CASCADE"), index=True)
    remote_address_group_id: Mapped[str | None] = mapped_column(
        UUID, sa.ForeignKey("network_address_groups.id", ondelete="RESTRICT"), index=True)
    direction: Mapped[str] = mapped_column(sa.String(8))
    ethertype: Mapped[str] = mapped_column(sa.String(4), default="IPv4")
    protocol: Mapped[str | None] = mapped_column(sa.String(40))
    port_range_min: Mapped[int | None] = mapped_column(sa.Integer)
    port_range_max: Mapped[int | None] = mapped_column(sa.Integer)
    remote_ip_prefix: Mapped[str | None] = mapped_column(sa.String(64))
    # the group id and the rule's canonical match: equal rules cannot both exist
    fingerprint: Mapped[str] = mapped_column(sa.String(255), unique=True)


class AddressGroup(Standard, Base):
    __tablename__ = "network_address_groups"


class AddressGroupAddress(Base):
    __tablename__ = "network_address_group_addresses"
    address_group_id: Mapped[str] = mapped_column(
        UUID, sa.ForeignKey("network_address_groups.id", ondelete="CASCADE"),
        primary_key=True)
    address: Mapped[str] = mapped_column(sa.String(64), primary_key=True)

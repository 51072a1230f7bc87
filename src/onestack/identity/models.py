"""Identity tables. Domains are projects with ``is_domain`` set, as in the Keystone model, so
that a project hierarchy and a domain share one id space."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from onestack.core.db import Base, Timestamp

ID = sa.String(64)
NAME = sa.String(255)
ROOT_DOMAIN = "<<root>>"  # domain_id of a domain row, so (domain_id, name) stays unique
GLOBAL_ROLE = "<<null>>"  # domain_id of a global role


class Project(Base):
    __tablename__ = "identity_projects"
    __table_args__ = (sa.UniqueConstraint("domain_id", "name", name="uq_project_domain_name"),)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(64))
    domain_id: Mapped[str] = mapped_column(ID, index=True)
    parent_id: Mapped[str | None] = mapped_column(ID, index=True)
    description: Mapped[str | None] = mapped_column(sa.Text)
    enabled: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    is_domain: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    extra: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    options: Mapped[dict] = mapped_column(sa.JSON, default=dict)


class ProjectTag(Base):
    __tablename__ = "identity_project_tags"
    project_id: Mapped[str] = mapped_column(
        ID, sa.ForeignKey("identity_projects.id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(255), primary_key=True)


class User(Base):
    __tablename__ = "identity_users"
    __table_args__ = (sa.UniqueConstraint("domain_id", "name", name="uq_user_domain_name"),)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(NAME)
    domain_id: Mapped[str] = mapped_column(ID, index=True)
    enabled: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    default_project_id: Mapped[str | None] = mapped_column(ID)
    description: Mapped[str | None] = mapped_column(sa.Text)
    extra: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    options: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    password_created_at: Mapped[datetime | None] = mapped_column(Timestamp)
    password_expires_at: Mapped[datetime | None] = mapped_column(Timestamp)
    failed_auth_count: Mapped[int] = mapped_column(sa.Integer, default=0)
    last_failed_auth_at: Mapped[datetime | None] = mapped_column(Timestamp)
    created_at: Mapped[datetime | None] = mapped_column(Timestamp)


class PasswordHistory(Base):
    __tablename__ = "identity_password_history"
    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(
        ID, sa.ForeignKey("identity_users.id", ondelete="CASCADE"), index=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    created_at: Mapped[datetime] = mapped_column(Timestamp)


class Group(Base):
    __tablename__ = "identity_groups"
    __table_args__ = (sa.UniqueConstraint("domain_id", "name", name="uq_group_domain_name"),)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(NAME)
    domain_id: Mapped[str] = mapped_column(ID, index=True)
    description: Mapped[str | None] = mapped_column(sa.Text)
    extra: Mapped[dict] = mapped_column(sa.JSON, default=dict)


class Membership(Base):
    __tablename__ = "identity_group_members"
    user_id: Mapped[str] = mapped_column(
        ID, sa.ForeignKey("identity_users.id", ondelete="CASCADE"), primary_key=True)
    group_id: Mapped[str] = mapped_column(
        ID, sa.ForeignKey("identity_groups.id", ondelete="CASCADE"), primary_key=True, index=True)


class Role(Base):
    __tablename__ = "identity_roles"
    __table_args__ = (sa.UniqueConstraint("domain_id", "name", name="uq_role_domain_name"),)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(NAME)
    domain_id: Mapped[str] = mapped_column(ID, default=GLOBAL_ROLE)
    description: Mapped[str | None] = mapped_column(sa.Text)
    extra: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    options: Mapped[dict] = mapped_column(sa.JSON, default=dict)


class ImpliedRole(Base):
    __tablename__ = "identity_implied_roles"
    prior_role_id: Mapped[str] = mapped_column(
        ID, sa.ForeignKey("identity_roles.id", ondelete="CASCADE"), primary_key=True)
    implied_role_id: Mapped[str] = mapped_column(
        ID, sa.ForeignKey("identity_roles.id", ondelete="CASCADE"), primary_key=True)


class Assignment(Base):
    """One role grant. ``kind``: UserProject, GroupProject, UserDomain, GroupDomain,
    UserSystem, GroupSystem; system grants use target ``all``."""

    __tablename__ = "identity_assignments"
    kind: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    actor_id: Mapped[str] = mapped_column(ID, primary_key=True)
    target_id: Mapped[str] = mapped_column(ID, primary_key=True, index=True)
    role_id: Mapped[str] = mapped_column(
        ID, sa.ForeignKey("identity_roles.id", ondelete="CASCADE"), primary_key=True)
    inherited: Mapped[bool] = mapped_column(sa.Boolean, primary_key=True, default=False)
    __table_args__ = (sa.Index("ix_assignment_actor", "actor_id"),)

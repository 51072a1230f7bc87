"""Image service tables (all prefixed ``image_``).

Images are deleted for real (with their properties, tags and members); custom properties
are rows of their own so that list filters on them work the same on every backend.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from onestack.core.db import Base, Timestamp

UUID = sa.String(36)
PROJECT = sa.String(64)


class Image(Base):
    __tablename__ = "image_images"
    id: Mapped[str] = mapped_column(UUID, primary_key=True)
    name: Mapped[str | None] = mapped_column(sa.String(255), index=True)
    status: Mapped[str] = mapped_column(sa.String(30), index=True)
    visibility: Mapped[str] = mapped_column(sa.String(20), index=True)
    owner: Mapped[str | None] = mapped_column(PROJECT, index=True)
    size: Mapped[int | None] = mapped_column(sa.BigInteger)
    virtual_size: Mapped[int | None] = mapped_column(sa.BigInteger)
    checksum: Mapped[str | None] = mapped_column(sa.String(32))
    os_hash_algo: Mapped[str | None] = mapped_column(sa.String(64))
    os_hash_value: Mapped[str | None] = mapped_column(sa.String(128))
    disk_format: Mapped[str | None] = mapped_column(sa.String(32))
    container_format: Mapped[str | None] = mapped_column(sa.String(32))
    min_disk: Mapped[int] = mapped_column(sa.Integer, default=0)
    min_ram: Mapped[int] = mapped_column(sa.Integer, default=0)
    protected: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    os_hidden: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    stores: Mapped[str | None] = mapped_column(sa.String(255))  # where the data is, if any
    staged_size: Mapped[int | None] = mapped_column(sa.BigInteger)  # bytes in staging
    # Bytes an in-flight write may still add (quota reservation): counted in the stage
    # total while uploading, in the size total while saving or importing.
    reserved_bytes: Mapped[int | None] = mapped_column(sa.BigInteger)
    created_at: Mapped[datetime] = mapped_column(Timestamp, index=True)
    updated_at: Mapped[datetime] = mapped_column(Timestamp)


class QuotaLock(Base):
    """One row per project, locked (``FOR UPDATE``) while its quota is checked and its
    bytes reserved, so that parallel uploads see each other's reservations."""

    __tablename__ = "image_quota_locks"
    project_id: Mapped[str] = mapped_column(PROJECT, primary_key=True)


class ImageProperty(Base):
    __tablename__ = "image_properties"
    image_id: Mapped[str] = mapped_column(
        UUID, sa.ForeignKey("image_images.id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    value: Mapped[str] = mapped_column(sa.Text)


class ImageTag(Base):
    __tablename__ = "image_tags"
    image_id: Mapped[str] = mapped_column(
        UUID, sa.ForeignKey("image_images.id", ondelete="CASCADE"), primary_key=True)
    value: Mapped[str] = mapped_column(sa.String(255), primary_key=True)


class ImageMember(Base):
    __tablename__ = "image_members"
    image_id: Mapped[str] = mapped_column(
        UUID, sa.ForeignKey("image_images.id", ondelete="CASCADE"), primary_key=True)
    member: Mapped[str] = mapped_column(sa.String(255), primary_key=True, index=True)
    status: Mapped[str] = mapped_column(sa.String(20))
    created_at: Mapped[datetime] = mapped_column(Timestamp)
    updated_at: Mapped[datetime] = mapped_column(Timestamp)


class Task(Base):
    """Import tasks (``api_image_import``) and the legacy ``/v2/tasks`` resource."""

    __tablename__ = "image_tasks"
    id: Mapped[str] = mapped_column(UUID, primary_key=True)
    type: Mapped[str] = mapped_column(sa.String(30))
    status: Mapped[str] = mapped_column(sa.String(30))
    owner: Mapped[str | None] = mapped_column(PROJECT, index=True)
    image_id: Mapped[str | None] = mapped_column(UUID, index=True)
    request_id: Mapped[str | None] = mapped_column(sa.String(64))
    user_id: Mapped[str | None] = mapped_column(sa.String(64))
    input: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    result: Mapped[dict | None] = mapped_column(sa.JSON)
    message: Mapped[str] = mapped_column(sa.Text, default="")
    expires_at: Mapped[datetime | None] = mapped_column(Timestamp)
    created_at: Mapped[datetime] = mapped_column(Timestamp)
    updated_at: Mapped[datetime] = mapped_column(Timestamp)


class MetadefNamespace(Base):
    __tablename__ = "image_metadef_namespaces"
    id: Mapped[str] = mapped_column(UUID, primary_key=True)
    namespace: Mapped[str] = mapped_column(sa.String(80), unique=True)
    display_name: Mapped[str | None] = mapped_column(sa.String(80))
    description: Mapped[str | None] = mapped_column(sa.Text)
    visibility: Mapped[str] = mapped_column(sa.String(32), default="private")
    protected: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    owner: Mapped[str | None] = mapped_column(sa.String(255))
    created_at: Mapped[datetime] = mapped_column(Timestamp)
    updated_at: Mapped[datetime] = mapped_column(Timestamp)


class _NamespaceChild:
    """Objects, properties and tags: a name unique in its namespace and a JSON body."""

    id: Mapped[str] = mapped_column(UUID, primary_key=True)
    namespace_id: Mapped[str] = mapped_column(
        UUID, sa.ForeignKey("image_metadef_namespaces.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(255))
    body: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(Timestamp)
    updated_at: Mapped[datetime] = mapped_column(Timestamp)


class MetadefObject(_NamespaceChild, Base):
    __tablename__ = "image_metadef_objects"
    __table_args__ = (sa.UniqueConstraint("namespace_id", "name", name="uq_metadef_object"),)


class MetadefProperty(_NamespaceChild, Base):
    __tablename__ = "image_metadef_properties"
    __table_args__ = (sa.UniqueConstraint("namespace_id", "name", name="uq_metadef_property"),)


class MetadefTag(_NamespaceChild, Base):
    __tablename__ = "image_metadef_tags"
    __table_args__ = (sa.UniqueConstraint("namespace_id", "name", name="uq_metadef_tag"),)


class MetadefResourceType(Base):
    __tablename__ = "image_metadef_resource_types"
    id: Mapped[str] = mapped_column(UUID, primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    protected: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(Timestamp)
    updated_at: Mapped[datetime] = mapped_column(Timestamp)


class MetadefAssociation(Base):
    """A namespace applies to a resource type (with an optional property prefix)."""

    __tablename__ = "image_metadef_associations"
    namespace_id: Mapped[str] = mapped_column(
        UUID, sa.ForeignKey("image_metadef_namespaces.id", ondelete="CASCADE"),
        primary_key=True)
    resource_type_id: Mapped[str] = mapped_column(
        UUID, sa.ForeignKey("image_metadef_resource_types.id", ondelete="CASCADE"),
        primary_key=True)
    prefix: Mapped[str | None] = mapped_column(sa.String(80))
    properties_target: Mapped[str | None] = mapped_column(sa.String(80))
    created_at: Mapped[datetime] = mapped_column(Timestamp)
    updated_at: Mapped[datetime] = mapped_column(Timestamp)

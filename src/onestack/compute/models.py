"""Compute tables: flavors, keypairs, instances and what hangs off them, hosts (compute
services), aggregates, server groups and quotas."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from onestack.core.db import Base, Timestamp

ID = sa.String(64)


class Flavor(Base):
    __tablename__ = "compute_flavors"
    id: Mapped[str] = mapped_column(ID, primary_key=True)  # the API's flavorid
    name: Mapped[str] = mapped_column(sa.String(255), unique=True)
    vcpus: Mapped[int] = mapped_column(sa.Integer)
    ram: Mapped[int] = mapped_column(sa.Integer)
    disk: Mapped[int] = mapped_column(sa.Integer)
    ephemeral: Mapped[int] = mapped_column(sa.Integer, default=0)
    swap: Mapped[int] = mapped_column(sa.Integer, default=0)
    rxtx_factor: Mapped[float] = mapped_column(sa.Float, default=1.0)
    is_public: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    disabled: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    description: Mapped[str | None] = mapped_column(sa.Text)
    extra_specs: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[datetime | None] = mapped_column(Timestamp)


class FlavorAccess(Base):
    __tablename__ = "compute_flavor_access"
    flavor_id: Mapped[str] = mapped_column(
        ID, sa.ForeignKey("compute_flavors.id", ondelete="CASCADE"), primary_key=True)
    project_id: Mapped[str] = mapped_column(ID, primary_key=True)


class Keypair(Base):
    __tablename__ = "compute_keypairs"
    user_id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    id: Mapped[int] = mapped_column(sa.Integer, autoincrement=True, unique=True)
    type: Mapped[str] = mapped_column(sa.String(8), default="ssh")
    public_key: Mapped[str] = mapped_column(sa.Text)
    fingerprint: Mapped[str] = mapped_column(sa.String(255))
    created_at: Mapped[datetime | None] = mapped_column(Timestamp)


class Instance(Base):
    """One server. The API writes the desired state (``task_state`` names the action asked
    for); the scheduler writes ``host``; the host agent writes observed state."""

    __tablename__ = "compute_instances"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    project_id: Mapped[str] = mapped_column(ID, index=True)
    user_id: Mapped[str] = mapped_column(ID)
    name: Mapped[str] = mapped_column(sa.String(255))
    description: Mapped[str | None] = mapped_column(sa.Text)
    image_ref: Mapped[str] = mapped_column(sa.String(255), default="")
    flavor_id: Mapped[str] = mapped_column(ID)
    flavor: Mapped[dict] = mapped_column(sa.JSON)  # snapshot of the flavor at boot/resize
    old_flavor: Mapped[dict | None] = mapped_column(sa.JSON)
    key_name: Mapped[str | None] = mapped_column(sa.String(255))
    key_data: Mapped[str | None] = mapped_column(sa.Text)
    user_data: Mapped[str | None] = mapped_column(sa.Text)
    availability_zone: Mapped[str | None] = mapped_column(sa.String(255))
    requested_az: Mapped[str | None] = mapped_column(sa.String(255))
    host: Mapped[str | None] = mapped_column(sa.String(255), index=True)
    node: Mapped[str | None] = mapped_column(sa.String(255))
    vm_state: Mapped[str] = mapped_column(sa.String(32), index=True)
    task_state: Mapped[str | None] = mapped_column(sa.String(32), index=True)
    power_state: Mapped[int] = mapped_column(sa.Integer, default=0)
    locked: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    locked_by: Mapped[str | None] = mapped_column(sa.String(16))
    locked_reason: Mapped[str | None] = mapped_column(sa.Text)
    config_drive: Mapped[str] = mapped_column(sa.String(8), default="")
    access_ip_v4: Mapped[str | None] = mapped_column(sa.String(64))
    access_ip_v6: Mapped[str | None] = mapped_column(sa.String(64))
    disk_config: Mapped[str] = mapped_column(sa.String(8), default="MANUAL")
    launch_index: Mapped[int] = mapped_column(sa.Integer, default=0)
    reservation_id: Mapped[str] = mapped_column(sa.String(32), default="")
    metadata_: Mapped[dict] = mapped_column("metadata", sa.JSON, default=dict)
    tags: Mapped[list] = mapped_column(sa.JSON, default=list)
    system_metadata: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    request: Mapped[dict] = mapped_column(sa.JSON, default=dict)  # the boot's hints, as asked
    # scheduling inputs the API writes with each action that asks for a host (a boot, a
    # move, an unshelve): the scheduler only reads them; hosts tried are ``TriedHost`` rows
    server_group_id: Mapped[str | None] = mapped_column(ID)
    force_host: Mapped[str | None] = mapped_column(sa.String(255))
    # desired state the API writes and the host agent only reads: a server evacuated while
    # stopped comes back stopped; an evacuation's rebuild marks its migration done; the
    # image a shelve registers is the one the agent stores and, on unshelve, deletes
    keep_stopped: Mapped[bool] = mapped_column(sa.Boolean, default=False,
                                               server_default=sa.false())
    evacuating: Mapped[bool] = mapped_column(sa.Boolean, default=False,
                                             server_default=sa.false())
    shelved_image_id: Mapped[str | None] = mapped_column(ID)
    # what createImage / createBackup asked (the API's); the agent stores the image and,
    # for a backup, rotates that type's older backups beyond ``backup_rotation``
    snapshot_image_id: Mapped[str | None] = mapped_column(ID)
    backup_type: Mapped[str | None] = mapped_column(sa.String(255))
    backup_rotation: Mapped[int | None] = mapped_column(sa.Integer)
    progress: Mapped[int] = mapped_column(sa.Integer, default=0)
    console_log: Mapped[str] = mapped_column(sa.Text, default="")
    launched_at: Mapped[datetime | None] = mapped_column(Timestamp)
    terminated_at: Mapped[datetime | None] = mapped_column(Timestamp)
    created_at: Mapped[datetime] = mapped_column(Timestamp, index=True)
    updated_at: Mapped[datetime] = mapped_column(Timestamp, index=True)
    deleted: Mapped[bool] = mapped_column(sa.Boolean, default=False, index=True)
    deleted_at: Mapped[datetime | None] = mapped_column(Timestamp)


class TriedHost(Base):
    """A host the current scheduling request must not pick again: one the build failed on
    (the host agent adds it before rescheduling) or the host an evacuation leaves (the
    API). Rows, not a list in a JSON column, so two writers never rewrite each other's."""

    __tablename__ = "compute_tried_hosts"
    instance_id: Mapped[str] = mapped_column(ID, primary_key=True)
    host: Mapped[str] = mapped_column(sa.String(255), primary_key=True)


class InstanceFault(Base):
    __tablename__ = "compute_instance_faults"
    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    instance_id: Mapped[str] = mapped_column(ID, index=True)
    code: Mapped[int] = mapped_column(sa.Integer)
    message: Mapped[str] = mapped_column(sa.Text)
    details: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(Timestamp)


class InstanceAction(Base):
    __tablename__ = "compute_instance_actions"
    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    instance_id: Mapped[str] = mapped_column(ID, index=True)
    action: Mapped[str] = mapped_column(sa.String(64))
    request_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    user_id: Mapped[str] = mapped_column(ID)
    project_id: Mapped[str] = mapped_column(ID)
    message: Mapped[str | None] = mapped_column(sa.Text)
    start_time: Mapped[datetime] = mapped_column(Timestamp)
    updated_at: Mapped[datetime | None] = mapped_column(Timestamp)
    events: Mapped[list] = mapped_column(sa.JSON, default=list)


class ComputeHost(Base):
    """A registered compute agent (``os-services`` binary ``nova-compute``) and its node."""

    __tablename__ = "compute_hosts"
    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(ID, unique=True)
    host: Mapped[str] = mapped_column(sa.String(255), unique=True)
    binary: Mapped[str] = mapped_column(sa.String(64), default="nova-compute")
    zone: Mapped[str] = mapped_column(sa.String(255), default="nova")
    driver: Mapped[str] = mapped_column(sa.String(32), default="fake")
    disabled: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    disabled_reason: Mapped[str | None] = mapped_column(sa.Text)
    forced_down: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    last_seen_at: Mapped[datetime | None] = mapped_column(Timestamp)
    vcpus: Mapped[int] = mapped_column(sa.Integer, default=0)
    memory_mb: Mapped[int] = mapped_column(sa.Integer, default=0)
    local_gb: Mapped[int] = mapped_column(sa.Integer, default=0)
    hypervisor_type: Mapped[str] = mapped_column(sa.String(32), default="fake")
    host_ip: Mapped[str] = mapped_column(sa.String(64), default="127.0.0.1")
    created_at: Mapped[datetime | None] = mapped_column(Timestamp)
    updated_at: Mapped[datetime | None] = mapped_column(Timestamp)


class Aggregate(Base):
    __tablename__ = "compute_aggregates"
    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(ID, unique=True)
    name: Mapped[str] = mapped_column(sa.String(255), unique=True)
    hosts: Mapped[list] = mapped_column(sa.JSON, default=list)
    metadata_: Mapped[dict] = mapped_column("metadata", sa.JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(Timestamp)
    updated_at: Mapped[datetime | None] = mapped_column(Timestamp)


class ServerGroup(Base):
    __tablename__ = "compute_server_groups"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(255))
    project_id: Mapped[str] = mapped_column(ID, index=True)
    user_id: Mapped[str] = mapped_column(ID)
    policy: Mapped[str] = mapped_column(sa.String(32))
    rules: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    members: Mapped[list] = mapped_column(sa.JSON, default=list)


class QuotaLimit(Base):
    """A per-project (or per-class with ``project_id`` = ``class:<name>``) quota override."""

    __tablename__ = "compute_quotas"
    project_id: Mapped[str] = mapped_column(ID, primary_key=True)
    user_id: Mapped[str] = mapped_column(ID, primary_key=True, default="")
    resource: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    hard_limit: Mapped[int] = mapped_column(sa.Integer)


class Migration(Base):
    """One move of a server (resize, cold or live migration, evacuation), as
    ``os-migrations`` lists it, and the move's state while it runs: the API writes what
    was asked (type, source, ``new_flavor``), the scheduler the destination
    (``dest_compute``, ``dest_zone``), the host agents the step reached (``live_step``,
    ``status``). The instance's newest migration is the one its move task is about."""

    __tablename__ = "compute_migrations"
    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(ID, unique=True)
    instance_uuid: Mapped[str] = mapped_column(ID, index=True)
    project_id: Mapped[str] = mapped_column(ID)
    user_id: Mapped[str] = mapped_column(ID)
    migration_type: Mapped[str] = mapped_column(sa.String(32))
    status: Mapped[str] = mapped_column(sa.String(32))
    source_compute: Mapped[str | None] = mapped_column(sa.String(255))
    dest_compute: Mapped[str | None] = mapped_column(sa.String(255))
    old_flavor_id: Mapped[str | None] = mapped_column(ID)
    new_flavor_id: Mapped[str | None] = mapped_column(ID)
    new_flavor: Mapped[dict | None] = mapped_column(sa.JSON)  # a resize's flavor snapshot
    dest_zone: Mapped[str | None] = mapped_column(sa.String(255))
    live_step: Mapped[str | None] = mapped_column(sa.String(16))
    created_at: Mapped[datetime] = mapped_column(Timestamp)
    updated_at: Mapped[datetime | None] = mapped_column(Timestamp)

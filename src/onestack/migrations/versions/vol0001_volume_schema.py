"""volume schema: every volume_* table of the Block Storage service

Revision ID: vol0001
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

revision = 'vol0001'
down_revision = '0001'
branch_labels = ('volume',)
depends_on = None


def upgrade() -> None:
    op.create_table('volume_backends',
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('host', sa.String(length=255), nullable=False),
    sa.Column('backend', sa.String(length=255), nullable=False),
    sa.Column('driver', sa.String(length=64), nullable=False),
    sa.Column('availability_zone', sa.String(length=255), nullable=False),
    sa.Column('storage_protocol', sa.String(length=32), nullable=False),
    sa.Column('vendor_name', sa.String(length=64), nullable=False),
    sa.Column('driver_version', sa.String(length=32), nullable=False),
    sa.Column('total_capacity_gb', sa.BigInteger(), nullable=False),
    sa.Column('allocated_capacity_gb', sa.BigInteger(), nullable=False),
    sa.Column('max_over_subscription_ratio', sa.Float(), nullable=False),
    sa.Column('disabled', sa.Boolean(), nullable=False),
    sa.Column('disabled_reason', sa.String(length=1024), nullable=True),
    sa.Column('frozen', sa.Boolean(), nullable=False),
    sa.Column('heartbeat_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=True),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=True),
    sa.PrimaryKeyConstraint('name')
    )
    op.create_index(op.f('ix_volume_backends_host'), 'volume_backends', ['host'], unique=False)
    op.create_table('volume_backups',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=255), nullable=False),
    sa.Column('user_id', sa.String(length=255), nullable=False),
    sa.Column('volume_id', sa.String(length=36), nullable=False),
    sa.Column('snapshot_id', sa.String(length=36), nullable=True),
    sa.Column('host', sa.String(length=255), nullable=False),
    sa.Column('availability_zone', sa.String(length=255), nullable=True),
    sa.Column('name', sa.String(length=255), nullable=True),
    sa.Column('description', sa.String(length=1024), nullable=True),
    sa.Column('container', sa.String(length=255), nullable=True),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('task', sa.String(length=16), nullable=False),
    sa.Column('fail_reason', sa.String(length=1024), nullable=True),
    sa.Column('service', sa.String(length=255), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('object_count', sa.Integer(), nullable=False),
    sa.Column('chunk_size', sa.Integer(), nullable=False),
    sa.Column('parent_id', sa.String(length=36), nullable=True),
    sa.Column('num_dependent_backups', sa.Integer(), nullable=False),
    sa.Column('data_timestamp', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=True),
    sa.Column('restore_volume_id', sa.String(length=36), nullable=True),
    sa.Column('volume_meta', sa.JSON(), nullable=True),
    sa.Column('use_quota', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_volume_backups_host'), 'volume_backups', ['host'], unique=False)
    op.create_index(op.f('ix_volume_backups_parent_id'), 'volume_backups', ['parent_id'], unique=False)
    op.create_index(op.f('ix_volume_backups_project_id'), 'volume_backups', ['project_id'], unique=False)
    op.create_index(op.f('ix_volume_backups_status'), 'volume_backups', ['status'], unique=False)
    op.create_index(op.f('ix_volume_backups_volume_id'), 'volume_backups', ['volume_id'], unique=False)
    op.create_table('volume_group_snapshots',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('group_id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=255), nullable=False),
    sa.Column('user_id', sa.String(length=255), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=True),
    sa.Column('description', sa.String(length=1024), nullable=True),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('group_type_id', sa.String(length=36), nullable=False),
    sa.Column('pending', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_volume_group_snapshots_group_id'), 'volume_group_snapshots', ['group_id'], unique=False)
    op.create_index(op.f('ix_volume_group_snapshots_project_id'), 'volume_group_snapshots', ['project_id'], unique=False)
    op.create_index(op.f('ix_volume_group_snapshots_status'), 'volume_group_snapshots', ['status'], unique=False)
    op.create_table('volume_group_types',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('description', sa.String(length=1024), nullable=True),
    sa.Column('is_public', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('volume_groups',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=255), nullable=False),
    sa.Column('user_id', sa.String(length=255), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=True),
    sa.Column('description', sa.String(length=1024), nullable=True),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('availability_zone', sa.String(length=255), nullable=False),
    sa.Column('group_type_id', sa.String(length=36), nullable=False),
    sa.Column('group_snapshot_id', sa.String(length=36), nullable=True),
    sa.Column('source_group_id', sa.String(length=36), nullable=True),
    sa.Column('replication_status', sa.String(length=32), nullable=True),
    sa.Column('pending', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_volume_groups_group_type_id'), 'volume_groups', ['group_type_id'], unique=False)
    op.create_index(op.f('ix_volume_groups_project_id'), 'volume_groups', ['project_id'], unique=False)
    op.create_index(op.f('ix_volume_groups_status'), 'volume_groups', ['status'], unique=False)
    op.create_table('volume_messages',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=255), nullable=False),
    sa.Column('request_id', sa.String(length=255), nullable=False),
    sa.Column('resource_type', sa.String(length=64), nullable=False),
    sa.Column('resource_uuid', sa.String(length=36), nullable=True),
    sa.Column('event_id', sa.String(length=64), nullable=False),
    sa.Column('message_level', sa.String(length=16), nullable=False),
    sa.Column('user_message', sa.String(length=1024), nullable=False),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('expires_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_volume_messages_expires_at'), 'volume_messages', ['expires_at'], unique=False)
    op.create_index(op.f('ix_volume_messages_project_id'), 'volume_messages', ['project_id'], unique=False)
    op.create_index(op.f('ix_volume_messages_resource_uuid'), 'volume_messages', ['resource_uuid'], unique=False)
    op.create_table('volume_qos_specs',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('consumer', sa.String(length=32), nullable=False),
    sa.Column('specs', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('volume_quota_classes',
    sa.Column('class_name', sa.String(length=255), nullable=False),
    sa.Column('resource', sa.String(length=300), nullable=False),
    sa.Column('hard_limit', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('class_name', 'resource')
    )
    op.create_table('volume_quota_locks',
    sa.Column('project_id', sa.String(length=255), nullable=False),
    sa.PrimaryKeyConstraint('project_id')
    )
    op.create_table('volume_quota_usages',
    sa.Column('project_id', sa.String(length=255), nullable=False),
    sa.Column('resource', sa.String(length=300), nullable=False),
    sa.Column('in_use', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=True),
    sa.PrimaryKeyConstraint('project_id', 'resource')
    )
    op.create_table('volume_quotas',
    sa.Column('project_id', sa.String(length=255), nullable=False),
    sa.Column('resource', sa.String(length=300), nullable=False),
    sa.Column('hard_limit', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('project_id', 'resource')
    )
    op.create_table('volume_services',
    sa.Column('binary', sa.String(length=64), nullable=False),
    sa.Column('host', sa.String(length=255), nullable=False),
    sa.Column('availability_zone', sa.String(length=255), nullable=False),
    sa.Column('disabled', sa.Boolean(), nullable=False),
    sa.Column('disabled_reason', sa.String(length=1024), nullable=True),
    sa.Column('heartbeat_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=True),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=True),
    sa.PrimaryKeyConstraint('binary', 'host')
    )
    op.create_table('volume_snapshots',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('volume_id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=255), nullable=False),
    sa.Column('user_id', sa.String(length=255), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=True),
    sa.Column('description', sa.String(length=1024), nullable=True),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('progress', sa.String(length=8), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('host', sa.String(length=255), nullable=False),
    sa.Column('volume_type_id', sa.String(length=36), nullable=True),
    sa.Column('group_snapshot_id', sa.String(length=36), nullable=True),
    sa.Column('provider_location', sa.String(length=255), nullable=True),
    sa.Column('use_quota', sa.Boolean(), nullable=False),
    sa.Column('status_reset', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_volume_snapshots_group_snapshot_id'), 'volume_snapshots', ['group_snapshot_id'], unique=False)
    op.create_index(op.f('ix_volume_snapshots_host'), 'volume_snapshots', ['host'], unique=False)
    op.create_index(op.f('ix_volume_snapshots_project_id'), 'volume_snapshots', ['project_id'], unique=False)
    op.create_index(op.f('ix_volume_snapshots_status'), 'volume_snapshots', ['status'], unique=False)
    op.create_index(op.f('ix_volume_snapshots_volume_id'), 'volume_snapshots', ['volume_id'], unique=False)
    op.create_table('volume_transfers',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('volume_id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=255), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=True),
    sa.Column('salt', sa.String(length=64), nullable=False),
    sa.Column('crypt_hash', sa.String(length=128), nullable=False),
    sa.Column('no_snapshots', sa.Boolean(), nullable=False),
    sa.Column('destination_project_id', sa.String(length=255), nullable=True),
    sa.Column('accepted', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('volume_id')
    )
    op.create_index(op.f('ix_volume_transfers_project_id'), 'volume_transfers', ['project_id'], unique=False)
    op.create_table('volume_types',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('description', sa.String(length=1024), nullable=True),
    sa.Column('is_public', sa.Boolean(), nullable=False),
    sa.Column('qos_specs_id', sa.String(length=36), nullable=True),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_index(op.f('ix_volume_types_qos_specs_id'), 'volume_types', ['qos_specs_id'], unique=False)
    op.create_table('volume_volumes',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=255), nullable=False),
    sa.Column('user_id', sa.String(length=255), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=True),
    sa.Column('description', sa.String(length=1024), nullable=True),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('attach_status', sa.String(length=32), nullable=False),
    sa.Column('migration_status', sa.String(length=32), nullable=True),
    sa.Column('previous_status', sa.String(length=32), nullable=True),
    sa.Column('availability_zone', sa.String(length=255), nullable=False),
    sa.Column('host', sa.String(length=255), nullable=False),
    sa.Column('volume_type_id', sa.String(length=36), nullable=True),
    sa.Column('snapshot_id', sa.String(length=36), nullable=True),
    sa.Column('source_volid', sa.String(length=36), nullable=True),
    sa.Column('image_id', sa.String(length=36), nullable=True),
    sa.Column('backup_id', sa.String(length=36), nullable=True),
    sa.Column('bootable', sa.Boolean(), nullable=False),
    sa.Column('multiattach', sa.Boolean(), nullable=False),
    sa.Column('replication_status', sa.String(length=32), nullable=True),
    sa.Column('group_id', sa.String(length=36), nullable=True),
    sa.Column('provider_location', sa.String(length=255), nullable=True),
    sa.Column('target_size', sa.Integer(), nullable=True),
    sa.Column('task_image_id', sa.String(length=36), nullable=True),
    sa.Column('use_quota', sa.Boolean(), nullable=False),
    sa.Column('launched_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=True),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_volume_volumes_group_id'), 'volume_volumes', ['group_id'], unique=False)
    op.create_index(op.f('ix_volume_volumes_host'), 'volume_volumes', ['host'], unique=False)
    op.create_index(op.f('ix_volume_volumes_project_id'), 'volume_volumes', ['project_id'], unique=False)
    op.create_index(op.f('ix_volume_volumes_snapshot_id'), 'volume_volumes', ['snapshot_id'], unique=False)
    op.create_index(op.f('ix_volume_volumes_source_volid'), 'volume_volumes', ['source_volid'], unique=False)
    op.create_index(op.f('ix_volume_volumes_status'), 'volume_volumes', ['status'], unique=False)
    op.create_index(op.f('ix_volume_volumes_volume_type_id'), 'volume_volumes', ['volume_type_id'], unique=False)
    op.create_table('volume_admin_metadata',
    sa.Column('volume_id', sa.String(length=36), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('value', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['volume_id'], ['volume_volumes.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('volume_id', 'key')
    )
    op.create_table('volume_attachments',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('volume_id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=255), nullable=False),
    sa.Column('instance_uuid', sa.String(length=36), nullable=True),
    sa.Column('attached_host', sa.String(length=255), nullable=True),
    sa.Column('mountpoint', sa.String(length=255), nullable=True),
    sa.Column('attach_status', sa.String(length=32), nullable=False),
    sa.Column('attach_mode', sa.String(length=8), nullable=False),
    sa.Column('connector', sa.JSON(), nullable=True),
    sa.Column('connection_info', sa.JSON(), nullable=True),
    sa.Column('attach_time', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=True),
    sa.Column('detach_time', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=True),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=True),
    sa.ForeignKeyConstraint(['volume_id'], ['volume_volumes.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_volume_attachments_instance_uuid'), 'volume_attachments', ['instance_uuid'], unique=False)
    op.create_index(op.f('ix_volume_attachments_volume_id'), 'volume_attachments', ['volume_id'], unique=False)
    op.create_table('volume_backup_chunks',
    sa.Column('backup_id', sa.String(length=36), nullable=False),
    sa.Column('idx', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('length', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('object', sa.String(length=255), nullable=True),
    sa.ForeignKeyConstraint(['backup_id'], ['volume_backups.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('backup_id', 'idx')
    )
    op.create_index(op.f('ix_volume_backup_chunks_object'), 'volume_backup_chunks', ['object'], unique=False)
    op.create_table('volume_backup_metadata',
    sa.Column('backup_id', sa.String(length=36), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('value', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['backup_id'], ['volume_backups.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('backup_id', 'key')
    )
    op.create_table('volume_default_types',
    sa.Column('project_id', sa.String(length=255), nullable=False),
    sa.Column('volume_type_id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=True),
    sa.ForeignKeyConstraint(['volume_type_id'], ['volume_types.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('project_id')
    )
    op.create_index(op.f('ix_volume_default_types_volume_type_id'), 'volume_default_types', ['volume_type_id'], unique=False)
    op.create_table('volume_group_type_specs',
    sa.Column('group_type_id', sa.String(length=36), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('value', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['group_type_id'], ['volume_group_types.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('group_type_id', 'key')
    )
    op.create_table('volume_group_volume_types',
    sa.Column('group_id', sa.String(length=36), nullable=False),
    sa.Column('volume_type_id', sa.String(length=36), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['volume_groups.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('group_id', 'volume_type_id')
    )
    op.create_table('volume_image_metadata',
    sa.Column('volume_id', sa.String(length=36), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('value', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['volume_id'], ['volume_volumes.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('volume_id', 'key')
    )
    op.create_table('volume_metadata',
    sa.Column('volume_id', sa.String(length=36), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('value', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['volume_id'], ['volume_volumes.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('volume_id', 'key')
    )
    op.create_table('volume_snapshot_metadata',
    sa.Column('snapshot_id', sa.String(length=36), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('value', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['snapshot_id'], ['volume_snapshots.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('snapshot_id', 'key')
    )
    op.create_table('volume_type_encryption',
    sa.Column('volume_type_id', sa.String(length=36), nullable=False),
    sa.Column('encryption_id', sa.String(length=36), nullable=False),
    sa.Column('provider', sa.String(length=255), nullable=False),
    sa.Column('cipher', sa.String(length=255), nullable=True),
    sa.Column('key_size', sa.Integer(), nullable=True),
    sa.Column('control_location', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=True),
    sa.ForeignKeyConstraint(['volume_type_id'], ['volume_types.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('volume_type_id'),
    sa.UniqueConstraint('encryption_id')
    )
    op.create_table('volume_type_extra_specs',
    sa.Column('volume_type_id', sa.String(length=36), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('value', sa.String(length=255), nullable=True),
    sa.ForeignKeyConstraint(['volume_type_id'], ['volume_types.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('volume_type_id', 'key')
    )
    op.create_table('volume_type_projects',
    sa.Column('volume_type_id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['volume_type_id'], ['volume_types.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('volume_type_id', 'project_id')
    )


def downgrade() -> None:
    op.drop_table('volume_type_projects')
    op.drop_table('volume_type_extra_specs')
    op.drop_table('volume_type_encryption')
    op.drop_table('volume_snapshot_metadata')
    op.drop_table('volume_metadata')
    op.drop_table('volume_image_metadata')
    op.drop_table('volume_group_volume_types')
    op.drop_table('volume_group_type_specs')
    op.drop_index(op.f('ix_volume_default_types_volume_type_id'), table_name='volume_default_types')
    op.drop_table('volume_default_types')
    op.drop_table('volume_backup_metadata')
    op.drop_index(op.f('ix_volume_backup_chunks_object'), table_name='volume_backup_chunks')
    op.drop_table('volume_backup_chunks')
    op.drop_index(op.f('ix_volume_attachments_volume_id'), table_name='volume_attachments')
    op.drop_index(op.f('ix_volume_attachments_instance_uuid'), table_name='volume_attachments')
    op.drop_table('volume_attachments')
    op.drop_table('volume_admin_metadata')
    op.drop_index(op.f('ix_volume_volumes_volume_type_id'), table_name='volume_volumes')
    op.drop_index(op.f('ix_volume_volumes_status'), table_name='volume_volumes')
    op.drop_index(op.f('ix_volume_volumes_source_volid'), table_name='volume_volumes')
    op.drop_index(op.f('ix_volume_volumes_snapshot_id'), table_name='volume_volumes')
    op.drop_index(op.f('ix_volume_volumes_project_id'), table_name='volume_volumes')
    op.drop_index(op.f('ix_volume_volumes_host'), table_name='volume_volumes')
    op.drop_index(op.f('ix_volume_volumes_group_id'), table_name='volume_volumes')
    op.drop_table('volume_volumes')
    op.drop_index(op.f('ix_volume_types_qos_specs_id'), table_name='volume_types')
    op.drop_table('volume_types')
    op.drop_index(op.f('ix_volume_transfers_project_id'), table_name='volume_transfers')
    op.drop_table('volume_transfers')
    op.drop_index(op.f('ix_volume_snapshots_volume_id'), table_name='volume_snapshots')
    op.drop_index(op.f('ix_volume_snapshots_status'), table_name='volume_snapshots')
    op.drop_index(op.f('ix_volume_snapshots_project_id'), table_name='volume_snapshots')
    op.drop_index(op.f('ix_volume_snapshots_host'), table_name='volume_snapshots')
    op.drop_index(op.f('ix_volume_snapshots_group_snapshot_id'), table_name='volume_snapshots')
    op.drop_table('volume_snapshots')
    op.drop_table('volume_services')
    op.drop_table('volume_quotas')
    op.drop_table('volume_quota_usages')
    op.drop_table('volume_quota_locks')
    op.drop_table('volume_quota_classes')
    op.drop_table('volume_qos_specs')
    op.drop_index(op.f('ix_volume_messages_resource_uuid'), table_name='volume_messages')
    op.drop_index(op.f('ix_volume_messages_project_id'), table_name='volume_messages')
    op.drop_index(op.f('ix_volume_messages_expires_at'), table_name='volume_messages')
    op.drop_table('volume_messages')
    op.drop_index(op.f('ix_volume_groups_status'), table_name='volume_groups')
    op.drop_index(op.f('ix_volume_groups_project_id'), table_name='volume_groups')
    op.drop_index(op.f('ix_volume_groups_group_type_id'), table_name='volume_groups')
    op.drop_table('volume_groups')
    op.drop_table('volume_group_types')
    op.drop_index(op.f('ix_volume_group_snapshots_status'), table_name='volume_group_snapshots')
    op.drop_index(op.f('ix_volume_group_snapshots_project_id'), table_name='volume_group_snapshots')
    op.drop_index(op.f('ix_volume_group_snapshots_group_id'), table_name='volume_group_snapshots')
    op.drop_table('volume_group_snapshots')
    op.drop_index(op.f('ix_volume_backups_volume_id'), table_name='volume_backups')
    op.drop_index(op.f('ix_volume_backups_status'), table_name='volume_backups')
    op.drop_index(op.f('ix_volume_backups_project_id'), table_name='volume_backups')
    op.drop_index(op.f('ix_volume_backups_parent_id'), table_name='volume_backups')
    op.drop_index(op.f('ix_volume_backups_host'), table_name='volume_backups')
    op.drop_table('volume_backups')
    op.drop_index(op.f('ix_volume_backends_host'), table_name='volume_backends')
    op.drop_table('volume_backends')

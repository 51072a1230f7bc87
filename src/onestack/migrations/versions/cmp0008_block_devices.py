"""a server's block device mappings for volumes, one typed row each
(``compute_block_devices``): what was asked and the volume, attachment and connection
the host agent reached

Revision ID: cmp0008
Revises: cmp0007
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

revision = 'cmp0008'
down_revision = 'cmp0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'compute_block_devices',
        sa.Column('id', sa.String(length=36), primary_key=True),
        sa.Column('instance_id', sa.String(length=64), nullable=False),
        sa.Column('source_type', sa.String(length=16), nullable=False),
        sa.Column('uuid', sa.String(length=64), nullable=True),
        sa.Column('volume_id', sa.String(length=36), nullable=True),
        sa.Column('volume_size', sa.Integer(), nullable=True),
        sa.Column('volume_type', sa.String(length=255), nullable=True),
        sa.Column('boot_index', sa.Integer(), nullable=True),
        sa.Column('device_name', sa.String(length=255), nullable=True),
        sa.Column('tag', sa.String(length=60), nullable=True),
        sa.Column('delete_on_termination', sa.Boolean(), nullable=False),
        sa.Column('attachment_id', sa.String(length=36), nullable=True),
        sa.Column('connection_info', sa.JSON(), nullable=True),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb')
                  .with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False))
    op.create_index('ix_compute_block_devices_instance_id', 'compute_block_devices',
                    ['instance_id'])
    op.create_index('ix_compute_block_devices_volume_id', 'compute_block_devices',
                    ['volume_id'])


def downgrade() -> None:
    op.drop_index('ix_compute_block_devices_volume_id', 'compute_block_devices')
    op.drop_index('ix_compute_block_devices_instance_id', 'compute_block_devices')
    op.drop_table('compute_block_devices')

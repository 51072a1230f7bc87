"""what a server asked of the network, one typed row per NIC
(``compute_instance_networks``): the requested network, port, fixed IP and tag, and the
port and host binding the host agent reached

Revision ID: cmp0007
Revises: cmp0006
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

revision = 'cmp0007'
down_revision = 'cmp0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'compute_instance_networks',
        sa.Column('id', sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column('instance_id', sa.String(length=64), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('network_id', sa.String(length=36), nullable=True),
        sa.Column('port_id', sa.String(length=36), nullable=True),
        sa.Column('user_port', sa.Boolean(), nullable=False),
        sa.Column('fixed_ip', sa.String(length=64), nullable=True),
        sa.Column('tag', sa.String(length=60), nullable=True),
        sa.Column('bound_host', sa.String(length=255), nullable=True),
        sa.Column('bound_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb')
                  .with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=True))
    op.create_index('ix_compute_instance_networks_instance_id', 'compute_instance_networks',
                    ['instance_id'])
    op.create_index('ix_compute_instance_networks_port_id', 'compute_instance_networks',
                    ['port_id'])


def downgrade() -> None:
    op.drop_index('ix_compute_instance_networks_port_id', 'compute_instance_networks')
    op.drop_index('ix_compute_instance_networks_instance_id', 'compute_instance_networks')
    op.drop_table('compute_instance_networks')

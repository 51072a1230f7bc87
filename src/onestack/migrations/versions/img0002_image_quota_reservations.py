"""image quota reservations: bytes an in-flight upload may still add, and one lock row
per project that serialises quota checks

Revision ID: img0002
Revises: img0001
"""
from alembic import op
import sqlalchemy as sa

revision = 'img0002'
down_revision = 'img0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('image_images', sa.Column('reserved_bytes', sa.BigInteger(), nullable=True))
    op.create_table('image_quota_locks',
                    sa.Column('project_id', sa.String(length=64), nullable=False),
                    sa.PrimaryKeyConstraint('project_id'))


def downgrade() -> None:
    op.drop_table('image_quota_locks')
    with op.batch_alter_table('image_images') as batch:
        batch.drop_column('reserved_bytes')

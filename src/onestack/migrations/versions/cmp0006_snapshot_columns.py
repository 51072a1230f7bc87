"""what createImage and createBackup asked, in typed instance columns
(``snapshot_image_id``, ``backup_type``, ``backup_rotation``) instead of the ``snapshot``
key of the ``request`` JSON; an existing row's key moves there

Revision ID: cmp0006
Revises: cmp0005
"""
from alembic import op
import sqlalchemy as sa

revision = 'cmp0006'
down_revision = 'cmp0005'
branch_labels = None
depends_on = None

INSTANCES = sa.table('compute_instances', sa.column('id', sa.String),
                     sa.column('request', sa.JSON), sa.column('snapshot_image_id', sa.String),
                     sa.column('backup_type', sa.String),
                     sa.column('backup_rotation', sa.Integer),
                     sa.column('task_state', sa.String))


def upgrade() -> None:
    with op.batch_alter_table('compute_instances') as batch:
        batch.add_column(sa.Column('snapshot_image_id', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('backup_type', sa.String(length=255), nullable=True))
        batch.add_column(sa.Column('backup_rotation', sa.Integer(), nullable=True))
    bind = op.get_bind()
    for ident, request in bind.execute(sa.select(INSTANCES.c.id, INSTANCES.c.request)).all():
        req = dict(request or {})
        if 'snapshot' not in req:
            continue
        snapshot = req.pop('snapshot') or {}
        rotate = snapshot.get('rotate') or {}
        bind.execute(INSTANCES.update().where(INSTANCES.c.id == ident).values(
            request=req, snapshot_image_id=snapshot.get('image_id'),
            backup_type=rotate.get('backup_type'),
            backup_rotation=int(rotate['rotation']) if 'rotation' in rotate else None))


def downgrade() -> None:
    """A snapshot still under way gets its key back (a finished one needs none)."""
    bind = op.get_bind()
    rows = bind.execute(sa.select(INSTANCES).where(
        INSTANCES.c.snapshot_image_id.is_not(None),
        INSTANCES.c.task_state == 'image_snapshot')).all()
    for row in rows:
        snapshot: dict = {'image_id': row.snapshot_image_id}
        if row.backup_type:
            snapshot['rotate'] = {'backup_type': row.backup_type,
                                  'rotation': row.backup_rotation}
        bind.execute(INSTANCES.update().where(INSTANCES.c.id == row.id).values(
            request={**(row.request or {}), 'snapshot': snapshot}))
    with op.batch_alter_table('compute_instances') as batch:
        batch.drop_column('backup_rotation')
        batch.drop_column('backup_type')
        batch.drop_column('snapshot_image_id')

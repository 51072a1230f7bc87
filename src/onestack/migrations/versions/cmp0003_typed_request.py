"""typed instance columns instead of keys of the ``request`` JSON: ``keep_stopped``,
``evacuating`` and ``shelved_image_id`` (each written by one component); existing rows'
keys move into them

Revision ID: cmp0003
Revises: cmp0002
"""
from alembic import op
import sqlalchemy as sa

revision = 'cmp0003'
down_revision = 'cmp0002'
branch_labels = None
depends_on = None

# request key → its column
MOVED = {'keep_stopped': 'keep_stopped', 'evacuate': 'evacuating',
         'shelved_image': 'shelved_image_id'}
INSTANCES = sa.table('compute_instances', sa.column('id', sa.String),
                     sa.column('request', sa.JSON), sa.column('keep_stopped', sa.Boolean),
                     sa.column('evacuating', sa.Boolean),
                     sa.column('shelved_image_id', sa.String))


def upgrade() -> None:
    with op.batch_alter_table('compute_instances') as batch:
        batch.add_column(sa.Column('keep_stopped', sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
        batch.add_column(sa.Column('evacuating', sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
        batch.add_column(sa.Column('shelved_image_id', sa.String(length=64), nullable=True))
    _move()


def downgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.select(INSTANCES.c.id, INSTANCES.c.request,
                                  INSTANCES.c.keep_stopped, INSTANCES.c.evacuating,
                                  INSTANCES.c.shelved_image_id)).all()
    for row in rows:
        req = dict(row.request or {})
        for key, column in MOVED.items():
            if getattr(row, column) not in (None, False):
                req[key] = getattr(row, column)
        if req != (row.request or {}):
            bind.execute(INSTANCES.update().where(INSTANCES.c.id == row.id)
                         .values(request=req))
    with op.batch_alter_table('compute_instances') as batch:
        batch.drop_column('shelved_image_id')
        batch.drop_column('evacuating')
        batch.drop_column('keep_stopped')


def _move() -> None:
    """Rows whose request names a moved key get the column and lose the key."""
    bind = op.get_bind()
    for ident, request in bind.execute(sa.select(INSTANCES.c.id, INSTANCES.c.request)).all():
        req = dict(request or {})
        values = {column: req.pop(key) for key, column in MOVED.items() if key in req}
        for column in ('keep_stopped', 'evacuating'):
            if column in values:
                values[column] = bool(values[column])
        if values:
            bind.execute(INSTANCES.update().where(INSTANCES.c.id == ident)
                         .values(request=req, **values))

"""a move's state on its migration row instead of keys of the instance's ``request`` JSON:
``new_flavor``, ``dest_zone``, ``live_step`` (source and destination host were there
already); the instance finds its move as its newest migration, so the ``migration`` key
goes too

Revision ID: cmp0004
Revises: cmp0003
"""
from alembic import op
import sqlalchemy as sa

revision = 'cmp0004'
down_revision = 'cmp0003'
branch_labels = None
depends_on = None

MOVE_KEYS = ('migration', 'source_host', 'dest_host', 'dest_zone', 'new_flavor', 'live',
             'live_step')
INSTANCES = sa.table('compute_instances', sa.column('id', sa.String),
                     sa.column('request', sa.JSON), sa.column('task_state', sa.String),
                     sa.column('vm_state', sa.String))
MIGRATIONS = sa.table('compute_migrations', sa.column('id', sa.Integer),
                      sa.column('uuid', sa.String), sa.column('instance_uuid', sa.String),
                      sa.column('migration_type', sa.String),
                      sa.column('source_compute', sa.String),
                      sa.column('dest_compute', sa.String),
                      sa.column('new_flavor', sa.JSON), sa.column('dest_zone', sa.String),
                      sa.column('live_step', sa.String))
# while these run (or a resize awaits confirm) the request keys described a move
MOVING = ('resize_prep', 'resize_migrating', 'resize_migrated', 'resize_finish',
          'resize_reverting', 'resize_confirming', 'migrating', 'live_migrating')


def upgrade() -> None:
    with op.batch_alter_table('compute_migrations') as batch:
        batch.add_column(sa.Column('new_flavor', sa.JSON(), nullable=True))
        batch.add_column(sa.Column('dest_zone', sa.String(length=255), nullable=True))
        batch.add_column(sa.Column('live_step', sa.String(length=16), nullable=True))
    bind = op.get_bind()
    for ident, request in bind.execute(sa.select(INSTANCES.c.id, INSTANCES.c.request)).all():
        req = dict(request or {})
        if not any(k in req for k in MOVE_KEYS):
            continue
        if req.get('migration'):
            moved = {'new_flavor': req.get('new_flavor'), 'dest_zone': req.get('dest_zone'),
                     'live_step': req.get('live_step')}
            for key, column in (('source_host', 'source_compute'),
                                ('dest_host', 'dest_compute')):
                if req.get(key):
                    moved[column] = req[key]
            bind.execute(MIGRATIONS.update().where(MIGRATIONS.c.uuid == req['migration'])
                         .values(**moved))
        bind.execute(INSTANCES.update().where(INSTANCES.c.id == ident).values(
            request={k: v for k, v in req.items() if k not in MOVE_KEYS}))


def downgrade() -> None:
    """The newest migration goes back under ``migration``; a move still under way gets
    its keys back."""
    bind = op.get_bind()
    newest = sa.select(MIGRATIONS).order_by(MIGRATIONS.c.id)
    latest = {m.instance_uuid: m for m in bind.execute(newest)}
    rows = bind.execute(sa.select(INSTANCES).where(INSTANCES.c.id.in_(list(latest)))).all() \
        if latest else []
    for row in rows:
        mig = latest[row.id]
        req = {**(row.request or {}), 'migration': mig.uuid}
        if row.task_state in MOVING or row.vm_state == 'resized':
            values = {'source_host': mig.source_compute, 'dest_host': mig.dest_compute,
                      'dest_zone': mig.dest_zone, 'new_flavor': mig.new_flavor,
                      'live_step': mig.live_step}
            req.update((k, v) for k, v in values.items() if v is not None)
            if mig.migration_type == 'live-migration':
                req['live'] = True
        bind.execute(INSTANCES.update().where(INSTANCES.c.id == row.id).values(request=req))
    with op.batch_alter_table('compute_migrations') as batch:
        batch.drop_column('live_step')
        batch.drop_column('dest_zone')
        batch.drop_column('new_flavor')

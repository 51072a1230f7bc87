"""scheduling inputs in typed instance columns (``server_group_id``, ``force_host``) and
the hosts a scheduling request tried in rows of their own (``compute_tried_hosts``),
instead of ``group``, ``force_host`` and ``tried_hosts`` in the ``request`` JSON; existing
rows' keys move there

Revision ID: cmp0005
Revises: cmp0004
"""
from alembic import op
import sqlalchemy as sa

revision = 'cmp0005'
down_revision = 'cmp0004'
branch_labels = None
depends_on = None

INSTANCES = sa.table('compute_instances', sa.column('id', sa.String),
                     sa.column('request', sa.JSON), sa.column('server_group_id', sa.String),
                     sa.column('force_host', sa.String))
TRIED = sa.table('compute_tried_hosts', sa.column('instance_id', sa.String),
                 sa.column('host', sa.String))
KEYS = ('group', 'force_host', 'tried_hosts')


def upgrade() -> None:
    with op.batch_alter_table('compute_instances') as batch:
        batch.add_column(sa.Column('server_group_id', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('force_host', sa.String(length=255), nullable=True))
    op.create_table('compute_tried_hosts',
                    sa.Column('instance_id', sa.String(length=64), nullable=False),
                    sa.Column('host', sa.String(length=255), nullable=False),
                    sa.PrimaryKeyConstraint('instance_id', 'host'))
    bind = op.get_bind()
    for ident, request in bind.execute(sa.select(INSTANCES.c.id, INSTANCES.c.request)).all():
        req = dict(request or {})
        if not any(k in req for k in KEYS):
            continue
        tried = sorted({h for h in req.get('tried_hosts') or [] if h})
        if tried:
            bind.execute(TRIED.insert(), [{'instance_id': ident, 'host': h} for h in tried])
        bind.execute(INSTANCES.update().where(INSTANCES.c.id == ident).values(
            server_group_id=req.get('group'), force_host=req.get('force_host'),
            request={k: v for k, v in req.items() if k not in KEYS}))


def downgrade() -> None:
    bind = op.get_bind()
    tried: dict[str, list[str]] = {}
    for ident, host in bind.execute(sa.select(TRIED.c.instance_id, TRIED.c.host)
                                    .order_by(TRIED.c.instance_id, TRIED.c.host)):
        tried.setdefault(ident, []).append(host)
    rows = bind.execute(sa.select(INSTANCES).where(
        INSTANCES.c.server_group_id.is_not(None) | INSTANCES.c.force_host.is_not(None) |
        INSTANCES.c.id.in_(list(tried) or ['']))).all()
    for row in rows:
        req = dict(row.request or {})
        for key, value in (('group', row.server_group_id), ('force_host', row.force_host),
                           ('tried_hosts', tried.get(row.id))):
            if value:
                req[key] = value
        bind.execute(INSTANCES.update().where(INSTANCES.c.id == row.id).values(request=req))
    op.drop_table('compute_tried_hosts')
    with op.batch_alter_table('compute_instances') as batch:
        batch.drop_column('force_host')
        batch.drop_column('server_group_id')

"""identity: federation (identity providers, remote ids, protocols, mappings, service
providers) and OAuth1 request and access tokens

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

revision = '0002'
down_revision = '0001'
branch_labels = ('identity',)
depends_on = None

ID = sa.String(length=64)


def _timestamp() -> sa.types.TypeEngine:
    return sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb') \
        .with_variant(mysql.DATETIME(fsp=6), 'mysql')


def _federation() -> None:
    op.create_table('identity_idps',
                    sa.Column('id', ID, nullable=False),
                    sa.Column('domain_id', ID, nullable=False),
                    sa.Column('description', sa.Text(), nullable=True),
                    sa.Column('enabled', sa.Boolean(), nullable=False),
                    sa.Column('authorization_ttl', sa.Integer(), nullable=True),
                    sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_identity_idps_domain_id', 'identity_idps', ['domain_id'])
    op.create_table('identity_idp_remote_ids',
                    sa.Column('remote_id', sa.String(length=255), nullable=False),
                    sa.Column('idp_id', ID, nullable=False),
                    sa.ForeignKeyConstraint(['idp_id'], ['identity_idps.id'],
                                            ondelete='CASCADE'),
                    sa.PrimaryKeyConstraint('remote_id'))
    op.create_index('ix_identity_idp_remote_ids_idp_id', 'identity_idp_remote_ids',
                    ['idp_id'])
    op.create_table('identity_federation_protocols',
                    sa.Column('id', ID, nullable=False),
                    sa.Column('idp_id', ID, nullable=False),
                    sa.Column('mapping_id', ID, nullable=False),
                    sa.Column('remote_id_attribute', sa.String(length=64), nullable=True),
                    sa.ForeignKeyConstraint(['idp_id'], ['identity_idps.id'],
                                            ondelete='CASCADE'),
                    sa.PrimaryKeyConstraint('id', 'idp_id'))
    op.create_table('identity_mappings',
                    sa.Column('id', ID, nullable=False),
                    sa.Column('rules', sa.JSON(), nullable=False),
                    sa.Column('schema_version', sa.String(length=5), nullable=False),
                    sa.PrimaryKeyConstraint('id'))
    op.create_table('identity_service_providers',
                    sa.Column('id', ID, nullable=False),
                    sa.Column('auth_url', sa.String(length=256), nullable=False),
                    sa.Column('sp_url', sa.String(length=256), nullable=False),
                    sa.Column('description', sa.Text(), nullable=True),
                    sa.Column('enabled', sa.Boolean(), nullable=False),
                    sa.Column('relay_state_prefix', sa.String(length=256), nullable=False),
                    sa.PrimaryKeyConstraint('id'))


def _oauth1() -> None:
    op.create_table('identity_oauth_request_tokens',
                    sa.Column('id', ID, nullable=False),
                    sa.Column('secret', sa.String(length=64), nullable=False),
                    sa.Column('consumer_id', ID, nullable=False),
                    sa.Column('requested_project_id', ID, nullable=False),
                    sa.Column('role_ids', sa.JSON(), nullable=True),
                    sa.Column('authorizing_user_id', ID, nullable=True),
                    sa.Column('verifier', sa.String(length=64), nullable=True),
                    sa.Column('expires_at', _timestamp(), nullable=True),
                    sa.ForeignKeyConstraint(['consumer_id'], ['identity_oauth_consumers.id'],
                                            ondelete='CASCADE'),
                    sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_identity_oauth_request_tokens_consumer_id',
                    'identity_oauth_request_tokens', ['consumer_id'])
    op.create_table('identity_oauth_access_tokens',
                    sa.Column('id', ID, nullable=False),
                    sa.Column('secret', sa.String(length=64), nullable=False),
                    sa.Column('consumer_id', ID, nullable=False),
                    sa.Column('project_id', ID, nullable=False),
                    sa.Column('authorizing_user_id', ID, nullable=False),
                    sa.Column('role_ids', sa.JSON(), nullable=False),
                    sa.Column('expires_at', _timestamp(), nullable=True),
                    sa.ForeignKeyConstraint(['consumer_id'], ['identity_oauth_consumers.id'],
                                            ondelete='CASCADE'),
                    sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_identity_oauth_access_tokens_consumer_id',
                    'identity_oauth_access_tokens', ['consumer_id'])
    op.create_index('ix_identity_oauth_access_tokens_authorizing_user_id',
                    'identity_oauth_access_tokens', ['authorizing_user_id'])


def upgrade() -> None:
    _federation()
    _oauth1()


def downgrade() -> None:
    for table in ('identity_oauth_access_tokens', 'identity_oauth_request_tokens',
                  'identity_service_providers', 'identity_mappings',
                  'identity_federation_protocols', 'identity_idp_remote_ids',
                  'identity_idps'):
        op.drop_table(table)

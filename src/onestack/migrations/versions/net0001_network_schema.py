"""network schema: every network_* table of the Networking service

Revision ID: net0001
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

revision = 'net0001'
down_revision = '0001'
branch_labels = ('network',)
depends_on = None


def upgrade() -> None:
    op.create_table('network_address_groups',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=255), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('description', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('revision_number', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_network_address_groups_project_id'), 'network_address_groups', ['project_id'], unique=False)
    op.create_table('network_address_scopes',
    sa.Column('ip_version', sa.Integer(), nullable=False),
    sa.Column('shared', sa.Boolean(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=255), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('description', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('revision_number', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_network_address_scopes_project_id'), 'network_address_scopes', ['project_id'], unique=False)
    op.create_table('network_agents',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('agent_type', sa.String(length=64), nullable=False),
    sa.Column('binary', sa.String(length=64), nullable=False),
    sa.Column('topic', sa.String(length=64), nullable=False),
    sa.Column('host', sa.String(length=255), nullable=False),
    sa.Column('availability_zone', sa.String(length=255), nullable=True),
    sa.Column('admin_state_up', sa.Boolean(), nullable=False),
    sa.Column('description', sa.String(length=255), nullable=True),
    sa.Column('configurations', sa.JSON(), nullable=False),
    sa.Column('resource_versions', sa.JSON(), nullable=False),
    sa.Column('load', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('started_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('heartbeat_timestamp', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('agent_type', 'host', name='uq_network_agents_type_host')
    )
    op.create_index(op.f('ix_network_agents_host'), 'network_agents', ['host'], unique=False)
    op.create_table('network_auto_allocated_topologies',
    sa.Column('project_id', sa.String(length=255), nullable=False),
    sa.Column('network_id', sa.String(length=36), nullable=False),
    sa.Column('router_id', sa.String(length=36), nullable=True),
    sa.PrimaryKeyConstraint('project_id')
    )
    op.create_table('network_floatingips',
    sa.Column('floating_network_id', sa.String(length=36), nullable=False),
    sa.Column('floating_ip_address', sa.String(length=64), nullable=False),
    sa.Column('floating_port_id', sa.String(length=36), nullable=True),
    sa.Column('fixed_port_id', sa.String(length=36), nullable=True),
    sa.Column('fixed_ip_address', sa.String(length=64), nullable=True),
    sa.Column('router_id', sa.String(length=36), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('dns_name', sa.String(length=255), nullable=False),
    sa.Column('dns_domain', sa.String(length=255), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=255), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('description', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('revision_number', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('floating_network_id', 'fixed_port_id', 'fixed_ip_address', name='uq_network_floatingips_fixed'),
    sa.UniqueConstraint('floating_network_id', 'floating_ip_address', name='uq_network_floatingips_address')
    )
    op.create_index(op.f('ix_network_floatingips_fixed_port_id'), 'network_floatingips', ['fixed_port_id'], unique=False)
    op.create_index(op.f('ix_network_floatingips_floating_network_id'), 'network_floatingips', ['floating_network_id'], unique=False)
    op.create_index(op.f('ix_network_floatingips_project_id'), 'network_floatingips', ['project_id'], unique=False)
    op.create_index(op.f('ix_network_floatingips_router_id'), 'network_floatingips', ['router_id'], unique=False)
    op.create_table('network_metering_label_rules',
    sa.Column('metering_label_id', sa.String(length=36), nullable=False),
    sa.Column('direction', sa.String(length=8), nullable=False),
    sa.Column('excluded', sa.Boolean(), nullable=False),
    sa.Column('remote_ip_prefix', sa.String(length=64), nullable=True),
    sa.Column('source_ip_prefix', sa.String(length=64), nullable=True),
    sa.Column('destination_ip_prefix', sa.String(length=64), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=255), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('description', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('revision_number', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_network_metering_label_rules_metering_label_id'), 'network_metering_label_rules', ['metering_label_id'], unique=False)
    op.create_index(op.f('ix_network_metering_label_rules_project_id'), 'network_metering_label_rules', ['project_id'], unique=False)
    op.create_table('network_metering_labels',
    sa.Column('shared', sa.Boolean(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=255), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('description', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('revision_number', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_network_metering_labels_project_id'), 'network_metering_labels', ['project_id'], unique=False)
    op.create_table('network_networks',
    sa.Column('admin_state_up', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('shared', sa.Boolean(), nullable=False),
    sa.Column('router_external', sa.Boolean(), nullable=False),
    sa.Column('is_default', sa.Boolean(), nullable=False),
    sa.Column('mtu', sa.Integer(), nullable=False),
    sa.Column('port_security_enabled', sa.Boolean(), nullable=False),
    sa.Column('dns_domain', sa.String(length=255), nullable=False),
    sa.Column('availability_zone_hints', sa.JSON(), nullable=False),
    sa.Column('provider_network_type', sa.String(length=32), nullable=True),
    sa.Column('provider_physical_network', sa.String(length=64), nullable=True),
    sa.Column('provider_segmentation_id', sa.Integer(), nullable=True),
    sa.Column('qos_policy_id', sa.String(length=36), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=255), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('description', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('revision_number', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_network_networks_project_id'), 'network_networks', ['project_id'], unique=False)
    op.create_index(op.f('ix_network_networks_router_external'), 'network_networks', ['router_external'], unique=False)
    op.create_table('network_port_forwardings',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('floatingip_id', sa.String(length=36), nullable=False),
    sa.Column('internal_port_id', sa.String(length=36), nullable=False),
    sa.Column('internal_ip_address', sa.String(length=64), nullable=False),
    sa.Column('protocol', sa.String(length=8), nullable=False),
    sa.Column('external_port_start', sa.Integer(), nullable=False),
    sa.Column('external_port_end', sa.Integer(), nullable=False),
    sa.Column('internal_port_start', sa.Integer(), nullable=False),
    sa.Column('internal_port_end', sa.Integer(), nullable=False),
    sa.Column('description', sa.String(length=255), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('floatingip_id', 'protocol', 'external_port_start', name='uq_network_port_forwardings_external'),
    sa.UniqueConstraint('internal_port_id', 'internal_ip_address', 'protocol', 'internal_port_start', name='uq_network_port_forwardings_internal')
    )
    op.create_index(op.f('ix_network_port_forwardings_floatingip_id'), 'network_port_forwardings', ['floatingip_id'], unique=False)
    op.create_index(op.f('ix_network_port_forwardings_internal_port_id'), 'network_port_forwardings', ['internal_port_id'], unique=False)
    op.create_table('network_qos_policies',
    sa.Column('shared', sa.Boolean(), nullable=False),
    sa.Column('is_default', sa.Boolean(), nullable=False),
    sa.Column('default_for', sa.String(length=255), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=255), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('description', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('revision_number', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('default_for')
    )
    op.create_index(op.f('ix_network_qos_policies_project_id'), 'network_qos_policies', ['project_id'], unique=False)
    op.create_table('network_qos_rules',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('qos_policy_id', sa.String(length=36), nullable=False),
    sa.Column('type', sa.String(length=32), nullable=False),
    sa.Column('direction', sa.String(length=16), nullable=False),
    sa.Column('max_kbps', sa.BigInteger(), nullable=True),
    sa.Column('max_burst_kbps', sa.BigInteger(), nullable=True),
    sa.Column('dscp_mark', sa.Integer(), nullable=True),
    sa.Column('min_kbps', sa.BigInteger(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('qos_policy_id', 'type', 'direction', name='uq_network_qos_rules_kind')
    )
    op.create_index(op.f('ix_network_qos_rules_qos_policy_id'), 'network_qos_rules', ['qos_policy_id'], unique=False)
    op.create_table('network_quota_locks',
    sa.Column('project_id', sa.String(length=255), nullable=False),
    sa.PrimaryKeyConstraint('project_id')
    )
    op.create_table('network_quotas',
    sa.Column('project_id', sa.String(length=255), nullable=False),
    sa.Column('resource', sa.String(length=64), nullable=False),
    sa.Column('hard_limit', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('project_id', 'resource')
    )
    op.create_table('network_rbac_policies',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=255), nullable=False),
    sa.Column('object_type', sa.String(length=32), nullable=False),
    sa.Column('object_id', sa.String(length=36), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('target_tenant', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('revision_number', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('object_type', 'object_id', 'action', 'target_tenant', name='uq_network_rbac_policies_entry')
    )
    op.create_index(op.f('ix_network_rbac_policies_object_id'), 'network_rbac_policies', ['object_id'], unique=False)
    op.create_index(op.f('ix_network_rbac_policies_project_id'), 'network_rbac_policies', ['project_id'], unique=False)
    op.create_index(op.f('ix_network_rbac_policies_target_tenant'), 'network_rbac_policies', ['target_tenant'], unique=False)
    op.create_table('network_router_ports',
    sa.Column('port_id', sa.String(length=36), nullable=False),
    sa.Column('router_id', sa.String(length=36), nullable=False),
    sa.Column('port_type', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('port_id')
    )
    op.create_index(op.f('ix_network_router_ports_router_id'), 'network_router_ports', ['router_id'], unique=False)
    op.create_table('network_router_routes',
    sa.Column('router_id', sa.String(length=36), nullable=False),
    sa.Column('destination', sa.String(length=64), nullable=False),
    sa.Column('nexthop', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('router_id', 'destination', 'nexthop')
    )
    op.create_table('network_routers',
    sa.Column('admin_state_up', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('gw_network_id', sa.String(length=36), nullable=True),
    sa.Column('gw_port_id', sa.String(length=36), nullable=True),
    sa.Column('enable_snat', sa.Boolean(), nullable=False),
    sa.Column('distributed', sa.Boolean(), nullable=False),
    sa.Column('ha', sa.Boolean(), nullable=False),
    sa.Column('availability_zone_hints', sa.JSON(), nullable=False),
    sa.Column('flavor_id', sa.String(length=36), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=255), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('description', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('revision_number', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_network_routers_gw_network_id'), 'network_routers', ['gw_network_id'], unique=False)
    op.create_index(op.f('ix_network_routers_project_id'), 'network_routers', ['project_id'], unique=False)
    op.create_table('network_security_groups',
    sa.Column('stateful', sa.Boolean(), nullable=False),
    sa.Column('default_for', sa.String(length=255), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=255), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('description', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('revision_number', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('default_for')
    )
    op.create_index(op.f('ix_network_security_groups_project_id'), 'network_security_groups', ['project_id'], unique=False)
    op.create_table('network_segments',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=255), nullable=False),
    sa.Column('network_id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=True),
    sa.Column('description', sa.String(length=255), nullable=False),
    sa.Column('network_type', sa.String(length=32), nullable=False),
    sa.Column('physical_network', sa.String(length=64), nullable=True),
    sa.Column('segmentation_id', sa.Integer(), nullable=True),
    sa.Column('segment_index', sa.Integer(), nullable=False),
    sa.Column('allocation', sa.String(length=128), nullable=True),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('revision_number', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('allocation')
    )
    op.create_index(op.f('ix_network_segments_network_id'), 'network_segments', ['network_id'], unique=False)
    op.create_table('network_subnetpools',
    sa.Column('ip_version', sa.Integer(), nullable=False),
    sa.Column('default_prefixlen', sa.Integer(), nullable=False),
    sa.Column('min_prefixlen', sa.Integer(), nullable=False),
    sa.Column('max_prefixlen', sa.Integer(), nullable=False),
    sa.Column('shared', sa.Boolean(), nullable=False),
    sa.Column('is_default', sa.Boolean(), nullable=False),
    sa.Column('default_quota', sa.Integer(), nullable=True),
    sa.Column('address_scope_id', sa.String(length=36), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=255), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('description', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('revision_number', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_network_subnetpools_address_scope_id'), 'network_subnetpools', ['address_scope_id'], unique=False)
    op.create_index(op.f('ix_network_subnetpools_project_id'), 'network_subnetpools', ['project_id'], unique=False)
    op.create_table('network_tags',
    sa.Column('resource_type', sa.String(length=32), nullable=False),
    sa.Column('resource_id', sa.String(length=36), nullable=False),
    sa.Column('tag', sa.String(length=255), nullable=False),
    sa.PrimaryKeyConstraint('resource_type', 'resource_id', 'tag')
    )
    op.create_index('ix_network_tags_resource_id', 'network_tags', ['resource_id'], unique=False)
    op.create_table('network_trunk_ports',
    sa.Column('port_id', sa.String(length=36), nullable=False),
    sa.Column('trunk_id', sa.String(length=36), nullable=False),
    sa.Column('is_parent', sa.Boolean(), nullable=False),
    sa.Column('segmentation_type', sa.String(length=32), nullable=True),
    sa.Column('segmentation_id', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('port_id'),
    sa.UniqueConstraint('trunk_id', 'segmentation_type', 'segmentation_id', name='uq_network_trunk_ports_segmentation')
    )
    op.create_index(op.f('ix_network_trunk_ports_trunk_id'), 'network_trunk_ports', ['trunk_id'], unique=False)
    op.create_table('network_trunks',
    sa.Column('admin_state_up', sa.Boolean(), nullable=False),
    sa.Column('port_id', sa.String(length=36), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=255), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('description', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('revision_number', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_network_trunks_port_id'), 'network_trunks', ['port_id'], unique=False)
    op.create_index(op.f('ix_network_trunks_project_id'), 'network_trunks', ['project_id'], unique=False)
    op.create_table('network_address_group_addresses',
    sa.Column('address_group_id', sa.String(length=36), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['address_group_id'], ['network_address_groups.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('address_group_id', 'address')
    )
    op.create_table('network_dhcp_agent_bindings',
    sa.Column('network_id', sa.String(length=36), nullable=False),
    sa.Column('agent_id', sa.String(length=36), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['network_agents.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('network_id', 'agent_id')
    )
    op.create_index(op.f('ix_network_dhcp_agent_bindings_agent_id'), 'network_dhcp_agent_bindings', ['agent_id'], unique=False)
    op.create_table('network_ports',
    sa.Column('network_id', sa.String(length=36), nullable=False),
    sa.Column('mac_address', sa.String(length=32), nullable=False),
    sa.Column('admin_state_up', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('device_id', sa.String(length=255), nullable=False),
    sa.Column('device_owner', sa.String(length=255), nullable=False),
    sa.Column('port_security_enabled', sa.Boolean(), nullable=False),
    sa.Column('dns_name', sa.String(length=255), nullable=False),
    sa.Column('dns_domain', sa.String(length=255), nullable=False),
    sa.Column('propagate_uplink_status', sa.Boolean(), nullable=False),
    sa.Column('qos_policy_id', sa.String(length=36), nullable=True),
    sa.Column('binding_host_id', sa.String(length=255), nullable=False),
    sa.Column('binding_vnic_type', sa.String(length=64), nullable=False),
    sa.Column('binding_vif_type', sa.String(length=64), nullable=False),
    sa.Column('binding_vif_details', sa.JSON(), nullable=False),
    sa.Column('binding_profile', sa.JSON(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=255), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('description', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('revision_number', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['network_id'], ['network_networks.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('network_id', 'mac_address', name='uq_network_ports_mac')
    )
    op.create_index(op.f('ix_network_ports_binding_host_id'), 'network_ports', ['binding_host_id'], unique=False)
    op.create_index(op.f('ix_network_ports_device_id'), 'network_ports', ['device_id'], unique=False)
    op.create_index(op.f('ix_network_ports_network_id'), 'network_ports', ['network_id'], unique=False)
    op.create_index(op.f('ix_network_ports_project_id'), 'network_ports', ['project_id'], unique=False)
    op.create_index(op.f('ix_network_ports_qos_policy_id'), 'network_ports', ['qos_policy_id'], unique=False)
    op.create_table('network_router_l3_agent_bindings',
    sa.Column('router_id', sa.String(length=36), nullable=False),
    sa.Column('agent_id', sa.String(length=36), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['network_agents.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('router_id')
    )
    op.create_index(op.f('ix_network_router_l3_agent_bindings_agent_id'), 'network_router_l3_agent_bindings', ['agent_id'], unique=False)
    op.create_table('network_security_group_rules',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=255), nullable=False),
    sa.Column('description', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('revision_number', sa.BigInteger(), nullable=False),
    sa.Column('security_group_id', sa.String(length=36), nullable=False),
    sa.Column('remote_group_id', sa.String(length=36), nullable=True),
    sa.Column('remote_address_group_id', sa.String(length=36), nullable=True),
    sa.Column('direction', sa.String(length=8), nullable=False),
    sa.Column('ethertype', sa.String(length=4), nullable=False),
    sa.Column('protocol', sa.String(length=40), nullable=True),
    sa.Column('port_range_min', sa.Integer(), nullable=True),
    sa.Column('port_range_max', sa.Integer(), nullable=True),
    sa.Column('remote_ip_prefix', sa.String(length=64), nullable=True),
    sa.Column('fingerprint', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['remote_address_group_id'], ['network_address_groups.id'], ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['remote_group_id'], ['network_security_groups.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['security_group_id'], ['network_security_groups.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('fingerprint')
    )
    op.create_index(op.f('ix_network_security_group_rules_project_id'), 'network_security_group_rules', ['project_id'], unique=False)
    op.create_index(op.f('ix_network_security_group_rules_remote_address_group_id'), 'network_security_group_rules', ['remote_address_group_id'], unique=False)
    op.create_index(op.f('ix_network_security_group_rules_remote_group_id'), 'network_security_group_rules', ['remote_group_id'], unique=False)
    op.create_index(op.f('ix_network_security_group_rules_security_group_id'), 'network_security_group_rules', ['security_group_id'], unique=False)
    op.create_table('network_subnetpool_prefixes',
    sa.Column('subnetpool_id', sa.String(length=36), nullable=False),
    sa.Column('cidr', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['subnetpool_id'], ['network_subnetpools.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('subnetpool_id', 'cidr')
    )
    op.create_table('network_subnets',
    sa.Column('network_id', sa.String(length=36), nullable=False),
    sa.Column('ip_version', sa.Integer(), nullable=False),
    sa.Column('cidr', sa.String(length=64), nullable=False),
    sa.Column('gateway_ip', sa.String(length=64), nullable=True),
    sa.Column('enable_dhcp', sa.Boolean(), nullable=False),
    sa.Column('ipv6_ra_mode', sa.String(length=16), nullable=True),
    sa.Column('ipv6_address_mode', sa.String(length=16), nullable=True),
    sa.Column('subnetpool_id', sa.String(length=36), nullable=True),
    sa.Column('segment_id', sa.String(length=36), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=255), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('description', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('revision_number', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['network_id'], ['network_networks.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_network_subnets_network_id'), 'network_subnets', ['network_id'], unique=False)
    op.create_index(op.f('ix_network_subnets_project_id'), 'network_subnets', ['project_id'], unique=False)
    op.create_index(op.f('ix_network_subnets_segment_id'), 'network_subnets', ['segment_id'], unique=False)
    op.create_index(op.f('ix_network_subnets_subnetpool_id'), 'network_subnets', ['subnetpool_id'], unique=False)
    op.create_table('network_allowed_address_pairs',
    sa.Column('port_id', sa.String(length=36), nullable=False),
    sa.Column('mac_address', sa.String(length=32), nullable=False),
    sa.Column('ip_address', sa.String(length=64), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['port_id'], ['network_ports.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('port_id', 'mac_address', 'ip_address')
    )
    op.create_table('network_extra_dhcp_opts',
    sa.Column('port_id', sa.String(length=36), nullable=False),
    sa.Column('opt_name', sa.String(length=64), nullable=False),
    sa.Column('ip_version', sa.Integer(), nullable=False),
    sa.Column('opt_value', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['port_id'], ['network_ports.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('port_id', 'opt_name', 'ip_version')
    )
    op.create_table('network_ip_allocations',
    sa.Column('subnet_id', sa.String(length=36), nullable=False),
    sa.Column('ip_address', sa.String(length=64), nullable=False),
    sa.Column('network_id', sa.String(length=36), nullable=False),
    sa.Column('port_id', sa.String(length=36), nullable=False),
    sa.ForeignKeyConstraint(['port_id'], ['network_ports.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['subnet_id'], ['network_subnets.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('subnet_id', 'ip_address')
    )
    op.create_index(op.f('ix_network_ip_allocations_network_id'), 'network_ip_allocations', ['network_id'], unique=False)
    op.create_index(op.f('ix_network_ip_allocations_port_id'), 'network_ip_allocations', ['port_id'], unique=False)
    op.create_table('network_port_security_groups',
    sa.Column('port_id', sa.String(length=36), nullable=False),
    sa.Column('security_group_id', sa.String(length=36), nullable=False),
    sa.ForeignKeyConstraint(['port_id'], ['network_ports.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('port_id', 'security_group_id')
    )
    op.create_index(op.f('ix_network_port_security_groups_security_group_id'), 'network_port_security_groups', ['security_group_id'], unique=False)
    op.create_table('network_subnet_allocation_pools',
    sa.Column('subnet_id', sa.String(length=36), nullable=False),
    sa.Column('first_ip', sa.String(length=64), nullable=False),
    sa.Column('last_ip', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['subnet_id'], ['network_subnets.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('subnet_id', 'first_ip')
    )
    op.create_table('network_subnet_dns_nameservers',
    sa.Column('subnet_id', sa.String(length=36), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['subnet_id'], ['network_subnets.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('subnet_id', 'address')
    )
    op.create_table('network_subnet_host_routes',
    sa.Column('subnet_id', sa.String(length=36), nullable=False),
    sa.Column('destination', sa.String(length=64), nullable=False),
    sa.Column('nexthop', sa.String(length=64), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['subnet_id'], ['network_subnets.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('subnet_id', 'destination', 'nexthop')
    )
    op.create_table('network_subnet_service_types',
    sa.Column('subnet_id', sa.String(length=36), nullable=False),
    sa.Column('service_type', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['subnet_id'], ['network_subnets.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('subnet_id', 'service_type')
    )


def downgrade() -> None:
    op.drop_table('network_subnet_service_types')
    op.drop_table('network_subnet_host_routes')
    op.drop_table('network_subnet_dns_nameservers')
    op.drop_table('network_subnet_allocation_pools')
    op.drop_index(op.f('ix_network_port_security_groups_security_group_id'), table_name='network_port_security_groups')
    op.drop_table('network_port_security_groups')
    op.drop_index(op.f('ix_network_ip_allocations_port_id'), table_name='network_ip_allocations')
    op.drop_index(op.f('ix_network_ip_allocations_network_id'), table_name='network_ip_allocations')
    op.drop_table('network_ip_allocations')
    op.drop_table('network_extra_dhcp_opts')
    op.drop_table('network_allowed_address_pairs')
    op.drop_index(op.f('ix_network_subnets_subnetpool_id'), table_name='network_subnets')
    op.drop_index(op.f('ix_network_subnets_segment_id'), table_name='network_subnets')
    op.drop_index(op.f('ix_network_subnets_project_id'), table_name='network_subnets')
    op.drop_index(op.f('ix_network_subnets_network_id'), table_name='network_subnets')
    op.drop_table('network_subnets')
    op.drop_table('network_subnetpool_prefixes')
    op.drop_index(op.f('ix_network_security_group_rules_security_group_id'), table_name='network_security_group_rules')
    op.drop_index(op.f('ix_network_security_group_rules_remote_group_id'), table_name='network_security_group_rules')
    op.drop_index(op.f('ix_network_security_group_rules_remote_address_group_id'), table_name='network_security_group_rules')
    op.drop_index(op.f('ix_network_security_group_rules_project_id'), table_name='network_security_group_rules')
    op.drop_table('network_security_group_rules')
    op.drop_index(op.f('ix_network_router_l3_agent_bindings_agent_id'), table_name='network_router_l3_agent_bindings')
    op.drop_table('network_router_l3_agent_bindings')
    op.drop_index(op.f('ix_network_ports_qos_policy_id'), table_name='network_ports')
    op.drop_index(op.f('ix_network_ports_project_id'), table_name='network_ports')
    op.drop_index(op.f('ix_network_ports_network_id'), table_name='network_ports')
    op.drop_index(op.f('ix_network_ports_device_id'), table_name='network_ports')
    op.drop_index(op.f('ix_network_ports_binding_host_id'), table_name='network_ports')
    op.drop_table('network_ports')
    op.drop_index(op.f('ix_network_dhcp_agent_bindings_agent_id'), table_name='network_dhcp_agent_bindings')
    op.drop_table('network_dhcp_agent_bindings')
    op.drop_table('network_address_group_addresses')
    op.drop_index(op.f('ix_network_trunks_project_id'), table_name='network_trunks')
    op.drop_index(op.f('ix_network_trunks_port_id'), table_name='network_trunks')
    op.drop_table('network_trunks')
    op.drop_index(op.f('ix_network_trunk_ports_trunk_id'), table_name='network_trunk_ports')
    op.drop_table('network_trunk_ports')
    op.drop_index('ix_network_tags_resource_id', table_name='network_tags')
    op.drop_table('network_tags')
    op.drop_index(op.f('ix_network_subnetpools_project_id'), table_name='network_subnetpools')
    op.drop_index(op.f('ix_network_subnetpools_address_scope_id'), table_name='network_subnetpools')
    op.drop_table('network_subnetpools')
    op.drop_index(op.f('ix_network_segments_network_id'), table_name='network_segments')
    op.drop_table('network_segments')
    op.drop_index(op.f('ix_network_security_groups_project_id'), table_name='network_security_groups')
    op.drop_table('network_security_groups')
    op.drop_index(op.f('ix_network_routers_project_id'), table_name='network_routers')
    op.drop_index(op.f('ix_network_routers_gw_network_id'), table_name='network_routers')
    op.drop_table('network_routers')
    op.drop_table('network_router_routes')
    op.drop_index(op.f('ix_network_router_ports_router_id'), table_name='network_router_ports')
    op.drop_table('network_router_ports')
    op.drop_index(op.f('ix_network_rbac_policies_target_tenant'), table_name='network_rbac_policies')
    op.drop_index(op.f('ix_network_rbac_policies_project_id'), table_name='network_rbac_policies')
    op.drop_index(op.f('ix_network_rbac_policies_object_id'), table_name='network_rbac_policies')
    op.drop_table('network_rbac_policies')
    op.drop_table('network_quotas')
    op.drop_table('network_quota_locks')
    op.drop_index(op.f('ix_network_qos_rules_qos_policy_id'), table_name='network_qos_rules')
    op.drop_table('network_qos_rules')
    op.drop_index(op.f('ix_network_qos_policies_project_id'), table_name='network_qos_policies')
    op.drop_table('network_qos_policies')
    op.drop_index(op.f('ix_network_port_forwardings_internal_port_id'), table_name='network_port_forwardings')
    op.drop_index(op.f('ix_network_port_forwardings_floatingip_id'), table_name='network_port_forwardings')
    op.drop_table('network_port_forwardings')
    op.drop_index(op.f('ix_network_networks_router_external'), table_name='network_networks')
    op.drop_index(op.f('ix_network_networks_project_id'), table_name='network_networks')
    op.drop_table('network_networks')
    op.drop_index(op.f('ix_network_metering_labels_project_id'), table_name='network_metering_labels')
    op.drop_table('network_metering_labels')
    op.drop_index(op.f('ix_network_metering_label_rules_project_id'), table_name='network_metering_label_rules')
    op.drop_index(op.f('ix_network_metering_label_rules_metering_label_id'), table_name='network_metering_label_rules')
    op.drop_table('network_metering_label_rules')
    op.drop_index(op.f('ix_network_floatingips_router_id'), table_name='network_floatingips')
    op.drop_index(op.f('ix_network_floatingips_project_id'), table_name='network_floatingips')
    op.drop_index(op.f('ix_network_floatingips_floating_network_id'), table_name='network_floatingips')
    op.drop_index(op.f('ix_network_floatingips_fixed_port_id'), table_name='network_floatingips')
    op.drop_table('network_floatingips')
    op.drop_table('network_auto_allocated_topologies')
    op.drop_index(op.f('ix_network_agents_host'), table_name='network_agents')
    op.drop_table('network_agents')
    op.drop_index(op.f('ix_network_address_scopes_project_id'), table_name='network_address_scopes')
    op.drop_table('network_address_scopes')
    op.drop_index(op.f('ix_network_address_groups_project_id'), table_name='network_address_groups')
    op.drop_table('network_address_groups')

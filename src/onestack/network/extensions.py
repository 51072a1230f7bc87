"""The API extensions this Networking service implements, as ``/v2.0/extensions`` lists
them. Clients and Tempest decide what to use and test from this list, so it names exactly
what is built: add an alias here only with the feature (and its tests)."""
from __future__ import annotations

# (alias, name, description)
EXTENSIONS: list[tuple[str, str, str]] = [
    ("network", "Network", "Core networks (always on)."),
    ("project-id", "project_id field enabled", "Resources show project_id beside tenant_id."),
    ("standard-attr-description", "standard-attr-description",
     "Resources have a description."),
    ("standard-attr-timestamp", "Resource timestamps", "created_at and updated_at."),
    ("standard-attr-revisions", "Resource revision numbers",
     "Resources have a revision_number that every change bumps."),
    ("revision-if-match", "If-Match constraints based on revision_number",
     "Updates and deletes honour If-Match: revision_number=N."),
    ("standard-attr-tag", "Tag support for resources with standard attribute",
     "Tags on every resource with standard attributes."),
    ("sorting", "Sorting support", "sort_key and sort_dir on lists."),
    ("pagination", "Pagination support", "limit, marker and page_reverse on lists."),
    ("filter-validation", "Filter parameters validation",
     "An unknown filter is a 400."),
    ("fields", "Fields", "fields= selects attributes."),
    ("external-net", "Neutron external network", "router:external on networks."),
    ("net-mtu", "Network MTU", "Networks show their MTU."),
    ("net-mtu-writable", "Network MTU (writable)", "The MTU can be set and changed."),
    ("port-security", "Port Security", "port_security_enabled on networks and ports."),
    ("dns-domain-ports", "dns_domain for ports", "dns_domain on networks."),
    ("provider", "Provider Network", "Provider attributes of networks."),
    ("subnet_allocation", "Subnet Allocation", "Subnets allocated from subnet pools."),
    ("subnetpool-prefix-ops", "Subnet Pool Prefix Operations",
     "add_prefixes and remove_prefixes on subnet pools."),
    ("default-subnetpools", "Default Subnetpools",
     "is_default pools and use_default_subnetpool on subnets."),
    ("address-scope", "Address scope", "Address scopes of subnet pools and networks."),
    ("subnet-service-types", "Subnet service types", "service_types on subnets."),
    ("subnet-external-network", "Subnet External Network",
     "router:external on subnets."),
    ("subnet-segmentid-writable", "Subnet SegmentID (writable)",
     "segment_id of a subnet can be set on update."),
    ("agent", "agent", "The agent management extension."),
    ("dhcp_agent_scheduler", "DHCP Agent Scheduler",
     "Schedule networks among DHCP agents."),
    ("l3_agent_scheduler", "L3 Agent Scheduler", "Schedule routers among L3 agents."),
    ("segment", "Segment", "Segments extension."),
    ("quotas", "Quota management support", "Per-project quotas of network resources."),
    ("quota_details", "Quota details management support",
     "Quota limits with their usage and reservations."),
    ("rbac-policies", "RBAC Policies",
     "Networks (and QoS policies) shared with chosen projects."),
    ("standard-attr-segment", "Standard Attribute Segment Extension",
     "Segments have standard attributes (description, timestamps, revisions, tags)."),
    # the L3 area
    ("router", "Neutron L3 Router", "Routers with external gateways and interfaces."),
    ("ext-gw-mode", "Neutron L3 Configurable external gateway mode",
     "enable_snat in a router's external_gateway_info."),
    ("extraroute", "Neutron Extra Route", "Extra routes on routers."),
    ("extraroute-atomic", "Atomically add/remove extra routes",
     "add_extraroutes and remove_extraroutes router actions."),
    ("dvr", "Distributed Virtual Router", "The admin-only distributed router attribute."),
    ("l3-ha", "HA Router extension", "The admin-only ha router attribute."),
    ("router-admin-state-down-before-update",
     "Enforce Router's Admin State Down Before Update Extension",
     "distributed and ha change only while the router is administratively down."),
    ("router_availability_zone", "Router Availability Zone",
     "availability_zone_hints and availability_zones on routers."),
    ("fip-port-details", "Floating IP Port Details Extension",
     "port_details of a floating IP's associated port."),
    ("metering", "Neutron Metering", "Metering labels and label rules."),
    ("metering_source_and_destination_fields",
     "Neutron Metering with source and destination filtering",
     "source_ip_prefix and destination_ip_prefix on metering label rules."),
    ("service-type", "Neutron Service Type Management", "The service providers list."),
    ("auto-allocated-topology", "Auto Allocated Topology Services",
     "A project's network, subnet and router to the default external network, on demand."),
    # security groups (service.security_groups, .security_group_rules, .address_groups)
    ("security-group", "security-group", "Security groups and their rules."),
    ("stateful-security-group", "Stateful security group",
     "stateful on security groups."),
    ("security-groups-normalized-cidr", "Security group rule normalized CIDR",
     "normalized_cidr on security group rules."),
    ("security-groups-rules-belongs-to-default-sg",
     "Security group rule belongs to the project's default security group",
     "belongs_to_default_sg on security group rules."),
    ("address-group", "Address group", "Address groups and their add/remove actions."),
    ("security-groups-remote-address-group", "Remote address group id field",
     "remote_address_group_id on security group rules."),
]


def extension(alias: str) -> dict[str, object] | None:
    for known, name, description in EXTENSIONS:
        if known == alias:
            return {"alias": known, "name": name, "description": description,
                    "updated": "2026-11-27T00:00:00-00:00", "links": []}
    return None


def all_extensions() -> list[dict[str, object]]:
    return [extension(alias) for alias, _, _ in EXTENSIONS]  # type: ignore[misc]

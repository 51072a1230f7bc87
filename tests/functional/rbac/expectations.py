"""What each persona may do on every route, from the policy defaults of Keystone, Nova,
Glance and Placement (secure RBAC, project scope).

One line per route: ``CLASS METHOD PATH`` (``#action`` after the path for one server or
flavor or aggregate action). The classes, for admin / member of A / reader of A / member
of B (``other``), on a resource of project A named in the path:

- ``PUBLIC``  no token needed: nobody is refused
- ``ANY``     every persona (own-scope reads and creates: lists are filtered)
- ``CREATE``  admin, member, other (in their own project); a reader is refused
- ``READ``    admin, member, reader; other gets 404 (or 403)
- ``WRITE``   admin, member; a reader gets 403; other 404 (or 403)
- ``ADMIN``   admin only; member and reader get 403; other 403 (or 404)
- ``SELF``    the user named in the path (the member) and admin; reader, other 403/404
- ``OWNER``   the member only (per-user resources: admin sees just its own, so 404)
- ``EXEMPT``  not decided by the token (password change is authenticated by password,
              OAuth1 request and access tokens by the consumer's signature)

The nova-network routes answer 410 Gone to everyone, as Nova does: ``ANY`` (not refused).
"""
from __future__ import annotations

TABLE = """
PUBLIC GET /identity
PUBLIC GET /identity/
PUBLIC GET /identity/v3
PUBLIC GET /identity/v3/
PUBLIC POST /identity/v3/auth/tokens
ANY GET /identity/v3/auth/tokens
ANY DELETE /identity/v3/auth/tokens
ANY GET /identity/v3/auth/catalog
ANY GET /identity/v3/auth/projects
ANY GET /identity/v3/auth/domains
ANY GET /identity/v3/auth/system
ANY GET /identity/v3/OS-FEDERATION/projects
ANY GET /identity/v3/OS-FEDERATION/domains
ADMIN POST /identity/v3/policies
ADMIN GET /identity/v3/policies
ADMIN GET /identity/v3/policies/{item_id}
ADMIN PATCH /identity/v3/policies/{item_id}
ADMIN DELETE /identity/v3/policies/{item_id}
ADMIN POST /identity/v3/OS-OAUTH1/consumers
ADMIN GET /identity/v3/OS-OAUTH1/consumers
ADMIN GET /identity/v3/OS-OAUTH1/consumers/{item_id}
ADMIN PATCH /identity/v3/OS-OAUTH1/consumers/{item_id}
ADMIN DELETE /identity/v3/OS-OAUTH1/consumers/{item_id}
ANY GET /identity/v3/limits/model
ADMIN POST /identity/v3/registered_limits
ANY GET /identity/v3/registered_limits
ANY GET /identity/v3/registered_limits/{item_id}
ADMIN PATCH /identity/v3/registered_limits/{item_id}
ADMIN DELETE /identity/v3/registered_limits/{item_id}
ADMIN POST /identity/v3/limits
ANY GET /identity/v3/limits
READ GET /identity/v3/limits/{item_id}
ADMIN PATCH /identity/v3/limits/{item_id}
ADMIN DELETE /identity/v3/limits/{item_id}
ADMIN PUT /identity/v3/domains/{domain_id}/config
ADMIN GET /identity/v3/domains/{domain_id}/config
ADMIN PATCH /identity/v3/domains/{domain_id}/config
ADMIN DELETE /identity/v3/domains/{domain_id}/config
ADMIN GET /identity/v3/domains/config/default
ADMIN GET /identity/v3/domains/config/{group}/default
ADMIN GET /identity/v3/domains/config/{group}/{option}/default
ADMIN GET /identity/v3/domains/{domain_id}/config/{group}
ADMIN PATCH /identity/v3/domains/{domain_id}/config/{group}
ADMIN DELETE /identity/v3/domains/{domain_id}/config/{group}
ADMIN GET /identity/v3/domains/{domain_id}/config/{group}/{option}
ADMIN PATCH /identity/v3/domains/{domain_id}/config/{group}/{option}
ADMIN DELETE /identity/v3/domains/{domain_id}/config/{group}/{option}
ADMIN GET /identity/v3/OS-REVOKE/events
ADMIN POST /identity/v3/domains
ADMIN GET /identity/v3/domains
ANY GET /identity/v3/domains/{domain_id}
ADMIN PATCH /identity/v3/domains/{domain_id}
ADMIN DELETE /identity/v3/domains/{domain_id}
ADMIN POST /identity/v3/projects
ADMIN GET /identity/v3/projects
READ GET /identity/v3/projects/{project_id}
ADMIN PATCH /identity/v3/projects/{project_id}
ADMIN DELETE /identity/v3/projects/{project_id}
READ GET /identity/v3/projects/{project_id}/tags
ADMIN PUT /identity/v3/projects/{project_id}/tags
ADMIN DELETE /identity/v3/projects/{project_id}/tags
READ GET /identity/v3/projects/{project_id}/tags/{tag}
ADMIN PUT /identity/v3/projects/{project_id}/tags/{tag}
ADMIN DELETE /identity/v3/projects/{project_id}/tags/{tag}
ADMIN POST /identity/v3/users
ADMIN GET /identity/v3/users
SELF GET /identity/v3/users/{user_id}
ADMIN PATCH /identity/v3/users/{user_id}
ADMIN DELETE /identity/v3/users/{user_id}
EXEMPT POST /identity/v3/users/{user_id}/password
SELF GET /identity/v3/users/{user_id}/projects
SELF GET /identity/v3/users/{user_id}/groups
ADMIN POST /identity/v3/groups
ADMIN GET /identity/v3/groups
ADMIN GET /identity/v3/groups/{group_id}
ADMIN PATCH /identity/v3/groups/{group_id}
ADMIN DELETE /identity/v3/groups/{group_id}
ADMIN GET /identity/v3/groups/{group_id}/users
ADMIN PUT /identity/v3/groups/{group_id}/users/{user_id}
ADMIN GET /identity/v3/groups/{group_id}/users/{user_id}
ADMIN DELETE /identity/v3/groups/{group_id}/users/{user_id}
ADMIN POST /identity/v3/roles
ADMIN GET /identity/v3/roles
ADMIN GET /identity/v3/roles/{role_id}
ADMIN PATCH /identity/v3/roles/{role_id}
ADMIN DELETE /identity/v3/roles/{role_id}
ADMIN PUT /identity/v3/roles/{prior}/implies/{implied}
ADMIN GET /identity/v3/roles/{prior}/implies/{implied}
ADMIN DELETE /identity/v3/roles/{prior}/implies/{implied}
ADMIN GET /identity/v3/roles/{prior}/implies
ADMIN GET /identity/v3/role_inferences
ADMIN GET /identity/v3/role_assignments
ADMIN PUT /identity/v3/regions/{item_id}
ADMIN POST /identity/v3/regions
ANY GET /identity/v3/regions
ANY GET /identity/v3/regions/{item_id}
ADMIN PATCH /identity/v3/regions/{item_id}
ADMIN DELETE /identity/v3/regions/{item_id}
ADMIN POST /identity/v3/services
ADMIN GET /identity/v3/services
ADMIN GET /identity/v3/services/{item_id}
ADMIN PATCH /identity/v3/services/{item_id}
ADMIN DELETE /identity/v3/services/{item_id}
ADMIN POST /identity/v3/endpoints
ADMIN GET /identity/v3/endpoints
ADMIN GET /identity/v3/endpoints/{item_id}
ADMIN PATCH /identity/v3/endpoints/{item_id}
ADMIN DELETE /identity/v3/endpoints/{item_id}
ADMIN POST /identity/v3/OS-EP-FILTER/endpoint_groups
ADMIN GET /identity/v3/OS-EP-FILTER/endpoint_groups
ADMIN GET /identity/v3/OS-EP-FILTER/endpoint_groups/{item_id}
ADMIN PATCH /identity/v3/OS-EP-FILTER/endpoint_groups/{item_id}
ADMIN DELETE /identity/v3/OS-EP-FILTER/endpoint_groups/{item_id}
ADMIN PUT /identity/v3/OS-EP-FILTER/projects/{project_id}/endpoints/{endpoint_id}
ADMIN GET /identity/v3/OS-EP-FILTER/projects/{project_id}/endpoints/{endpoint_id}
ADMIN DELETE /identity/v3/OS-EP-FILTER/projects/{project_id}/endpoints/{endpoint_id}
ADMIN PUT /identity/v3/OS-EP-FILTER/endpoint_groups/{group_id}/projects/{project_id}
ADMIN GET /identity/v3/OS-EP-FILTER/endpoint_groups/{group_id}/projects/{project_id}
ADMIN DELETE /identity/v3/OS-EP-FILTER/endpoint_groups/{group_id}/projects/{project_id}
ADMIN GET /identity/v3/OS-EP-FILTER/projects/{project_id}/endpoints
ADMIN GET /identity/v3/OS-EP-FILTER/endpoints/{endpoint_id}/projects
ADMIN GET /identity/v3/OS-EP-FILTER/endpoint_groups/{group_id}/projects
ADMIN GET /identity/v3/OS-EP-FILTER/endpoint_groups/{group_id}/endpoints
ADMIN GET /identity/v3/OS-EP-FILTER/projects/{project_id}/endpoint_groups
SELF POST /identity/v3/credentials
ANY GET /identity/v3/credentials
SELF GET /identity/v3/credentials/{cred_id}
SELF PATCH /identity/v3/credentials/{cred_id}
SELF DELETE /identity/v3/credentials/{cred_id}
SELF POST /identity/v3/users/{user_id}/credentials/OS-EC2
SELF GET /identity/v3/users/{user_id}/credentials/OS-EC2
SELF GET /identity/v3/users/{user_id}/credentials/OS-EC2/{access}
SELF DELETE /identity/v3/users/{user_id}/credentials/OS-EC2/{access}
OWNER POST /identity/v3/users/{user_id}/application_credentials
SELF GET /identity/v3/users/{user_id}/application_credentials
SELF GET /identity/v3/users/{user_id}/application_credentials/{cred_id}
SELF DELETE /identity/v3/users/{user_id}/application_credentials/{cred_id}
SELF GET /identity/v3/users/{user_id}/access_rules
SELF GET /identity/v3/users/{user_id}/access_rules/{rule_id}
SELF DELETE /identity/v3/users/{user_id}/access_rules/{rule_id}
OWNER POST /identity/v3/OS-TRUST/trusts
ADMIN GET /identity/v3/OS-TRUST/trusts
SELF GET /identity/v3/OS-TRUST/trusts/{trust_id}
SELF DELETE /identity/v3/OS-TRUST/trusts/{trust_id}
SELF GET /identity/v3/OS-TRUST/trusts/{trust_id}/roles
SELF GET /identity/v3/OS-TRUST/trusts/{trust_id}/roles/{role_id}
ADMIN GET /identity/v3/OS-FEDERATION/identity_providers
ADMIN GET /identity/v3/OS-FEDERATION/identity_providers/{idp_id}
ADMIN PUT /identity/v3/OS-FEDERATION/identity_providers/{idp_id}
ADMIN PATCH /identity/v3/OS-FEDERATION/identity_providers/{idp_id}
ADMIN DELETE /identity/v3/OS-FEDERATION/identity_providers/{idp_id}
ADMIN GET /identity/v3/OS-FEDERATION/identity_providers/{idp_id}/protocols
ADMIN GET /identity/v3/OS-FEDERATION/identity_providers/{idp_id}/protocols/{protocol_id}
ADMIN PUT /identity/v3/OS-FEDERATION/identity_providers/{idp_id}/protocols/{protocol_id}
ADMIN PATCH /identity/v3/OS-FEDERATION/identity_providers/{idp_id}/protocols/{protocol_id}
ADMIN DELETE /identity/v3/OS-FEDERATION/identity_providers/{idp_id}/protocols/{protocol_id}
ADMIN GET /identity/v3/OS-FEDERATION/mappings
ADMIN GET /identity/v3/OS-FEDERATION/mappings/{item_id}
ADMIN PUT /identity/v3/OS-FEDERATION/mappings/{item_id}
ADMIN PATCH /identity/v3/OS-FEDERATION/mappings/{item_id}
ADMIN DELETE /identity/v3/OS-FEDERATION/mappings/{item_id}
ADMIN GET /identity/v3/OS-FEDERATION/service_providers
ADMIN GET /identity/v3/OS-FEDERATION/service_providers/{item_id}
ADMIN PUT /identity/v3/OS-FEDERATION/service_providers/{item_id}
ADMIN PATCH /identity/v3/OS-FEDERATION/service_providers/{item_id}
ADMIN DELETE /identity/v3/OS-FEDERATION/service_providers/{item_id}
EXEMPT POST /identity/v3/OS-OAUTH1/request_token
EXEMPT POST /identity/v3/OS-OAUTH1/access_token
ADMIN PUT /identity/v3/OS-OAUTH1/authorize/{request_token_id}
ADMIN GET /identity/v3/users/{user_id}/OS-OAUTH1/access_tokens
ADMIN GET /identity/v3/users/{user_id}/OS-OAUTH1/access_tokens/{token_id}
ADMIN DELETE /identity/v3/users/{user_id}/OS-OAUTH1/access_tokens/{token_id}
ADMIN GET /identity/v3/users/{user_id}/OS-OAUTH1/access_tokens/{token_id}/roles
ADMIN GET /identity/v3/users/{user_id}/OS-OAUTH1/access_tokens/{token_id}/roles/{role_id}
ADMIN POST /identity/v3/s3tokens
"""

ASSIGNMENT_TARGETS = ["/projects/{target_id}", "/OS-INHERIT/projects/{target_id}",
                      "/domains/{target_id}", "/OS-INHERIT/domains/{target_id}"]


def _assignment_lines() -> str:
    """Every grant route (admin only): users and groups on projects, domains, the system,
    directly and inherited."""
    lines = []
    for target in ASSIGNMENT_TARGETS:
        inherited = target.startswith("/OS-INHERIT")
        suffix = "/inherited_to_projects" if inherited else ""
        for actor in ("users", "groups"):
            base = f"/identity/v3{target}/{actor}/{{actor_id}}/roles"
            for method in ("PUT", "GET", "DELETE"):
                lines.append(f"ADMIN {method} {base}/{{role_id}}{suffix}")
            lines.append(f"ADMIN GET {base}{suffix}" if not inherited
                         else f"ADMIN GET {base}/inherited_to_projects")
    for actor in ("users", "groups"):
        base = f"/identity/v3/system/{actor}/{{actor_id}}/roles"
        for method in ("PUT", "GET", "DELETE"):
            lines.append(f"ADMIN {method} {base}/{{role_id}}")
        lines.append(f"ADMIN GET {base}")
    return "\n".join(lines)


COMPUTE = """
READ GET /compute/v2.1/servers/{server_id}/tags
WRITE PUT /compute/v2.1/servers/{server_id}/tags
WRITE DELETE /compute/v2.1/servers/{server_id}/tags
READ GET /compute/v2.1/servers/{server_id}/tags/{tag}
WRITE PUT /compute/v2.1/servers/{server_id}/tags/{tag}
WRITE DELETE /compute/v2.1/servers/{server_id}/tags/{tag}
WRITE POST /compute/v2.1/servers/{server_id}/os-interface
READ GET /compute/v2.1/servers/{server_id}/os-interface/{port_id}
WRITE DELETE /compute/v2.1/servers/{server_id}/os-interface/{port_id}
READ GET /compute/v2.1/servers/{server_id}/os-security-groups
ANY GET /compute/v2.1/os-security-groups
CREATE POST /compute/v2.1/os-security-groups
ANY DELETE /compute/v2.1/os-security-groups/
READ GET /compute/v2.1/os-security-groups/{group_id}
WRITE PUT /compute/v2.1/os-security-groups/{group_id}
WRITE DELETE /compute/v2.1/os-security-groups/{group_id}
WRITE POST /compute/v2.1/os-security-group-rules
WRITE DELETE /compute/v2.1/os-security-group-rules/{rule_id}
ANY GET /compute/v2.1/os-floating-ip-pools
ANY GET /compute/v2.1/os-floating-ips
CREATE POST /compute/v2.1/os-floating-ips
READ GET /compute/v2.1/os-floating-ips/{fip_id}
WRITE DELETE /compute/v2.1/os-floating-ips/{fip_id}
READ GET /compute/v2.1/servers/{server_id}/os-volume_attachments
WRITE POST /compute/v2.1/servers/{server_id}/os-volume_attachments
READ GET /compute/v2.1/servers/{server_id}/os-volume_attachments/{volume_id}
WRITE PUT /compute/v2.1/servers/{server_id}/os-volume_attachments/{volume_id}
WRITE DELETE /compute/v2.1/servers/{server_id}/os-volume_attachments/{volume_id}
ANY GET /compute/v2.1/os-volumes
ANY GET /compute/v2.1/os-volumes/
ANY DELETE /compute/v2.1/os-volumes/
ANY GET /compute/v2.1/os-volumes/detail
CREATE POST /compute/v2.1/os-volumes
READ GET /compute/v2.1/os-volumes/{volume_id}
WRITE DELETE /compute/v2.1/os-volumes/{volume_id}
ANY GET /compute/v2.1/os-snapshots
ANY GET /compute/v2.1/os-snapshots/
ANY DELETE /compute/v2.1/os-snapshots/
ANY GET /compute/v2.1/os-snapshots/detail
CREATE POST /compute/v2.1/os-snapshots
READ GET /compute/v2.1/os-snapshots/{snapshot_id}
WRITE DELETE /compute/v2.1/os-snapshots/{snapshot_id}
ADMIN POST /compute/v2.1/os-assisted-volume-snapshots
ADMIN DELETE /compute/v2.1/os-assisted-volume-snapshots/{snapshot_id}
PUBLIC GET /compute
PUBLIC GET /compute/
PUBLIC GET /compute/v2
PUBLIC GET /compute/v2/
PUBLIC GET /compute/v2.1
PUBLIC GET /compute/v2.1/
CREATE POST /compute/v2.1/servers
ANY GET /compute/v2.1/servers
ANY GET /compute/v2.1/servers/detail
READ GET /compute/v2.1/servers/{server_id}
WRITE PUT /compute/v2.1/servers/{server_id}
WRITE DELETE /compute/v2.1/servers/{server_id}
READ GET /compute/v2.1/servers/{server_id}/metadata
WRITE POST /compute/v2.1/servers/{server_id}/metadata
WRITE PUT /compute/v2.1/servers/{server_id}/metadata
READ GET /compute/v2.1/servers/{server_id}/metadata/{key}
WRITE PUT /compute/v2.1/servers/{server_id}/metadata/{key}
WRITE DELETE /compute/v2.1/servers/{server_id}/metadata/{key}
READ GET /compute/v2.1/servers/{server_id}/ips
READ GET /compute/v2.1/servers/{server_id}/ips/{network}
READ GET /compute/v2.1/servers/{server_id}/os-server-password
WRITE DELETE /compute/v2.1/servers/{server_id}/os-server-password
READ GET /compute/v2.1/servers/{server_id}/os-instance-actions
READ GET /compute/v2.1/servers/{server_id}/os-instance-actions/{request_id}
READ GET /compute/v2.1/servers/{server_id}/os-interface
ADMIN GET /compute/v2.1/servers/{server_id}/migrations
ADMIN GET /compute/v2.1/servers/{server_id}/diagnostics
WRITE POST /compute/v2.1/servers/{server_id}/action#os-stop
WRITE POST /compute/v2.1/servers/{server_id}/action#os-start
WRITE POST /compute/v2.1/servers/{server_id}/action#reboot
WRITE POST /compute/v2.1/servers/{server_id}/action#pause
WRITE POST /compute/v2.1/servers/{server_id}/action#unpause
WRITE POST /compute/v2.1/servers/{server_id}/action#suspend
WRITE POST /compute/v2.1/servers/{server_id}/action#resume
WRITE POST /compute/v2.1/servers/{server_id}/action#lock
WRITE POST /compute/v2.1/servers/{server_id}/action#unlock
WRITE POST /compute/v2.1/servers/{server_id}/action#rescue
WRITE POST /compute/v2.1/servers/{server_id}/action#unrescue
WRITE POST /compute/v2.1/servers/{server_id}/action#resize
WRITE POST /compute/v2.1/servers/{server_id}/action#confirmResize
WRITE POST /compute/v2.1/servers/{server_id}/action#revertResize
WRITE POST /compute/v2.1/servers/{server_id}/action#rebuild
WRITE POST /compute/v2.1/servers/{server_id}/action#createImage
WRITE POST /compute/v2.1/servers/{server_id}/action#createBackup
WRITE POST /compute/v2.1/servers/{server_id}/action#shelve
ADMIN POST /compute/v2.1/servers/{server_id}/action#shelveOffload
WRITE POST /compute/v2.1/servers/{server_id}/action#unshelve
WRITE POST /compute/v2.1/servers/{server_id}/action#os-getConsoleOutput
WRITE POST /compute/v2.1/servers/{server_id}/action#addSecurityGroup
WRITE POST /compute/v2.1/servers/{server_id}/action#removeSecurityGroup
WRITE POST /compute/v2.1/servers/{server_id}/action#forceDelete
WRITE POST /compute/v2.1/servers/{server_id}/action#restore
ADMIN POST /compute/v2.1/servers/{server_id}/action#migrate
ADMIN POST /compute/v2.1/servers/{server_id}/action#os-migrateLive
ADMIN POST /compute/v2.1/servers/{server_id}/action#evacuate
ADMIN POST /compute/v2.1/servers/{server_id}/action#os-resetState
ADMIN POST /compute/v2.1/servers/{server_id}/action#injectNetworkInfo
ADMIN POST /compute/v2.1/servers/{server_id}/action#os-resetNetwork
ANY GET /compute/v2.1/flavors
ANY GET /compute/v2.1/flavors/detail
ANY GET /compute/v2.1/flavors/{flavor_id}
ADMIN POST /compute/v2.1/flavors
ADMIN PUT /compute/v2.1/flavors/{flavor_id}
ADMIN DELETE /compute/v2.1/flavors/{flavor_id}
ANY GET /compute/v2.1/flavors/{flavor_id}/os-extra_specs
ADMIN POST /compute/v2.1/flavors/{flavor_id}/os-extra_specs
ANY GET /compute/v2.1/flavors/{flavor_id}/os-extra_specs/{key}
ADMIN PUT /compute/v2.1/flavors/{flavor_id}/os-extra_specs/{key}
ADMIN DELETE /compute/v2.1/flavors/{flavor_id}/os-extra_specs/{key}
ADMIN GET /compute/v2.1/flavors/{flavor_id}/os-flavor-access
ADMIN POST /compute/v2.1/flavors/{flavor_id}/action#addTenantAccess
ADMIN POST /compute/v2.1/flavors/{flavor_id}/action#removeTenantAccess
ANY GET /compute/v2.1/os-keypairs
OWNER GET /compute/v2.1/os-keypairs/{name}
ANY POST /compute/v2.1/os-keypairs
OWNER DELETE /compute/v2.1/os-keypairs/{name}
ADMIN GET /compute/v2.1/os-services
ADMIN PUT /compute/v2.1/os-services/{ident}
ADMIN DELETE /compute/v2.1/os-services/{ident}
ADMIN GET /compute/v2.1/os-hypervisors
ADMIN GET /compute/v2.1/os-hypervisors/detail
ADMIN GET /compute/v2.1/os-hypervisors/statistics
ADMIN GET /compute/v2.1/os-hypervisors/{hypervisor_id}
ADMIN GET /compute/v2.1/os-hypervisors/{hypervisor_id}/uptime
ADMIN GET /compute/v2.1/os-hypervisors/{pattern}/search
ADMIN GET /compute/v2.1/os-hypervisors/{pattern}/servers
ANY GET /compute/v2.1/os-availability-zone
ADMIN GET /compute/v2.1/os-availability-zone/detail
ADMIN GET /compute/v2.1/os-hosts
ADMIN GET /compute/v2.1/os-hosts/{host}
ADMIN PUT /compute/v2.1/os-hosts/{host}
ADMIN GET /compute/v2.1/os-hosts/{host}/startup
ADMIN GET /compute/v2.1/os-hosts/{host}/shutdown
ADMIN GET /compute/v2.1/os-hosts/{host}/reboot
ADMIN GET /compute/v2.1/os-aggregates
ADMIN POST /compute/v2.1/os-aggregates
ADMIN GET /compute/v2.1/os-aggregates/{aggregate_id}
ADMIN PUT /compute/v2.1/os-aggregates/{aggregate_id}
ADMIN DELETE /compute/v2.1/os-aggregates/{aggregate_id}
ADMIN POST /compute/v2.1/os-aggregates/{aggregate_id}/action#add_host
ADMIN POST /compute/v2.1/os-aggregates/{aggregate_id}/action#remove_host
ADMIN POST /compute/v2.1/os-aggregates/{aggregate_id}/action#set_metadata
ANY GET /compute/v2.1/limits
READ GET /compute/v2.1/os-quota-sets/{project_id}
ANY GET /compute/v2.1/os-quota-sets/{project_id}/defaults
READ GET /compute/v2.1/os-quota-sets/{project_id}/detail
ADMIN PUT /compute/v2.1/os-quota-sets/{project_id}
ADMIN DELETE /compute/v2.1/os-quota-sets/{project_id}
ADMIN GET /compute/v2.1/os-quota-class-sets/{name}
ADMIN PUT /compute/v2.1/os-quota-class-sets/{name}
ADMIN GET /compute/v2.1/os-simple-tenant-usage
ANY GET /compute/v2.1/os-simple-tenant-usage/
READ GET /compute/v2.1/os-simple-tenant-usage/{project_id}
ANY GET /compute/v2.1/os-server-groups
READ GET /compute/v2.1/os-server-groups/{group_id}
CREATE POST /compute/v2.1/os-server-groups
WRITE DELETE /compute/v2.1/os-server-groups/{group_id}
ANY GET /compute/v2.1/extensions
ANY GET /compute/v2.1/extensions/{alias}
ADMIN GET /compute/v2.1/os-instance_usage_audit_log
ADMIN GET /compute/v2.1/os-instance_usage_audit_log/{before}
ADMIN GET /compute/v2.1/os-migrations
ADMIN POST /compute/v2.1/os-server-external-events
ANY GET /compute/v2.1/images
ANY GET /compute/v2.1/images/detail
READ GET /compute/v2.1/images/{image_id}
WRITE DELETE /compute/v2.1/images/{image_id}
ANY DELETE /compute/v2.1/images/
READ GET /compute/v2.1/images/{image_id}/metadata
READ GET /compute/v2.1/images/{image_id}/metadata/{key}
WRITE POST /compute/v2.1/images/{image_id}/metadata
WRITE PUT /compute/v2.1/images/{image_id}/metadata
WRITE PUT /compute/v2.1/images/{image_id}/metadata/{key}
WRITE DELETE /compute/v2.1/images/{image_id}/metadata/{key}
ANY GET /compute/v2.1/os-networks
ANY GET /compute/v2.1/os-networks/{network_id}
ANY POST /compute/v2.1/os-networks
ANY DELETE /compute/v2.1/os-networks/{network_id}
ANY GET /compute/v2.1/os-tenant-networks
ANY GET /compute/v2.1/os-tenant-networks/{network_id}
ANY POST /compute/v2.1/os-tenant-networks
ANY DELETE /compute/v2.1/os-tenant-networks/{network_id}
ANY POST /compute/v2.1/os-networks/add
ANY POST /compute/v2.1/os-networks/{network_id}/action
"""

IMAGE = """
PUBLIC GET /image
PUBLIC GET /image/
PUBLIC GET /image/v2
PUBLIC GET /image/v2/
PUBLIC GET /image/versions
WRITE PUT /image/v2/images/{image_id}/file
WRITE PUT /image/v2/images/{image_id}/stage
READ GET /image/v2/images/{image_id}/file
WRITE POST /image/v2/images/{image_id}/import
READ GET /image/v2/images/{image_id}/tasks
READ GET /image/v2/images/{image_id}/members
WRITE POST /image/v2/images/{image_id}/members
READ GET /image/v2/images/{image_id}/members/{member_id}
MEMBER PUT /image/v2/images/{image_id}/members/{member_id}
WRITE DELETE /image/v2/images/{image_id}/members/{member_id}
CREATE POST /image/v2/images
ANY GET /image/v2/images
ANY GET /image/v2/images/
ANY PATCH /image/v2/images/
ANY DELETE /image/v2/images/
ANY PUT /image/v2/images/
READ GET /image/v2/images/{image_id}
WRITE PATCH /image/v2/images/{image_id}
WRITE DELETE /image/v2/images/{image_id}
WRITE POST /image/v2/images/{image_id}/actions/deactivate
WRITE POST /image/v2/images/{image_id}/actions/reactivate
WRITE PUT /image/v2/images/{image_id}/tags/{tag}
WRITE DELETE /image/v2/images/{image_id}/tags/{tag}
ANY GET /image/v2/schemas/{name}
ANY GET /image/v2/schemas/metadefs/{name}
ANY GET /image/v2/info/import
ANY GET /image/v2/info/stores
ANY GET /image/v2/info/usage
ADMIN POST /image/v2/tasks
ADMIN GET /image/v2/tasks
ADMIN GET /image/v2/tasks/{task_id}
ANY GET /image/v2/metadefs/namespaces
ADMIN POST /image/v2/metadefs/namespaces
ANY GET /image/v2/metadefs/namespaces/{namespace}
ADMIN PUT /image/v2/metadefs/namespaces/{namespace}
ADMIN DELETE /image/v2/metadefs/namespaces/{namespace}
ANY GET /image/v2/metadefs/namespaces/{namespace}/objects
ADMIN POST /image/v2/metadefs/namespaces/{namespace}/objects
ADMIN DELETE /image/v2/metadefs/namespaces/{namespace}/objects
ANY GET /image/v2/metadefs/namespaces/{namespace}/objects/{name}
ADMIN PUT /image/v2/metadefs/namespaces/{namespace}/objects/{name}
ADMIN DELETE /image/v2/metadefs/namespaces/{namespace}/objects/{name}
ANY GET /image/v2/metadefs/namespaces/{namespace}/properties
ADMIN POST /image/v2/metadefs/namespaces/{namespace}/properties
ADMIN DELETE /image/v2/metadefs/namespaces/{namespace}/properties
ANY GET /image/v2/metadefs/namespaces/{namespace}/properties/{name}
ADMIN PUT /image/v2/metadefs/namespaces/{namespace}/properties/{name}
ADMIN DELETE /image/v2/metadefs/namespaces/{namespace}/properties/{name}
ANY GET /image/v2/metadefs/namespaces/{namespace}/tags
ADMIN POST /image/v2/metadefs/namespaces/{namespace}/tags
ADMIN DELETE /image/v2/metadefs/namespaces/{namespace}/tags
ADMIN POST /image/v2/metadefs/namespaces/{namespace}/tags/{name}
ANY GET /image/v2/metadefs/namespaces/{namespace}/tags/{name}
ADMIN PUT /image/v2/metadefs/namespaces/{namespace}/tags/{name}
ADMIN DELETE /image/v2/metadefs/namespaces/{namespace}/tags/{name}
ANY GET /image/v2/metadefs/resource_types
ANY GET /image/v2/metadefs/namespaces/{namespace}/resource_types
ADMIN POST /image/v2/metadefs/namespaces/{namespace}/resource_types
ADMIN DELETE /image/v2/metadefs/namespaces/{namespace}/resource_types/{name}
"""

PLACEMENT_ROUTES = """
GET /resource_providers
POST /resource_providers
GET /resource_providers/{uuid}
PUT /resource_providers/{uuid}
DELETE /resource_providers/{uuid}
GET /resource_providers/{uuid}/inventories
PUT /resource_providers/{uuid}/inventories
DELETE /resource_providers/{uuid}/inventories
GET /resource_providers/{uuid}/inventories/{rc}
PUT /resource_providers/{uuid}/inventories/{rc}
DELETE /resource_providers/{uuid}/inventories/{rc}
GET /resource_providers/{uuid}/usages
GET /resource_providers/{uuid}/traits
PUT /resource_providers/{uuid}/traits
DELETE /resource_providers/{uuid}/traits
GET /resource_providers/{uuid}/aggregates
PUT /resource_providers/{uuid}/aggregates
GET /allocations/{consumer}
PUT /allocations/{consumer}
DELETE /allocations/{consumer}
POST /allocations
GET /resource_providers/{uuid}/allocations
GET /usages
GET /allocation_candidates
GET /traits
GET /traits/{name}
PUT /traits/{name}
DELETE /traits/{name}
GET /resource_classes
POST /resource_classes
GET /resource_classes/{name}
PUT /resource_classes/{name}
DELETE /resource_classes/{name}
"""


def _placement_lines() -> str:
    lines = ["PUBLIC GET /placement", "PUBLIC GET /placement/"]
    for line in PLACEMENT_ROUTES.strip().splitlines():
        method, path = line.split()
        lines.append(f"ADMIN {method} /placement{path}")
    return "\n".join(lines)


def entries() -> list[tuple[str, str, str, str]]:
    """(class, method, path template, action or "") for every expected route."""
    out = []
    from tests.functional.rbac import network, volume

    for block in (TABLE, _assignment_lines(), COMPUTE, IMAGE, _placement_lines(),
                  network.lines(), volume.lines()):
        for line in block.strip().splitlines():
            kind, method, target = line.split()
            path, _, action = target.partition("#")
            out.append((kind, method, path, action))
    return out

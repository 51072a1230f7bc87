"""``/extensions``: the static list of the v2.1 API's (long frozen) extensions, kept for
clients that still look features up by alias. Only what this cloud serves is listed
(the network proxies, ``os-security-groups``, ``os-floating-ips``, … answer from the
network service, as Nova's answer from Neutron)."""
from __future__ import annotations

from typing import Any

from onestack.compute.api.common import Compute
from onestack.core.errors import NotFound
from onestack.core.http import Call, Reply, RouteTable

UPDATED = "2014-12-03T00:00:00Z"
NAMESPACE = "http://docs.openstack.org/compute/ext/fake_xml"

# alias → (name, description)
EXTENSIONS: dict[str, tuple[str, str]] = {
    "NMN": ("Multinic", "Multiple network support."),
    "OS-DCF": ("DiskConfig", "Disk Management Extension."),
    "OS-EXT-AZ": ("ExtendedAvailabilityZone", "Extended Availability Zone support."),
    "OS-EXT-IMG-SIZE": ("ImageSize", "Adds image size to image listings."),
    "OS-EXT-IPS": ("ExtendedIps", "Adds type parameter to the ip list."),
    "OS-EXT-IPS-MAC": ("ExtendedIpsMac", "Adds mac address parameter to the ip list."),
    "OS-EXT-SRV-ATTR": ("ExtendedServerAttributes", "Extended Server Attributes support."),
    "OS-EXT-STS": ("ExtendedStatus", "Extended Status support."),
    "OS-FLV-DISABLED": ("FlavorDisabled", "Support to show the disabled status of a flavor."),
    "OS-FLV-EXT-DATA": ("FlavorExtraData", "Provide additional data for flavors."),
    "OS-SCH-HNT": ("SchedulerHints", "Pass arbitrary key/value pairs to the scheduler."),
    "OS-SRV-USG": ("ServerUsage", "Adds launched_at and terminated_at on Servers."),
    "os-access-ips": ("AccessIPs", "Access IPs support."),
    "os-admin-actions": ("AdminActions", "Enable admin-only server actions."),
    "os-admin-password": ("AdminPassword", "Admin password management support."),
    "os-aggregates": ("Aggregates", "Admin-only aggregate administration."),
    "os-assisted-volume-snapshots": ("AssistedVolumeSnapshots",
                                     "Assisted volume snapshots."),
    "os-attach-interfaces": ("AttachInterfaces", "Attach interface support."),
    "os-availability-zone": ("AvailabilityZone", "1. Add availability_zone to the Create "
                             "Server API. 2. Add availability zones describing."),
    "os-block-device-mapping": ("BlockDeviceMapping", "Block device mapping boot support."),
    "os-config-drive": ("ConfigDrive", "Config Drive Extension."),
    "os-console-auth-tokens": ("ConsoleAuthTokens", "Console token authentication support."),
    "os-console-output": ("ConsoleOutput", "Console log output support, with tailing "
                          "ability."),
    "os-consoles": ("Consoles", "Interactive Console support."),
    "os-create-backup": ("CreateBackup", "Create a backup of a server."),
    "os-deferred-delete": ("DeferredDelete", "Instance deferred delete."),
    "os-evacuate": ("Evacuate", "Enables server evacuation."),
    "os-extended-volumes": ("ExtendedVolumes", "Extended Volumes support."),
    "os-flavor-access": ("FlavorAccess", "Flavor access support."),
    "os-flavor-extra-specs": ("FlavorExtraSpecs", "Flavors extra specs support."),
    "os-flavor-manage": ("FlavorManage", "Flavor create/delete API support."),
    "os-flavor-rxtx": ("FlavorRxtx", "Support to show the rxtx status of a flavor."),
    "os-floating-ip-pools": ("FloatingIpPools", "Floating IPs support."),
    "os-floating-ips": ("FloatingIps", "Floating IPs support."),
    "os-hide-server-addresses": ("HideServerAddresses", "Support hiding server addresses "
                                 "in certain states."),
    "os-hosts": ("Hosts", "Admin-only host administration."),
    "os-hypervisors": ("Hypervisors", "Admin-only hypervisor administration."),
    "os-instance-actions": ("InstanceActions", "View a log of actions and events taken on "
                            "an instance."),
    "os-keypairs": ("Keypairs", "Keypair Support."),
    "os-lock-server": ("LockServer", "Enable lock/unlock server actions."),
    "os-migrate-server": ("MigrateServer", "Enable migrate and live-migrate server "
                          "actions."),
    "os-migrations": ("Migrations", "Provide data on migrations."),
    "os-multiple-create": ("MultipleCreate", "Allow multiple create in the Create Server "
                           "v2.1 API."),
    "os-networks": ("Networks", "Admin-only Network Management Extension."),
    "os-pause-server": ("PauseServer", "Enable pause/unpause server actions."),
    "os-quota-class-sets": ("QuotaClasses", "Quota classes management support."),
    "os-quota-sets": ("Quotas", "Quotas management support."),
    "os-remote-consoles": ("RemoteConsoles", "Interactive Console support."),
    "os-rescue": ("Rescue", "Instance rescue mode."),
    "os-security-groups": ("SecurityGroups", "Security group support."),
    "os-server-diagnostics": ("ServerDiagnostics", "Allow Admins to view server "
                              "diagnostics through server action."),
    "os-server-external-events": ("ServerExternalEvents", "Server External Event "
                                  "Triggers."),
    "os-server-groups": ("ServerGroups", "Server group support."),
    "os-server-password": ("ServerPassword", "Server password support."),
    "os-server-tags": ("ServerTags", "Server tags support."),
    "os-services": ("Services", "Services support."),
    "os-shelve": ("Shelve", "Instance shelve mode."),
    "os-simple-tenant-usage": ("SimpleTenantUsage", "Simple tenant usage extension."),
    "os-suspend-server": ("SuspendServer", "Enable suspend/resume server actions."),
    "os-tenant-networks": ("TenantNetworks", "Tenant-based Network Management Extension."),
    "os-user-data": ("UserData", "Add user_data to the Create Server API."),
    "os-volumes": ("Volumes", "Volumes support."),
    "os-volumes-attachments": ("VolumeAttachments", "Volume attachments support."),
    "servers": ("Servers", "Servers."),
    "flavors": ("Flavors", "Flavors Extension."),
    "images": ("Images", "Proxying API for Images."),
    "ips": ("Ips", "Server addresses."),
    "limits": ("Limits", "Limits support."),
    "server-metadata": ("ServerMetadata", "Server metadata Support."),
    "versions": ("Versions", "API Version information."),
}


def extension_view(alias: str) -> dict[str, Any]:
    name, description = EXTENSIONS[alias]
    return {"alias": alias, "name": name, "description": description,
            "namespace": NAMESPACE, "updated": UPDATED, "links": []}


def routes(compute: Compute) -> RouteTable:
    r = RouteTable()

    @r.get("/v2.1/extensions")
    def index(call: Call) -> Reply:
        compute.enforce(call, "os_compute_api:extensions")
        return compute.reply(call, 200, {"extensions": [
            extension_view(a) for a in sorted(EXTENSIONS)]})

    @r.get("/v2.1/extensions/{alias}")
    def show(call: Call) -> Reply:
        compute.enforce(call, "os_compute_api:extensions")
        alias = call.params["alias"]
        if alias not in EXTENSIONS:
            raise NotFound(f"Extension {alias} could not be found.")
        return compute.reply(call, 200, {"extension": extension_view(alias)})

    return r

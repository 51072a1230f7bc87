"""The Networking API's resources as data (``attributes.Resource``), one module per area.
``MODULES`` lists them: the policy defaults are derived from every resource listed."""

MODULES = ("onestack.network.resources.networks",
           "onestack.network.resources.ports",
           "onestack.network.resources.subnets",
           "onestack.network.resources.subnetpools",
           "onestack.network.resources.address_scopes",
           "onestack.network.resources.agents",
           "onestack.network.resources.segments",
           "onestack.network.resources.security",
           "onestack.network.resources.routers",
           "onestack.network.resources.floatingips",
           "onestack.network.resources.metering",
           "onestack.network.resources.quotas",
           "onestack.network.resources.rbac",
           "onestack.network.resources.zones",
           "onestack.network.resources.qos",
           "onestack.network.resources.trunks",)

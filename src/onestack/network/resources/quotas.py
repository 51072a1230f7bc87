"""Quotas (the ``quotas`` and ``quota_details`` extensions): one limit per resource, -1
for unlimited. The defaults are Neutron's."""
from __future__ import annotations

from onestack.network.attributes import Attr, Resource

DEFAULTS: dict[str, int] = {
    "network": 100, "subnet": 100, "subnetpool": -1, "port": 500, "router": 10,
    "floatingip": 50, "security_group": 10, "security_group_rule": 100, "rbac_policy": 10,
}

QUOTA = Resource("quota", "quotas", tuple(Attr(name, default=value, put=True)
                                          for name, value in DEFAULTS.items()),
                 standard=False, project_scoped=False, taggable=False)

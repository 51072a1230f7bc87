"""The remaining compute APIs, one route table: ``/limits``, ``os-quota-sets`` and
``os-quota-class-sets`` (quota_sets), ``os-simple-tenant-usage`` (tenant_usage),
``os-server-groups`` (server_groups), ``/extensions`` (extensions) and
``os-instance_usage_audit_log`` (usage_audit)."""
from __future__ import annotations

from onestack.compute.api import (extensions, quota_sets, server_groups, tenant_usage,
                                  usage_audit)
from onestack.compute.api.common import Compute
from onestack.core.http import RouteTable

PARTS = (quota_sets, tenant_usage, server_groups, extensions, usage_audit)


def routes(compute: Compute) -> RouteTable:
    r = RouteTable()
    for part in PARTS:
        r.routes.extend(part.routes(compute).routes)
    return r

"""The admin host APIs, one route table: ``os-services`` (os_services), ``os-hypervisors``
(hypervisors), ``os-availability-zone`` and ``os-hosts`` (zones), ``os-aggregates``
(aggregates). What they report about hosts is read in ``compute.service.hosts``."""
from __future__ import annotations

from onestack.compute.api import aggregates, hypervisors, os_services, zones
from onestack.compute.api.common import Compute
from onestack.core.http import RouteTable

PARTS = (os_services, hypervisors, zones, aggregates)


def routes(compute: Compute) -> RouteTable:
    r = RouteTable()
    for part in PARTS:
        r.routes.extend(part.routes(compute).routes)
    return r

"""Availability zones (the ``availability_zone`` extension): read-only, derived from the
zones the DHCP (network) and L3 (router) agents report."""
from __future__ import annotations

from onestack.network.attributes import Attr, Resource

AVAILABILITY_ZONE = Resource("availability_zone", "availability_zones", (
    Attr("name", post=False),
    Attr("resource", post=False),
    Attr("state", post=False),
), standard=False, project_scoped=False, taggable=False, label="AvailabilityZone")

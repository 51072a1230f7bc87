"""The host facts the admin host APIs report, now kept in ``compute.service.hosts``; these
names stay importable from here for the route modules' views."""
from __future__ import annotations

from onestack.compute.service.hosts import (  # noqa: F401 - re-exported
    CONTROL_BINARIES, HYPERVISOR_VERSION, ID_OFFSET, INTERNAL_ZONE, Service, Usage,
    compute_service, control_host, cpu_info, service_uuid, uptime_text)

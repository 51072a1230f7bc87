"""agents (the ``agent`` extension): read-only but for the operator's ``admin_state_up``
and ``description``; ``alive`` is computed from the heartbeat."""
from __future__ import annotations

from onestack.network.attributes import Attr, Resource, string, to_bool

AGENT = Resource("agent", "agents", (
    Attr("id", post=False),
    Attr("agent_type", post=False),
    Attr("binary", post=False),
    Attr("topic", post=False),
    Attr("host", post=False),
    Attr("availability_zone", post=False),
    Attr("admin_state_up", post=False, put=True, convert=to_bool),
    Attr("description", post=False, put=True, convert=string(255, nullable=True)),
    Attr("configurations", post=False, filter=False, sort=False),
    Attr("resource_versions", post=False, filter=False, sort=False),
    Attr("load", post=False),
    Attr("alive", computed=True, post=False, sort=False),
    Attr("resources_synced", computed=True, post=False, sort=False, filter=False),
    Attr("created_at", post=False, filter=False),
    Attr("started_at", post=False, filter=False),
    Attr("heartbeat_timestamp", post=False, filter=False),
), standard=False, project_scoped=False, taggable=False)

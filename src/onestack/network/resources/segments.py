"""Segments (the ``segment`` and ``standard-attr-segment`` extensions): admin-only views
of how each network is carried."""
from __future__ import annotations

from onestack.network.attributes import REQUIRED, Attr, Resource, string, to_int, uuid_str

SEGMENT = Resource("segment", "segments", (
    Attr("id", post=False),
    Attr("network_id", default=REQUIRED, convert=uuid_str),
    Attr("name", default=None, put=True, convert=string(255, nullable=True)),
    Attr("description", default="", put=True, convert=string(255)),
    Attr("network_type", default=REQUIRED, convert=string(32)),
    Attr("physical_network", default=None, convert=string(64, nullable=True)),
    Attr("segmentation_id", default=None, convert=lambda v: None if v is None else to_int(v)),
    Attr("created_at", post=False),
    Attr("updated_at", post=False),
    Attr("revision_number", post=False),
    Attr("tags", computed=True, post=False, filter=False, sort=False),
), project_scoped=False)

"""metering labels and metering label rules (admin only)."""
from __future__ import annotations

from onestack.network.attributes import (REQUIRED, Attr, Resource, cidr, one_of, project_attrs,
                                         string, to_bool, uuid_str)


def cidr_or_none(value: object) -> str | None:
    return None if value is None else cidr(value)


METERING_LABEL = Resource("metering_label", "metering_labels", (
    Attr("id", post=False),
    Attr("name", default="", convert=string(255)),
    Attr("description", default="", convert=string(1024)),
    *project_attrs(),
    Attr("shared", default=False, convert=to_bool),
), standard=False, taggable=False, label="Metering Label", not_found="MeteringLabelNotFound")

METERING_LABEL_RULE = Resource("metering_label_rule", "metering_label_rules", (
    Attr("id", post=False),
    *project_attrs(),
    Attr("metering_label_id", default=REQUIRED, convert=uuid_str),
    Attr("direction", default="ingress", convert=one_of("ingress", "egress")),
    Attr("excluded", default=False, convert=to_bool),
    Attr("remote_ip_prefix", default=None, convert=cidr_or_none),
    Attr("source_ip_prefix", default=None, convert=cidr_or_none),
    Attr("destination_ip_prefix", default=None, convert=cidr_or_none),
), standard=False, taggable=False, label="Metering Label Rule",
   not_found="MeteringLabelRuleNotFound")

"""Trunks (the ``trunk`` extension): a parent port carrying subports, each on a VLAN."""
from __future__ import annotations

from typing import Any

from onestack.network.attributes import (REQUIRED, Attr, Resource, invalid, project_attrs,
                                         standard_attrs, to_bool, uuid_str)

SEGMENTATION_TYPES = ("vlan", "inherit")


def subports(value: Any) -> list[dict[str, Any]]:
    """The body's ``sub_ports`` in Neutron's shape checks (details are checked later,
    once inherited segmentations are known)."""
    if not isinstance(value, list):
        raise invalid(f"Invalid data format for subports: '{value}' is not a list")
    seen: set[str] = set()
    out = []
    for item in value:
        if not isinstance(item, dict):
            raise invalid(f"Invalid data format for subport: '{item}' is not a dict")
        if "port_id" not in item:
            raise invalid("A valid port UUID must be specified")
        try:
            port_id = uuid_str(item["port_id"])
        except Exception:  # noqa: BLE001 - Neutron's own wording below
            raise invalid(f"Invalid UUID for subport: '{item['port_id']}'") from None
        if port_id in seen:
            raise invalid(f"Non unique UUID for subport: '{port_id}'")
        seen.add(port_id)
        unknown = set(item) - {"port_id", "segmentation_type", "segmentation_id"}
        if unknown:
            raise invalid(f"Invalid subport details '{item}': unrecognized "
                          f"{sorted(unknown)}")
        out.append(dict(item))
    return out


TRUNK = Resource("trunk", "trunks", (
    *standard_attrs(),
    *project_attrs(),
    Attr("admin_state_up", default=True, put=True, convert=to_bool),
    Attr("port_id", default=REQUIRED, convert=uuid_str),
    Attr("status", computed=True, post=False, sort=False),
    Attr("sub_ports", default=[], convert=subports, computed=True, filter=False, sort=False),
))

"""RBAC policies (the ``rbac-policies`` extension)."""
from __future__ import annotations

import uuid
from typing import Any

from onestack.network.attributes import (REQUIRED, Attr, Resource, invalid, project_attrs,
                                         string, uuid_str)


def object_type(value: Any) -> str:
    if not isinstance(value, str):
        raise invalid(f"'{value}' is not a valid RBAC object type")
    return value.strip().lower()


def target_project(value: Any) -> str:
    """A project id (UUID-like) or ``*`` (every project)."""
    if value == "*":
        return value
    try:
        uuid.UUID(str(value))
    except ValueError:
        raise invalid(f"'{value}' is not a valid target project ID; expected a UUID or "
                      "'*'") from None
    return str(value)


RBAC_POLICY = Resource("rbac_policy", "rbac_policies", (
    Attr("id", post=False),
    *project_attrs(),
    Attr("object_type", default=REQUIRED, convert=object_type),
    Attr("object_id", default=REQUIRED, convert=uuid_str),
    Attr("action", default=REQUIRED, convert=string(255)),
    Attr("target_tenant", default=REQUIRED, put=True, convert=target_project),
    Attr("target_project", post=False, column="target_tenant"),
), standard=False, taggable=False, label="RBAC policy", not_found="RbacPolicyNotFound")

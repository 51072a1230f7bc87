"""The request context: who is calling, with what scope and roles, under which request id."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class RequestContext:
    request_id: str
    token: str = ""
    user_id: str = ""
    user_domain_id: str = ""
    project_id: str = ""
    project_domain_id: str = ""
    domain_id: str = ""
    system_scope: str = ""
    roles: list[str] = field(default_factory=list)
    role_ids: list[str] = field(default_factory=list)
    audit_ids: list[str] = field(default_factory=list)
    trust_id: str = ""
    app_cred_id: str = ""
    token_data: dict[str, Any] | None = None  # the token body, when a token was validated

    @property
    def authenticated(self) -> bool:
        return bool(self.user_id)

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles

    def credentials(self) -> dict[str, Any]:
        """What policy rules match against (``role:``, ``project_id:``, ``system_scope:`` …)."""
        return {
            "user_id": self.user_id,
            "user_domain_id": self.user_domain_id,
            "project_id": self.project_id or None,
            "project_domain_id": self.project_domain_id or None,
            "domain_id": self.domain_id or None,
            "system_scope": self.system_scope or None,
            "roles": self.roles,
            "trust_id": self.trust_id or None,
            "application_credential_id": self.app_cred_id or None,
        }

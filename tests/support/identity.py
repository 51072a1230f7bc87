"""Identity factories over the HTTP API: each makes one uniquely named resource as the cloud
admin and returns its JSON body."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from tests.support.api import Api, assert_status

ADMIN_PASSWORD = "admin-secret-pw"


def unique(prefix: str = "t") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def password_auth(*, user_id: str | None = None, name: str | None = None,
                  domain_id: str = "default", password: str,
                  scope: Any = None) -> dict[str, Any]:
    user: dict[str, Any] = {"password": password}
    if user_id:
        user["id"] = user_id
    else:
        user.update(name=name, domain={"id": domain_id})
    auth: dict[str, Any] = {"identity": {"methods": ["password"], "password": {"user": user}}}
    if scope is not None:
        auth["scope"] = scope
    return {"auth": auth}


def project_scope(project_id: str) -> dict[str, Any]:
    return {"project": {"id": project_id}}


@dataclass
class Member:
    """A user holding a role on a project, with a token scoped to it."""

    user: dict[str, Any]
    password: str
    project: dict[str, Any]
    token: str


class Cloud:
    """Admin-side factories; ``cloud.admin_token`` is a project-scoped admin token."""

    def __init__(self, api: Api, admin_token: str, admin_project_id: str):
        self.api = api
        self.admin_token = admin_token
        self.admin_project_id = admin_project_id
        self._roles: dict[str, str] = {}

    # --- tokens -------------------------------------------------------------
    def issue(self, body: dict[str, Any], status: int = 201, **kw: Any) -> tuple[str, dict]:
        response = self.api.post("/v3/auth/tokens", json=body, **kw)
        data = assert_status(response, status)
        return response.headers.get("x-subject-token", ""), data

    def login(self, user: dict[str, Any], password: str, scope: Any = None) -> str:
        token, _ = self.issue(password_auth(user_id=user["id"], password=password, scope=scope))
        return token

    def validate(self, token: str, *, auth_token: str | None = None, **kw: Any):
        return self.api.get("/v3/auth/tokens", token=auth_token or self.admin_token,
                            headers={"X-Subject-Token": token}, **kw)

    # --- resources ----------------------------------------------------------
    def _create(self, path: str, key: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self.api.post(path, token=self.admin_token, json={key: body})
        return assert_status(response, 201)[key]

    def make_domain(self, **attrs: Any) -> dict[str, Any]:
        return self._create("/v3/domains", "domain", {"name": unique("dom"), **attrs})

    def make_project(self, **attrs: Any) -> dict[str, Any]:
        return self._create("/v3/projects", "project", {"name": unique("proj"), **attrs})

    def make_user(self, password: str | None = "pw-" + "x" * 8, **attrs: Any) -> dict[str, Any]:
        body = {"name": unique("user"), **attrs}
        if password is not None:
            body["password"] = password
        return self._create("/v3/users", "user", body)

    def make_group(self, **attrs: Any) -> dict[str, Any]:
        return self._create("/v3/groups", "group", {"name": unique("grp"), **attrs})

    def make_role(self, **attrs: Any) -> dict[str, Any]:
        return self._create("/v3/roles", "role", {"name": unique("role"), **attrs})

    def role_id(self, name: str) -> str:
        if name not in self._roles:
            body = assert_status(self.api.get("/v3/roles", token=self.admin_token,
                                              params={"name": name}), 200)
            (role,) = body["roles"]
            self._roles[name] = role["id"]
        return self._roles[name]

    def grant(self, role: str, *, user: str | None = None, group: str | None = None,
              project: str | None = None, domain: str | None = None, system: bool = False,
              inherited: bool = False) -> None:
        """``role`` is a role name or id; actor and target are ids."""
        role_id = role if len(role) == 32 else self.role_id(role)
        actor = f"users/{user}" if user else f"groups/{group}"
        if system:
            path = f"/v3/system/{actor}/roles/{role_id}"
        else:
            target = f"projects/{project}" if project else f"domains/{domain}"
            path = f"/v3/{target}/{actor}/roles/{role_id}"
            if inherited:
                path = f"/v3/OS-INHERIT/{target}/{actor}/roles/{role_id}/inherited_to_projects"
        assert_status(self.api.put(path, token=self.admin_token), 204)

    def make_project_member(self, role: str = "member", project: dict | None = None,
                            password: str = "member-pw-1") -> Member:
        project = project or self.make_project()
        user = self.make_user(password=password)
        self.grant(role, user=user["id"], project=project["id"])
        token = self.login(user, password, project_scope(project["id"]))
        return Member(user, password, project, token)

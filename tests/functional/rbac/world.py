"""The cast and props of the RBAC matrix: four personas (the cloud admin, a member and a
reader of project A, a member of project B) and factories that make a fresh resource of
project A for each route's path parameters, so destructive calls never disturb another case."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, Callable

from tests.support.api import Api, assert_status
from tests.support.identity import Cloud, Member, password_auth, project_scope, unique

PERSONAS = ("other", "reader", "member", "admin")  # refusals are checked first


@dataclass
class Persona:
    name: str
    token: str
    user_id: str
    project_id: str
    password: str

    def fresh_token(self, api: Api) -> str:
        body = password_auth(user_id=self.user_id, password=self.password,
                             scope=project_scope(self.project_id))
        return api.post("/v3/auth/tokens", json=body).headers["x-subject-token"]


def call(api: Api, method: str, path: str, token: str, json: Any = None,
         headers: dict[str, str] | None = None):
    hdrs = {"X-Auth-Token": token, **(headers or {})}
    kwargs: dict[str, Any] = {"headers": hdrs}
    if json is not None:
        kwargs["json"] = json
    return api.http.request(method, path, **kwargs)


@dataclass
class World:
    api: Api
    cloud: Cloud
    personas: dict[str, Persona] = field(default_factory=dict)
    project_a: dict = field(default_factory=dict)
    project_b: dict = field(default_factory=dict)
    public_image: str = ""

    @classmethod
    def build(cls, api: Api, cloud: Cloud) -> "World":
        w = cls(api, cloud)
        member = cloud.make_project_member("member")
        reader = cloud.make_project_member("reader", project=member.project,
                                           password="reader-pw-1")
        other = cloud.make_project_member("member", password="other-pw-1")
        admin_user = assert_status(api.get("/v3/auth/tokens", token=cloud.admin_token,
                                           headers={"X-Subject-Token": cloud.admin_token}),
                                   200)["token"]["user"]
        w.project_a, w.project_b = member.project, other.project
        w.personas = {
            "admin": Persona("admin", cloud.admin_token, admin_user["id"],
                             cloud.admin_project_id, "admin-secret-pw"),
            "member": _persona("member", member), "reader": _persona("reader", reader),
            "other": _persona("other", other)}
        w.public_image = w._image(cloud.admin_token, "public", data=True)
        unlimited = {k: -1 for k in ("instances", "cores", "ram", "key_pairs",
                                     "server_groups", "server_group_members")}
        r = call(api, "PUT", f"/compute/v2.1/os-quota-sets/{w.project_a['id']}",
                 cloud.admin_token, {"quota_set": unlimited})
        assert r.status_code == 200, r.text
        return w

    # --- helpers ---------------------------------------------------------------------
    @property
    def member(self) -> Persona:
        return self.personas["member"]

    def admin_post(self, path: str, body: Any, status: int | tuple = (200, 201)) -> Any:
        r = call(self.api, "POST", path, self.cloud.admin_token, body)
        assert r.status_code in (status if isinstance(status, tuple) else (status,)), \
            f"{path}: {r.status_code} {r.text[:300]}"
        return r.json() if r.content else {}

    def member_post(self, path: str, body: Any) -> Any:
        r = call(self.api, "POST", path, self.member.token, body)
        assert r.status_code in (200, 201, 202), f"{path}: {r.status_code} {r.text[:300]}"
        return r.json() if r.content else {}

    def _image(self, token: str, visibility: str, data: bool = False) -> str:
        r = call(self.api, "POST", "/image/v2/images", token, {
            "name": unique("img"), "disk_format": "raw", "container_format": "bare",
            "visibility": visibility})
        assert r.status_code == 201, r.text
        image_id = r.json()["id"]
        if data:
            r = self.api.http.put(f"/image/v2/images/{image_id}/file", content=b"x" * 512,
                                  headers={"X-Auth-Token": token,
                                           "Content-Type": "application/octet-stream"})
            assert r.status_code == 204, r.text
        return image_id

    # --- fresh resources of project A (or admin-side ones) ------------------------------
    def server(self) -> str:
        """A server with no ports (project A has many networks: Nova would ask which)."""
        r = call(self.api, "POST", "/compute/v2.1/servers", self.member.token, {"server": {
            "name": unique("vm"), "imageRef": self.public_image, "flavorRef": "42",
            "networks": "none"}}, {"X-OpenStack-Nova-API-Version": "2.37"})
        assert r.status_code == 202, f"servers: {r.status_code} {r.text[:300]}"
        return r.json()["server"]["id"]

    def image(self, data: bool = False) -> str:
        return self._image(self.member.token, "private", data=data)

    def shared_image(self, member_project: str | None = None) -> str:
        image_id = self._image(self.member.token, "shared")
        if member_project:
            r = call(self.api, "POST", f"/image/v2/images/{image_id}/members",
                     self.member.token, {"member": member_project})
            assert r.status_code == 200, r.text
        return image_id

    def keypair(self) -> str:
        return self.member_post("/compute/v2.1/os-keypairs",
                                {"keypair": {"name": unique("key")}})["keypair"]["name"]

    def server_group(self) -> str:
        return self.member_post("/compute/v2.1/os-server-groups", {"server_group": {
            "name": unique("sg"), "policies": ["anti-affinity"]}})["server_group"]["id"]

    def flavor(self) -> str:
        return self.admin_post("/compute/v2.1/flavors", {"flavor": {
            "name": unique("fl"), "ram": 64, "vcpus": 1, "disk": 1}})["flavor"]["id"]

    def aggregate(self) -> str:
        return str(self.admin_post("/compute/v2.1/os-aggregates", {"aggregate": {
            "name": unique("agg")}})["aggregate"]["id"])

    def namespace(self) -> str:
        name = unique("ns")
        self.admin_post("/image/v2/metadefs/namespaces", {"namespace": name,
                                                          "visibility": "public"})
        return name

    def provider(self) -> str:
        r = call(self.api, "POST", "/placement/resource_providers", self.cloud.admin_token,
                 {"name": unique("rp")}, {"OpenStack-API-Version": "placement 1.20"})
        assert r.status_code == 200, r.text
        return r.json()["uuid"]

    def identity(self, kind: str) -> str:
        """A fresh identity resource made by the admin; returns its id."""
        makers: dict[str, Callable[[], str]] = {
            "project": lambda: self.cloud.make_project()["id"],
            "user": lambda: self.cloud.make_user()["id"],
            "group": lambda: self.cloud.make_group()["id"],
            "role": lambda: self.cloud.make_role()["id"],
            "domain": lambda: self.cloud.make_domain()["id"],
            "disabled_domain": lambda: self.cloud.make_domain(enabled=False)["id"],
            "policy": lambda: self.admin_post("/identity/v3/policies", {"policy": {
                "blob": "{}", "type": "application/json"}})["policy"]["id"],
            "consumer": lambda: self.admin_post("/identity/v3/OS-OAUTH1/consumers", {
                "consumer": {"description": "c"}})["consumer"]["id"],
            "service": lambda: self.admin_post("/identity/v3/services", {"service": {
                "type": unique("svc"), "name": unique("svc")}})["service"]["id"],
            "region": lambda: self.admin_post("/identity/v3/regions", {"region": {
                "id": unique("reg")}})["region"]["id"],
            "endpoint": lambda: self.admin_post("/identity/v3/endpoints", {"endpoint": {
                "service_id": self.identity("service"), "interface": "public",
                "url": "http://example.test/x"}})["endpoint"]["id"],
            "endpoint_group": lambda: self.admin_post(
                "/identity/v3/OS-EP-FILTER/endpoint_groups", {"endpoint_group": {
                    "name": unique("eg"), "filters": {"interface": "public"}}}
            )["endpoint_group"]["id"],
            "registered_limit": lambda: self._registered_limit()[0],
            "limit": self._limit,
        }
        return makers[kind]()

    def _registered_limit(self) -> tuple[str, str, str]:
        service, resource = self.identity("service"), unique("res")
        body = self.admin_post("/identity/v3/registered_limits", {"registered_limits": [{
            "service_id": service, "resource_name": resource, "default_limit": 5}]})
        return body["registered_limits"][0]["id"], service, resource

    def _limit(self) -> str:
        _, service, resource = self._registered_limit()
        return self.admin_post("/identity/v3/limits", {"limits": [{
            "service_id": service, "project_id": self.project_a["id"],
            "resource_name": resource, "resource_limit": 3}]})["limits"][0]["id"]

    MAPPING_RULES = [{"local": [{"user": {"name": "{0}"}}],
                      "remote": [{"type": "REMOTE_USER"}]}]

    def federation(self, kind: str, idp: str | None = None) -> str:
        """A fresh identity provider, mapping, protocol (of ``idp``) or service provider."""
        ident = unique(kind)
        base = "/identity/v3/OS-FEDERATION"
        path, body = {
            "idp": (f"{base}/identity_providers/{ident}",
                    {"identity_provider": {"enabled": True}}),
            "mapping": (f"{base}/mappings/{ident}", {"mapping": {"rules": self.MAPPING_RULES}}),
            "sp": (f"{base}/service_providers/{ident}", {"service_provider": {
                "auth_url": "https://sp.example.test/v3/auth",
                "sp_url": "https://sp.example.test/ecp"}}),
            "protocol": (f"{base}/identity_providers/{idp}/protocols/{ident}",
                         {"protocol": {"mapping_id": self.federation("mapping")
                                       if kind == "protocol" else ""}}),
        }[kind]
        r = call(self.api, "PUT", path, self.cloud.admin_token, body)
        assert r.status_code == 201, f"{path}: {r.status_code} {r.text[:300]}"
        return ident

    def credential(self) -> str:
        return self.admin_post("/identity/v3/credentials", {"credential": {
            "user_id": self.member.user_id, "type": "cert", "blob": "x"}}
        )["credential"]["id"]

    def ec2(self) -> str:
        return self.admin_post(f"/identity/v3/users/{self.member.user_id}/credentials/OS-EC2",
                               {"tenant_id": self.project_a["id"]})["credential"]["access"]

    def app_credential(self, rules: bool = False) -> dict:
        body: dict[str, Any] = {"name": unique("ac")}
        if rules:
            body["access_rules"] = [{"service": "compute", "method": "GET",
                                     "path": "/v2.1/servers/" + new_uuid()}]
        return self.member_post(
            f"/identity/v3/users/{self.member.user_id}/application_credentials",
            {"application_credential": body})["application_credential"]

    def access_rule(self, free: bool = False) -> str:
        """An access rule of the member's; ``free``: no credential uses it any more."""
        cred = self.app_credential(rules=True)
        if free:
            r = call(self.api, "DELETE", f"/identity/v3/users/{self.member.user_id}/"
                     f"application_credentials/{cred['id']}", self.member.token)
            assert r.status_code == 204, r.text
        return cred["access_rules"][0]["id"]

    def trust(self) -> str:
        return self.member_post("/identity/v3/OS-TRUST/trusts", {"trust": {
            "trustor_user_id": self.member.user_id,
            "trustee_user_id": self.identity("user"),
            "project_id": self.project_a["id"], "impersonation": False,
            "roles": [{"name": "member"}]}})["trust"]["id"]


def _persona(name: str, m: Member) -> Persona:
    return Persona(name, m.token, m.user["id"], m.project["id"], m.password)


def new_uuid() -> str:
    return str(uuid.uuid4())

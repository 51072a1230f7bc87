"""Values for a route's path parameters and the request body each route needs, so that a
refusal seen in the matrix is the policy's and not a 404 or a 400 for a made-up id."""
from __future__ import annotations

import re
from typing import Any

from tests.functional.rbac import network, volume
from tests.functional.rbac.world import World, call, new_uuid
from tests.support.identity import unique

PARAM = re.compile(r"\{(\w+)\}")
OWN_PROJECT = volume.OWN_PROJECT  # the calling persona's project (volume's project URLs)


def fill(world: World, method: str, path: str) -> tuple[str, dict[str, str]]:
    """The concrete path, and the values used (fresh resources made for this case)."""
    values: dict[str, str] = {}
    PARAM_VALUES.clear()
    for name in PARAM.findall(path):
        values[name] = value(world, method, path, name, values)
        PARAM_VALUES[name] = values[name]
    concrete = PARAM.sub(lambda m: values[m.group(1)], path)
    if path.startswith("/volume"):
        concrete += volume.query(_volume_world(world), method, path, values)
    return concrete, values


def _segment_before(path: str, name: str) -> str:
    head = path.split("{" + name + "}")[0].rstrip("/")
    return head.rsplit("/", 1)[-1]


def value(world: World, method: str, path: str, name: str, done: dict[str, str]) -> str:
    seg = _segment_before(path, name)
    if path.startswith("/identity"):
        return _identity(world, method, path, name, seg)
    if path.startswith("/compute"):
        return _compute(world, method, path, name, seg)
    if path.startswith("/image"):
        return _image(world, method, path, name, seg, done)
    if path.startswith("/network"):
        return network.value(_network_world(world), method, path, name, done)
    if path.startswith("/volume"):
        return volume.value(_volume_world(world), method, path, name, done)
    return _placement(world, name)


def _network_world(world: World) -> network.NetworkWorld:
    made = getattr(world, "_network_world", None)
    if made is None:
        made = network.NetworkWorld(world)
        world._network_world = made  # type: ignore[attr-defined]
    return made


def _volume_world(world: World) -> volume.VolumeWorld:
    made = getattr(world, "_volume_world", None)
    if made is None:
        made = volume.VolumeWorld(world)
        world._volume_world = made  # type: ignore[attr-defined]
    return made


def _identity(w: World, method: str, path: str, name: str, seg: str) -> str:
    a = w.project_a["id"]
    if "OS-FEDERATION" in path and name in ("idp_id", "protocol_id", "item_id"):
        return _federation(w, method, path, name, seg)
    if name in ("request_token_id", "token_id"):
        return new_uuid().replace("-", "")
    if name == "item_id":
        kinds = {"policies": "policy", "consumers": "consumer", "registered_limits":
                 "registered_limit", "limits": "limit", "services": "service",
                 "endpoints": "endpoint", "endpoint_groups": "endpoint_group"}
        if seg == "regions":
            return unique("reg") if method == "PUT" else w.identity("region")
        return w.identity(kinds[seg])
    if name == "domain_id":
        if method == "DELETE" and path.endswith("{domain_id}"):
            return w.identity("disabled_domain")
        return "default" if method == "GET" and "config" not in path else w.identity("domain")
    if name == "target_id":
        return a if seg == "projects" else "default"
    if name == "actor_id":
        return w.identity("user" if seg == "users" else "group")
    if name == "project_id":
        return w.identity("project") if method == "DELETE" and seg == "projects" else a
    if name == "user_id":
        if seg == "users" and (method in ("PATCH", "DELETE") and path.endswith("{user_id}")
                               and "/groups/" not in path):
            return w.identity("user")
        if "/groups/" in path:
            return w.identity("user")
        return w.member.user_id
    if name == "group_id":
        return w.identity("endpoint_group" if "OS-EP-FILTER" in path else "group")
    if name in ("role_id", "prior", "implied"):
        if "OS-TRUST" in path:
            return w.cloud.role_id("member")
        return w.identity("role")
    if name == "endpoint_id":
        return w.identity("endpoint")
    if name == "cred_id":
        return w.app_credential()["id"] if "application_credentials" in path \
            else w.credential()
    if name == "access":
        return w.ec2()
    if name == "rule_id":
        return w.access_rule(free=method == "DELETE")
    if name == "trust_id":
        return w.trust()
    return {"tag": "t1", "group": "ldap", "option": "url"}[name]


def _federation(w: World, method: str, path: str, name: str, seg: str) -> str:
    """A fresh one, or for a PUT (create) of the last segment a new name."""
    last = path.endswith("{" + name + "}")
    if method == "PUT" and last:
        return unique("new")
    if name == "idp_id":
        return w.federation("idp")
    if name == "protocol_id":
        return w.federation("protocol", idp=PARAM_VALUES.get("idp_id"))
    return w.federation("mapping" if seg == "mappings" else "sp")


PARAM_VALUES: dict[str, str] = {}


def _compute(w: World, method: str, path: str, name: str, seg: str) -> str:
    nw = _network_world(w)
    if name == "group_id" and seg == "os-security-groups":
        return nw.make("security-groups")
    if name == "rule_id":
        return nw.rule()
    if name == "fip_id":
        return nw.floatingip()
    if name == "port_id":
        return nw.port()
    if name == "tag":
        return "t1"
    if name == "server_id":
        return w.server()
    if name == "volume_id":  # Block Storage's, of project A
        return _volume_world(w).volume()
    if name == "snapshot_id":
        return _volume_world(w).snapshot() if seg == "os-snapshots" else new_uuid()
    if name == "image_id":
        return w.image()
    if name == "flavor_id":
        return w.flavor() if method != "GET" else "42"
    if name == "name":
        return w.keypair() if seg == "os-keypairs" else "default"
    if name == "group_id":
        return w.server_group()
    if name == "aggregate_id":
        return w.aggregate()
    if name == "project_id":
        return w.cloud.make_project()["id"] if method in ("PUT", "DELETE") \
            else w.project_a["id"]
    return {"key": "k1", "network": "private", "request_id": "req-" + new_uuid(),
            "ident": new_uuid(), "hypervisor_id": new_uuid(), "pattern": "compute",
            "host": "compute1", "alias": "os-keypairs", "before": "2020-01-01 00:00:00",
            "network_id": new_uuid()}[name]


def _image(w: World, method: str, path: str, name: str, seg: str,
           done: dict[str, str]) -> str:
    if name == "image_id":
        if path.endswith("/reactivate") or path.endswith("/deactivate"):
            return w.image(data=True)
        if path.endswith("/members/{member_id}") and method == "PUT":
            return w.shared_image(w.project_b["id"])
        if "/members" in path:
            return w.shared_image(w.cloud.make_project()["id"] if method != "POST" else None)
        return w.image()
    if name == "member_id":
        if method == "PUT":
            return w.project_b["id"]
        return w.cloud.make_project()["id"]
    if name == "namespace":
        return w.namespace()
    if name == "name":
        return "OS::Glance::Image" if seg == "resource_types" else unique("n")
    return {"tag": "t1", "task_id": new_uuid()}[name]


def _placement(w: World, name: str) -> str:
    if name == "uuid":
        return w.provider()
    if name == "consumer":
        return new_uuid()
    if name == "rc":
        return "VCPU"
    return "CUSTOM_" + unique("X").replace("-", "_").upper()


def body(world: World, method: str, path: str, action: str,
         values: dict[str, str]) -> Any:
    """A body the admin's call would accept (so a refusal is the policy's)."""
    if path.startswith("/volume"):
        return volume.body(_volume_world(world), method, path, action, values)
    if action:
        return _ACTION_BODIES.get(action, {action: None})
    if path.startswith("/network"):
        return network.body(_network_world(world), method, path, values)
    key = f"{method} {path}"
    maker = _BODIES.get(key)
    return maker(world, values) if callable(maker) else maker


_ACTION_BODIES: dict[str, Any] = {
    "reboot": {"reboot": {"type": "HARD"}},
    "resize": {"resize": {"flavorRef": "1"}},
    "rebuild": {"rebuild": {"imageRef": ""}},  # filled in by the test with the image
    "createImage": {"createImage": {"name": "snap"}},
    "createBackup": {"createBackup": {"name": "b", "backup_type": "daily", "rotation": 1}},
    "os-getConsoleOutput": {"os-getConsoleOutput": {"length": 5}},
    "addSecurityGroup": {"addSecurityGroup": {"name": "default"}},
    "removeSecurityGroup": {"removeSecurityGroup": {"name": "default"}},
    "migrate": {"migrate": None},
    "os-migrateLive": {"os-migrateLive": {"host": None, "block_migration": "auto"}},
    "evacuate": {"evacuate": {}},
    "os-resetState": {"os-resetState": {"state": "active"}},
    "lock": {"lock": None},
    "rescue": {"rescue": None},
    "addTenantAccess": {"addTenantAccess": {"tenant": "p1"}},
    "removeTenantAccess": {"removeTenantAccess": {"tenant": "p1"}},
    "add_host": {"add_host": {"host": "compute1"}},
    "remove_host": {"remove_host": {"host": "compute1"}},
    "set_metadata": {"set_metadata": {"metadata": {"k": "v"}}},
}


def _s3_request(w: World) -> dict:
    """A correctly signed S3 (AWS v1) request of the member's EC2 credential."""
    import base64
    import hashlib
    import hmac

    r = call(w.api, "POST", f"/identity/v3/users/{w.member.user_id}/credentials/OS-EC2",
             w.member.token, {"tenant_id": w.project_a["id"]})
    assert r.status_code == 201, r.text
    cred = r.json()["credential"]
    to_sign = b"GET\n\n\nTue, 11 Jul 2025 10:00:00 GMT\n/bucket"
    signature = base64.b64encode(hmac.new(cred["secret"].encode(), to_sign,
                                          hashlib.sha1).digest()).decode()
    return {"credentials": {"access": cred["access"], "signature": signature,
                            "token": base64.urlsafe_b64encode(to_sign).decode()}}


def _registered_limit_body(w: World, v: dict) -> dict:
    return {"registered_limits": [{"service_id": w.identity("service"),
                                   "resource_name": unique("res"), "default_limit": 5}]}


def _limit_body(w: World, v: dict) -> dict:
    _, service, resource = w._registered_limit()
    return {"limits": [{"service_id": service, "project_id": w.project_a["id"],
                        "resource_name": resource, "resource_limit": 3}]}


def _allocation(w: World, v: dict) -> dict:
    return {"allocations": {w.provider(): {"resources": {"VCPU": 1}}},
            "project_id": new_uuid(), "user_id": new_uuid(), "consumer_generation": None}


def _network_of_a(w: World, v: dict) -> dict:
    return {"interfaceAttachment": {"net_id": _network_world(w).network()}}


def _sg_rule(w: World, v: dict) -> dict:
    return {"security_group_rule": {"parent_group_id": _network_world(w).make(
        "security-groups"), "ip_protocol": "tcp", "from_port": 22, "to_port": 22,
        "cidr": "0.0.0.0/0"}}


def _fip_pool(w: World, v: dict) -> dict:
    nw = _network_world(w)
    public = nw.public()
    r = call(w.api, "GET", f"/network/v2.0/networks/{public}", w.cloud.admin_token)
    return {"pool": r.json()["network"]["name"]}


_BODIES: dict[str, Any] = {
    # compute's network routes
    "POST /compute/v2.1/servers/{server_id}/os-interface": _network_of_a,
    "POST /compute/v2.1/os-security-groups": {"security_group": {"name": "sg-n",
                                                                 "description": "d"}},
    "PUT /compute/v2.1/os-security-groups/{group_id}": {"security_group": {
        "name": "sg-m", "description": "e"}},
    "POST /compute/v2.1/os-security-group-rules": _sg_rule,
    "POST /compute/v2.1/os-floating-ips": _fip_pool,
    "PUT /compute/v2.1/servers/{server_id}/tags": {"tags": ["a", "b"]},
    # compute's volume routes (Block Storage volumes of project A)
    "POST /compute/v2.1/servers/{server_id}/os-volume_attachments": lambda w, v: {
        "volumeAttachment": {"volumeId": _volume_world(w).volume()}},
    "PUT /compute/v2.1/servers/{server_id}/os-volume_attachments/{volume_id}":
        lambda w, v: {"volumeAttachment": {"volumeId": v["volume_id"],
                                           "delete_on_termination": True}},
    "POST /compute/v2.1/os-volumes": lambda w, v: _volume_world(w).ready({
        "volume": {"size": 1}}),
    "POST /compute/v2.1/os-snapshots": lambda w, v: {"snapshot": {
        "volume_id": _volume_world(w).volume()}},
    "POST /compute/v2.1/os-assisted-volume-snapshots": lambda w, v: {"snapshot": {
        "volume_id": _volume_world(w).volume(), "create_info": {
            "snapshot_id": new_uuid(), "type": "qcow2", "new_file": "rbac.qcow2"}}},
    # identity
    "POST /identity/v3/policies": {"policy": {"blob": "{}", "type": "application/json"}},
    "PATCH /identity/v3/policies/{item_id}": {"policy": {"blob": "{}"}},
    "POST /identity/v3/OS-OAUTH1/consumers": {"consumer": {"description": "d"}},
    "PATCH /identity/v3/OS-OAUTH1/consumers/{item_id}": {"consumer": {"description": "e"}},
    "POST /identity/v3/registered_limits": _registered_limit_body,
    "PATCH /identity/v3/registered_limits/{item_id}": {"registered_limit": {
        "default_limit": 6}},
    "POST /identity/v3/limits": _limit_body,
    "PATCH /identity/v3/limits/{item_id}": {"limit": {"resource_limit": 4}},
    "PUT /identity/v3/domains/{domain_id}/config": {"config": {"ldap": {
        "url": "ldap://example.test"}}},
    "PATCH /identity/v3/domains/{domain_id}/config": {"config": {"ldap": {
        "url": "ldap://example.test"}}},
    "PATCH /identity/v3/domains/{domain_id}/config/{group}": {"config": {"ldap": {
        "url": "ldap://example.test"}}},
    "PATCH /identity/v3/domains/{domain_id}/config/{group}/{option}": {"config": {
        "url": "ldap://example.test"}},
    "POST /identity/v3/domains": lambda w, v: {"domain": {"name": unique("dom")}},
    "PATCH /identity/v3/domains/{domain_id}": {"domain": {"description": "d"}},
    "POST /identity/v3/projects": lambda w, v: {"project": {"name": unique("p")}},
    "PATCH /identity/v3/projects/{project_id}": {"project": {"description": "d"}},
    "PUT /identity/v3/projects/{project_id}/tags": {"tags": ["t1"]},
    "POST /identity/v3/users": lambda w, v: {"user": {"name": unique("u")}},
    "PATCH /identity/v3/users/{user_id}": {"user": {"description": "d"}},
    "POST /identity/v3/groups": lambda w, v: {"group": {"name": unique("g")}},
    "PATCH /identity/v3/groups/{group_id}": {"group": {"description": "d"}},
    "POST /identity/v3/roles": lambda w, v: {"role": {"name": unique("r")}},
    "PATCH /identity/v3/roles/{role_id}": {"role": {"description": "d"}},
    "PUT /identity/v3/regions/{item_id}": {"region": {"description": "d"}},
    "POST /identity/v3/regions": lambda w, v: {"region": {"id": unique("reg")}},
    "PATCH /identity/v3/regions/{item_id}": {"region": {"description": "d"}},
    "POST /identity/v3/services": lambda w, v: {"service": {"type": unique("t")}},
    "PATCH /identity/v3/services/{item_id}": {"service": {"description": "d"}},
    "POST /identity/v3/endpoints": lambda w, v: {"endpoint": {
        "service_id": w.identity("service"), "interface": "public",
        "url": "http://example.test/y"}},
    "PATCH /identity/v3/endpoints/{item_id}": {"endpoint": {"url": "http://example.test/z"}},
    "POST /identity/v3/OS-EP-FILTER/endpoint_groups": lambda w, v: {"endpoint_group": {
        "name": unique("eg"), "filters": {"interface": "public"}}},
    "PATCH /identity/v3/OS-EP-FILTER/endpoint_groups/{item_id}": {"endpoint_group": {
        "description": "d"}},
    "POST /identity/v3/credentials": lambda w, v: {"credential": {
        "user_id": w.member.user_id, "type": "cert", "blob": "y"}},
    "PATCH /identity/v3/credentials/{cred_id}": {"credential": {"blob": "z"}},
    "POST /identity/v3/users/{user_id}/credentials/OS-EC2": lambda w, v: {
        "tenant_id": w.project_a["id"]},
    "POST /identity/v3/users/{user_id}/application_credentials": lambda w, v: {
        "application_credential": {"name": unique("ac")}},
    "POST /identity/v3/OS-TRUST/trusts": lambda w, v: {"trust": {
        "trustor_user_id": w.member.user_id,
        "trustee_user_id": w.identity("user"),
        "project_id": w.project_a["id"], "impersonation": False,
        "roles": [{"name": "member"}]}},
    "PUT /identity/v3/OS-FEDERATION/identity_providers/{idp_id}": {
        "identity_provider": {"enabled": True}},
    "PATCH /identity/v3/OS-FEDERATION/identity_providers/{idp_id}": {
        "identity_provider": {"description": "d"}},
    "PUT /identity/v3/OS-FEDERATION/identity_providers/{idp_id}/protocols/{protocol_id}":
        lambda w, v: {"protocol": {"mapping_id": w.federation("mapping")}},
    "PATCH /identity/v3/OS-FEDERATION/identity_providers/{idp_id}/protocols/{protocol_id}":
        lambda w, v: {"protocol": {"mapping_id": w.federation("mapping")}},
    "PUT /identity/v3/OS-FEDERATION/mappings/{item_id}": {"mapping": {
        "rules": World.MAPPING_RULES}},
    "PATCH /identity/v3/OS-FEDERATION/mappings/{item_id}": {"mapping": {
        "rules": World.MAPPING_RULES}},
    "PUT /identity/v3/OS-FEDERATION/service_providers/{item_id}": {"service_provider": {
        "auth_url": "https://sp.example.test/v3/auth", "sp_url": "https://sp.example.test/e"}},
    "PATCH /identity/v3/OS-FEDERATION/service_providers/{item_id}": {"service_provider": {
        "description": "d"}},
    "PUT /identity/v3/OS-OAUTH1/authorize/{request_token_id}": {"roles": [{"name": "member"}]},
    "POST /identity/v3/s3tokens": lambda w, v: _s3_request(w),
    # compute
    "POST /compute/v2.1/servers": lambda w, v: {"server": {
        "name": unique("vm"), "imageRef": w.public_image, "flavorRef": "42",
        "networks": "none"}},
    "PUT /compute/v2.1/servers/{server_id}": {"server": {"name": "renamed"}},
    "POST /compute/v2.1/servers/{server_id}/metadata": {"metadata": {"k1": "v"}},
    "PUT /compute/v2.1/servers/{server_id}/metadata": {"metadata": {"k1": "v"}},
    "PUT /compute/v2.1/servers/{server_id}/metadata/{key}": {"meta": {"k1": "v"}},
    "POST /compute/v2.1/flavors": lambda w, v: {"flavor": {
        "name": unique("fl"), "ram": 64, "vcpus": 1, "disk": 1}},
    "PUT /compute/v2.1/flavors/{flavor_id}": {"flavor": {"description": "d"}},
    "POST /compute/v2.1/flavors/{flavor_id}/os-extra_specs": {"extra_specs": {"k": "v"}},
    "PUT /compute/v2.1/flavors/{flavor_id}/os-extra_specs/{key}": {"k1": "v"},
    "POST /compute/v2.1/os-keypairs": lambda w, v: {"keypair": {"name": unique("key")}},
    "PUT /compute/v2.1/os-services/{ident}": {"status": "disabled"},
    "PUT /compute/v2.1/os-hosts/{host}": {"status": "enable"},
    "POST /compute/v2.1/os-aggregates": lambda w, v: {"aggregate": {"name": unique("a")}},
    "PUT /compute/v2.1/os-aggregates/{aggregate_id}": lambda w, v: {"aggregate": {
        "name": unique("a")}},
    "PUT /compute/v2.1/os-quota-sets/{project_id}": {"quota_set": {"cores": 30}},
    "PUT /compute/v2.1/os-quota-class-sets/{name}": {"quota_class_set": {"cores": 30}},
    "POST /compute/v2.1/os-server-groups": lambda w, v: {"server_group": {
        "name": unique("sg"), "policies": ["affinity"]}},
    "POST /compute/v2.1/os-server-external-events": lambda w, v: {"events": [{
        "name": "network-changed", "server_uuid": w.server()}]},
    "POST /compute/v2.1/images/{image_id}/metadata": {"metadata": {"k1": "v"}},
    "PUT /compute/v2.1/images/{image_id}/metadata": {"metadata": {"k1": "v"}},
    "PUT /compute/v2.1/images/{image_id}/metadata/{key}": {"meta": {"k1": "v"}},
    # image
    "POST /image/v2/images/{image_id}/import": {"method": {"name": "glance-direct"}},
    "POST /image/v2/images/{image_id}/members": lambda w, v: {
        "member": w.cloud.make_project()["id"]},
    "PUT /image/v2/images/{image_id}/members/{member_id}": {"status": "accepted"},
    "PATCH /image/v2/images/{image_id}": [{"op": "replace", "path": "/name", "value": "n"}],
    "POST /image/v2/images": {"name": "i", "disk_format": "raw", "container_format": "bare"},
    "POST /image/v2/tasks": {"type": "import", "input": {}},
    "POST /image/v2/metadefs/namespaces": lambda w, v: {"namespace": unique("ns")},
    "PUT /image/v2/metadefs/namespaces/{namespace}": lambda w, v: {
        "namespace": v["namespace"], "description": "d"},
    "POST /image/v2/metadefs/namespaces/{namespace}/objects": lambda w, v: {
        "name": unique("o")},
    "PUT /image/v2/metadefs/namespaces/{namespace}/objects/{name}": lambda w, v: {
        "name": v["name"]},
    "POST /image/v2/metadefs/namespaces/{namespace}/properties": lambda w, v: {
        "name": unique("p"), "title": "t", "type": "string"},
    "PUT /image/v2/metadefs/namespaces/{namespace}/properties/{name}": lambda w, v: {
        "name": v["name"], "title": "t", "type": "string"},
    "POST /image/v2/metadefs/namespaces/{namespace}/tags": {"tags": [{"name": "t9"}]},
    "PUT /image/v2/metadefs/namespaces/{namespace}/tags/{name}": lambda w, v: {
        "name": v["name"]},
    "POST /image/v2/metadefs/namespaces/{namespace}/resource_types": {
        "name": "OS::Nova::Server"},
    # placement
    "POST /placement/resource_providers": lambda w, v: {"name": unique("rp")},
    "PUT /placement/resource_providers/{uuid}": lambda w, v: {"name": unique("rp")},
    "PUT /placement/resource_providers/{uuid}/inventories": {
        "resource_provider_generation": 0, "inventories": {"VCPU": {"total": 4}}},
    "PUT /placement/resource_providers/{uuid}/inventories/{rc}": {
        "resource_provider_generation": 0, "total": 4},
    "PUT /placement/resource_providers/{uuid}/traits": {
        "resource_provider_generation": 0, "traits": []},
    "PUT /placement/resource_providers/{uuid}/aggregates": {
        "resource_provider_generation": 0, "aggregates": []},
    "PUT /placement/allocations/{consumer}": _allocation,
    "POST /placement/allocations": lambda w, v: {new_uuid(): _allocation(w, v)},
    "POST /placement/resource_classes": lambda w, v: {
        "name": "CUSTOM_" + unique("C").replace("-", "_").upper()},
}

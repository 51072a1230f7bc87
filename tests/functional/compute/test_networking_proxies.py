"""Nova's pre-2.36 network proxies answered from the network service (and 404 from 2.36),
the security group actions on a server's ports, and the floating IP actions."""
from __future__ import annotations

from typing import Any

import pytest

from onestack.compute import models as cm
from tests.functional.compute.servers_support import Nova, boot, ensure_flavors, make_image
from tests.functional.compute.test_networking import (build, host, network_with_subnet,  # noqa: F401
                                                      post, seam, sql_module, wire)
from tests.support.api import Api
from tests.support.identity import Cloud, Member, unique


@pytest.fixture(scope="module")
def nova(api: Api) -> Nova:
    return Nova(api)


@pytest.fixture()
def owner(cloud: Cloud) -> Member:
    return cloud.make_project_member()


def test_security_group_proxy_speaks_nova_and_ends_at_2_36(nova: Nova, owner: Member) -> None:
    name = unique("sg")
    r = nova("POST", "/os-security-groups", owner.token, json={
        "security_group": {"name": name, "description": "d"}})
    assert r.status_code == 200, r.text
    group = r.json()["security_group"]
    assert (group["name"], group["description"], group["rules"]) == (name, "d", [])
    assert nova("POST", "/os-security-groups", owner.token, json={
        "security_group": {"name": "", "description": "d"}}).status_code == 400
    r = nova("POST", "/os-security-group-rules", owner.token, json={"security_group_rule": {
        "parent_group_id": group["id"], "ip_protocol": "tcp", "from_port": 22,
        "to_port": 22, "cidr": "10.0.0.0/8"}})
    assert r.status_code == 200, r.text
    rule = r.json()["security_group_rule"]
    assert rule == {"id": rule["id"], "parent_group_id": group["id"], "ip_protocol": "tcp",
                    "from_port": 22, "to_port": 22, "group": {},
                    "ip_range": {"cidr": "10.0.0.0/8"}}
    assert nova("POST", "/os-security-group-rules", owner.token, json={
        "security_group_rule": {"parent_group_id": group["id"], "ip_protocol": "tcp",
                                "from_port": 30, "to_port": 20}}).status_code == 400
    shown = nova("GET", f"/os-security-groups/{group['id']}", owner.token).json()
    assert [r["id"] for r in shown["security_group"]["rules"]] == [rule["id"]]
    listed = nova("GET", "/os-security-groups", owner.token).json()["security_groups"]
    assert {g["name"] for g in listed} >= {name, "default"}
    assert nova("GET", "/os-security-groups", owner.token, "2.36").status_code == 404
    assert nova("DELETE", "/os-security-groups/", owner.token).status_code == 404
    assert nova("POST", "/os-security-group-rules", owner.token, json={"security_group_rule": {
        "parent_group_id": "not-a-uuid", "ip_protocol": "tcp", "from_port": 22,
        "to_port": 22}}).status_code == 400
    peer = nova("POST", "/os-security-groups", owner.token, json={
        "security_group": {"name": unique("sg"), "description": ""}}).json()["security_group"]
    r = nova("POST", "/os-security-group-rules", owner.token, json={"security_group_rule": {
        "parent_group_id": group["id"], "ip_protocol": "udp", "from_port": 53,
        "to_port": 53, "group_id": peer["id"]}})
    assert r.status_code == 200, r.text
    assert r.json()["security_group_rule"]["group"] == {"name": peer["name"],
                                                       "tenant_id": peer["tenant_id"]}
    r = nova("POST", "/os-security-group-rules", owner.token, json={"security_group_rule": {
        "parent_group_id": group["id"], "ip_protocol": "tcp", "from_port": 80,
        "to_port": 80, "cidr": "10.2.3.124/24"}})
    assert r.json()["security_group_rule"]["ip_range"] == {"cidr": "10.2.3.124/24"}
    assert nova("DELETE", f"/os-security-group-rules/{rule['id']}",
                owner.token).status_code == 202
    assert nova("DELETE", f"/os-security-groups/{peer['id']}", owner.token).status_code == 202
    assert nova("DELETE", f"/os-security-groups/{group['id']}", owner.token).status_code == 202
    assert nova("GET", f"/os-security-groups/{group['id']}", owner.token).status_code == 404


def test_server_security_groups_follow_its_ports(api: Api, nova: Nova, sql, seam: Any,
                                                 host, owner: Member, db_url: str) -> None:
    ensure_flavors(db_url)
    image = make_image(api, owner.token)
    net = network_with_subnet(api, owner.token, "10.31.0.0/24")
    extra = nova("POST", "/os-security-groups", owner.token, json={
        "security_group": {"name": unique("sg"), "description": ""}}).json()["security_group"]
    sid = boot(nova, owner.token, image, networks=[{"uuid": net["id"]}])
    build(sql, host, sid)
    wire(sql, seam, sid)
    host.reconcile(sid)
    assert sql.read(lambda s: s.get(cm.Instance, sid).vm_state) == "active"
    r = nova.action(sid, owner.token, {"addSecurityGroup": {"name": extra["name"]}})
    assert r.status_code == 202, r.text
    groups = nova("GET", f"/servers/{sid}/os-security-groups", owner.token).json()
    assert {g["name"] for g in groups["security_groups"]} == {"default", extra["name"]}
    assert nova.action(sid, owner.token, {"addSecurityGroup": {
        "name": extra["name"]}}).status_code == 400
    in_use = nova("DELETE", f"/os-security-groups/{extra['id']}", owner.token)
    assert in_use.status_code == 400, in_use.text
    for name in ("default", extra["name"]):
        assert nova.action(sid, owner.token, {"removeSecurityGroup": {
            "name": name}}).status_code == 202
    body = nova("GET", f"/servers/{sid}", owner.token).json()["server"]
    assert "security_groups" not in body


def test_networks_and_pools_are_listed(api: Api, nova: Nova, owner: Member,
                                       admin_token: str) -> None:
    net = network_with_subnet(api, owner.token, "10.32.0.0/24")
    for kind in ("os-networks", "os-tenant-networks"):
        nets = nova("GET", f"/{kind}", owner.token).json()["networks"]
        assert net["id"] in {n["id"] for n in nets}
        one = nova("GET", f"/{kind}/{net['id']}", owner.token).json()["network"]
        assert one["label"] == net["name"]
    ext = post(api, "/networks", admin_token, {"network": {
        "name": unique("pub"), "router:external": True}})["network"]
    pools = nova("GET", "/os-floating-ip-pools", owner.token).json()["floating_ip_pools"]
    assert {"name": ext["name"]} in pools
    assert nova("GET", "/os-floating-ip-pools", owner.token, "2.36").status_code == 404
    missing = nova("POST", "/os-floating-ips", owner.token, json={"pool": unique("nopool")})
    assert missing.status_code == 404


def test_a_server_on_a_network_without_port_security_gets_a_port_without_groups(
        api: Api, nova: Nova, sql, seam: Any, host, owner: Member, db_url: str) -> None:
    """Only the implied ``default`` group is asked for as no group (as Nova does), so the
    network service gives none on a network without port security instead of a 409;
    a group named explicitly still fails that boot."""
    ensure_flavors(db_url)
    image = make_image(api, owner.token)
    net = network_with_subnet(api, owner.token, "10.32.0.0/24")
    r = api.http.put(f"/network/v2.0/networks/{net['id']}", headers={
        "X-Auth-Token": owner.token}, json={"network": {"port_security_enabled": False}})
    assert r.status_code == 200, r.text
    sid = boot(nova, owner.token, image, networks=[{"uuid": net["id"]}])
    build(sql, host, sid)
    ports = wire(sql, seam, sid)
    host.reconcile(sid)
    assert sql.read(lambda s: s.get(cm.Instance, sid).vm_state) == "active"
    port = api.http.get(f"/network/v2.0/ports/{ports[0]}", headers={
        "X-Auth-Token": owner.token}).json()["port"]
    assert (port["port_security_enabled"], port["security_groups"]) == (False, [])

    extra = nova("POST", "/os-security-groups", owner.token, json={
        "security_group": {"name": unique("sg"), "description": ""}}).json()["security_group"]
    named = boot(nova, owner.token, image, networks=[{"uuid": net["id"]}],
                 security_groups=[{"name": extra["name"]}])
    assert build(sql, host, named).vm_state == "error"

"""``onestack up``'s network topology (``network.bootstrap``): DevStack's public network and
subnet, the admin project's private network, subnet and router1, made once and found again
on the next start; turned off by the ``network_topology`` setting."""
from __future__ import annotations

import pytest

from onestack.core.db import Database
from onestack.network import bootstrap
from tests.functional.conftest import settings_for
from tests.functional.network.conftest import NetApi
from tests.support.api import assert_status
from tests.support.identity import Member


def only(items: list[dict]) -> dict:
    assert len(items) == 1, items
    return items[0]


def test_the_topology_is_made_once(net: NetApi, sql: Database, db_url: str,
                                   admin_project_id: str, member: Member,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    settings = settings_for(db_url)
    bootstrap.seed(sql, settings.replace(network_topology=False), admin_project_id)
    assert assert_status(net.get("/networks", params={"name": "public"}), 200)["networks"] == []
    first = bootstrap.ensure_topology(sql, settings, admin_project_id)
    assert set(first.created) >= {"public", "public-subnet", "private", "private-subnet",
                                  "router1"}
    public = only(assert_status(net.get("/networks", params={"name": "public"}),
                                200)["networks"])
    assert public["router:external"] is True and public["is_default"] is True
    assert public["shared"] is False and public["provider:network_type"] == "flat"
    assert public["provider:physical_network"] == "public"
    pub_subnet = only(assert_status(net.get("/subnets", params={"network_id": public["id"]}),
                                    200)["subnets"])
    assert pub_subnet["name"] == "public-subnet" and pub_subnet["cidr"] == "203.0.113.0/24"
    assert pub_subnet["gateway_ip"] == "203.0.113.1" and pub_subnet["enable_dhcp"] is False
    assert pub_subnet["allocation_pools"] == [{"start": "203.0.113.2",
                                               "end": "203.0.113.254"}]
    private = only(assert_status(net.get("/networks", params={
        "name": "private", "project_id": admin_project_id}), 200)["networks"])
    assert private["shared"] is False and private["router:external"] is False
    priv_subnet = only(assert_status(net.get("/subnets", params={
        "network_id": private["id"]}), 200)["subnets"])
    assert priv_subnet["name"] == "private-subnet" and priv_subnet["cidr"] == "10.0.0.0/26"
    router = only(assert_status(net.get("/routers", params={"name": "router1"}),
                                200)["routers"])
    assert router["project_id"] == admin_project_id
    assert router["external_gateway_info"]["network_id"] == public["id"]
    interface = only(assert_status(net.get("/ports", params={
        "device_id": router["id"], "network_id": private["id"]}), 200)["ports"])
    assert interface["fixed_ips"][0]["ip_address"] == "10.0.0.1"
    # a member of another project sees the external network, not the admin's private one
    seen = {n["name"] for n in assert_status(net.get("/networks", member.token),
                                             200)["networks"]}
    assert "public" in seen and "private" not in seen
    # the next start finds everything and makes nothing (it only reads: the collections
    # are not even built)
    monkeypatch.setattr(bootstrap, "collections", lambda *a: pytest.fail("built"))
    again = bootstrap.ensure_topology(sql, settings, admin_project_id)
    assert again.created == () and again.router_id == router["id"]
    assert again.private_subnet_id == priv_subnet["id"]
    assert len(assert_status(net.get("/networks", params={"name": "public"}),
                             200)["networks"]) == 1
    assert len(assert_status(net.get("/routers", params={"name": "router1"}),
                             200)["routers"]) == 1

"""Address groups through the API: CRUD, addresses kept as CIDRs, the add/remove actions
and their faults, rules naming a group as their remote, and visibility."""
from __future__ import annotations

from tests.functional.network.conftest import NetApi, neutron_fault
from tests.support.api import assert_status
from tests.support.identity import Member, unique


def ag(net: NetApi, token: str | None = None, **attrs: object) -> dict:
    attrs.setdefault("name", unique("ag"))
    return net.create("address-groups", "address_group", token, **attrs)


def test_create_show_update_delete(net: NetApi, member: Member) -> None:
    made = ag(net, member.token, description="d",
              addresses=["10.0.0.1", "10.0.1.7/24", "2001:db8::/64", "10.0.0.1/32"])
    assert made["addresses"] == ["10.0.0.1/32", "10.0.1.0/24", "2001:db8::/64"]
    assert made["project_id"] == made["tenant_id"] == member.project["id"]
    assert made["description"] == "d" and made["revision_number"] == 0
    shown = assert_status(net.get(f"/address-groups/{made['id']}", member.token),
                          200)["address_group"]
    assert shown == made
    changed = assert_status(net.put(f"/address-groups/{made['id']}", member.token, json={
        "address_group": {"name": "n2"}}), 200)["address_group"]
    assert changed["name"] == "n2" and changed["revision_number"] == 1
    neutron_fault(net.put(f"/address-groups/{made['id']}", member.token, json={
        "address_group": {"addresses": []}}), 400)
    assert_status(net.delete(f"/address-groups/{made['id']}", member.token), 204)
    neutron_fault(net.get(f"/address-groups/{made['id']}", member.token), 404,
                  "AddressGroupNotFound")


def test_add_and_remove_addresses(net: NetApi, member: Member) -> None:
    made = ag(net, member.token, addresses=["10.0.0.0/24"])
    url = f"/address-groups/{made['id']}"
    added = assert_status(net.put(f"{url}/add_addresses", member.token, json={
        "addresses": ["192.168.0.5", "10.1.0.0/16"]}), 200)["address_group"]
    assert added["addresses"] == ["10.0.0.0/24", "10.1.0.0/16", "192.168.0.5/32"]
    assert added["revision_number"] == 1
    neutron_fault(net.put(f"{url}/add_addresses", member.token, json={
        "addresses": ["10.0.0.9/24"]}), 400, "AddressesAlreadyExist")
    neutron_fault(net.put(f"{url}/remove_addresses", member.token, json={
        "addresses": ["172.16.0.0/12"]}), 404, "AddressesNotFound")
    neutron_fault(net.put(f"{url}/add_addresses", member.token, json={
        "addresses": ["not-an-ip"]}), 400)
    removed = assert_status(net.put(f"{url}/remove_addresses", member.token, json={
        "addresses": ["10.0.0.0/24", "192.168.0.5/32"]}), 200)["address_group"]
    assert removed["addresses"] == ["10.1.0.0/16"]


def test_rule_with_remote_address_group(net: NetApi, member: Member) -> None:
    group = net.create("security-groups", "security_group", member.token, name=unique("sg"))
    made = ag(net, member.token, addresses=["10.0.0.0/24"])
    body = {"security_group_id": group["id"], "direction": "ingress",
            "remote_address_group_id": made["id"]}
    rule = assert_status(net.post("/security-group-rules", member.token,
                                  json={"security_group_rule": body}),
                         201)["security_group_rule"]
    assert rule["remote_address_group_id"] == made["id"]
    neutron_fault(net.post("/security-group-rules", member.token, json={
        "security_group_rule": {**body, "remote_ip_prefix": "10.0.0.0/8",
                                "protocol": "tcp"}}), 400,
        "SecurityGroupMultipleRemoteEntites")
    neutron_fault(net.delete(f"/address-groups/{made['id']}", member.token), 409,
                  "AddressGroupInUse")
    assert_status(net.delete(f"/security-group-rules/{rule['id']}", member.token), 204)
    assert_status(net.delete(f"/address-groups/{made['id']}", member.token), 204)


def test_other_projects_groups_are_404(net: NetApi, member: Member,
                                       make_project_member) -> None:
    theirs = ag(net, make_project_member().token, addresses=["10.0.0.0/24"])
    neutron_fault(net.get(f"/address-groups/{theirs['id']}", member.token), 404,
                  "AddressGroupNotFound")
    neutron_fault(net.put(f"/address-groups/{theirs['id']}/add_addresses", member.token,
                          json={"addresses": ["10.9.0.0/16"]}), 404, "AddressGroupNotFound")
    listed = assert_status(net.get("/address-groups", member.token), 200)["address_groups"]
    assert theirs["id"] not in {g["id"] for g in listed}
    group = net.create("security-groups", "security_group", member.token, name=unique("sg"))
    neutron_fault(net.post("/security-group-rules", member.token, json={
        "security_group_rule": {"security_group_id": group["id"], "direction": "ingress",
                                "remote_address_group_id": theirs["id"]}}), 404,
        "AddressGroupNotFound")

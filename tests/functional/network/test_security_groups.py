"""Security groups through the API: the per-project default group (made on first list,
with Neutron's four default rules), a new group's egress rules, the default group's
protections, visibility across projects, stateful, and fault bodies."""
from __future__ import annotations

import threading
import time

import pytest

from onestack.network.service.security_groups import SecurityGroups
from tests.functional.network.conftest import NetApi, neutron_fault
from tests.support.api import assert_status
from tests.support.identity import Member, unique


def groups(net: NetApi, token: str | None = None, **params: str) -> list[dict]:
    return assert_status(net.get("/security-groups", token, params=params),
                         200)["security_groups"]


def sg(net: NetApi, token: str | None = None, **attrs: object) -> dict:
    attrs.setdefault("name", unique("sg"))
    return net.create("security-groups", "security_group", token, **attrs)


def test_first_list_makes_the_default_group_with_neutrons_rules(net: NetApi,
                                                                member: Member) -> None:
    listed = groups(net, member.token)
    assert [g["name"] for g in listed] == ["default"]
    default = listed[0]
    assert default["project_id"] == member.project["id"] == default["tenant_id"]
    assert default["description"] == "Default security group"
    assert default["stateful"] is True and default["shared"] is False
    rules = {(r["direction"], r["ethertype"], r["remote_group_id"])
             for r in default["security_group_rules"]}
    assert rules == {("ingress", "IPv4", default["id"]), ("ingress", "IPv6", default["id"]),
                     ("egress", "IPv4", None), ("egress", "IPv6", None)}
    assert all(r["belongs_to_default_sg"] for r in default["security_group_rules"])
    # a second list does not make a second one
    assert [g["id"] for g in groups(net, member.token)] == [default["id"]]


def test_create_show_update_delete(net: NetApi, member: Member) -> None:
    made = sg(net, member.token, description="web")
    assert made["stateful"] is True and made["revision_number"] == 0
    assert made["tags"] == [] and made["shared"] is False
    egress = {(r["direction"], r["ethertype"], r["remote_ip_prefix"], r["protocol"])
              for r in made["security_group_rules"]}
    assert egress == {("egress", "IPv4", None, None), ("egress", "IPv6", None, None)}
    assert all(not r["belongs_to_default_sg"] for r in made["security_group_rules"])
    # creating a group made the project's default group too
    assert {g["name"] for g in groups(net, member.token)} == {"default", made["name"]}
    shown = assert_status(net.get(f"/security-groups/{made['id']}", member.token),
                          200)["security_group"]
    assert shown == made
    changed = assert_status(net.put(f"/security-groups/{made['id']}", member.token, json={
        "security_group": {"name": "renamed", "description": "d2", "stateful": False}}),
        200)["security_group"]
    assert (changed["name"], changed["description"], changed["stateful"]) == (
        "renamed", "d2", False)
    assert changed["revision_number"] == 1
    assert_status(net.delete(f"/security-groups/{made['id']}", member.token), 204)
    neutron_fault(net.get(f"/security-groups/{made['id']}", member.token), 404,
                  "SecurityGroupNotFound")
    neutron_fault(net.delete(f"/security-groups/{made['id']}", member.token), 404,
                  "SecurityGroupNotFound")


def test_default_group_is_protected(net: NetApi, member: Member) -> None:
    default = groups(net, member.token, name="default")[0]
    neutron_fault(net.post("/security-groups", member.token,
                           json={"security_group": {"name": "default"}}), 409,
                  "SecurityGroupDefaultAlreadyExists")
    neutron_fault(net.post("/security-groups", member.token,
                           json={"security_group": {"name": "DeFault"}}), 409,
                  "SecurityGroupDefaultAlreadyExists")
    mine = sg(net, member.token)
    neutron_fault(net.put(f"/security-groups/{mine['id']}", member.token,
                          json={"security_group": {"name": "default"}}), 409,
                  "SecurityGroupDefaultAlreadyExists")
    neutron_fault(net.put(f"/security-groups/{default['id']}", member.token,
                          json={"security_group": {"name": "other"}}), 409,
                  "SecurityGroupCannotUpdateDefault")
    # its description may change
    assert_status(net.put(f"/security-groups/{default['id']}", member.token,
                          json={"security_group": {"description": "x"}}), 200)
    neutron_fault(net.delete(f"/security-groups/{default['id']}", member.token), 409,
                  "SecurityGroupCannotRemoveDefault")
    # an admin may delete it; the next list makes a new one
    assert_status(net.delete(f"/security-groups/{default['id']}"), 204)
    again = groups(net, member.token, name="default")
    assert len(again) == 1 and again[0]["id"] != default["id"]


def test_other_projects_groups_are_404(net: NetApi, member: Member,
                                       make_project_member) -> None:
    other = make_project_member()
    theirs = sg(net, other.token)
    neutron_fault(net.get(f"/security-groups/{theirs['id']}", member.token), 404,
                  "SecurityGroupNotFound")
    neutron_fault(net.put(f"/security-groups/{theirs['id']}", member.token,
                          json={"security_group": {"name": "x"}}), 404)
    neutron_fault(net.delete(f"/security-groups/{theirs['id']}", member.token), 404)
    assert theirs["id"] not in {g["id"] for g in groups(net, member.token)}
    # the admin sees every project's groups
    assert theirs["id"] in {g["id"] for g in groups(net, project_id=other.project["id"])}


def test_admin_listing_another_project_makes_its_default(net: NetApi,
                                                        make_project_member) -> None:
    other = make_project_member()
    listed = groups(net, project_id=other.project["id"])
    assert [g["name"] for g in listed] == ["default"]
    assert listed[0]["project_id"] == other.project["id"]


def test_bad_bodies_and_filters(net: NetApi, member: Member) -> None:
    neutron_fault(net.post("/security-groups", member.token,
                           json={"security_group": {"bogus": 1}}), 400)
    neutron_fault(net.post("/security-groups", member.token,
                           json={"security_group": {"stateful": "maybe"}}), 400)
    neutron_fault(net.post("/security-groups", member.token,
                           json={"security_group": {"name": "x" * 256}}), 400)
    made = sg(net, member.token)
    neutron_fault(net.put(f"/security-groups/{made['id']}", member.token,
                          json={"security_group": {"security_group_rules": []}}), 400)
    assert groups(net, member.token, shared="true") == []
    names = {g["name"] for g in groups(net, member.token, shared="false")}
    assert made["name"] in names
    only = assert_status(net.get("/security-groups", member.token,
                                 params={"fields": ["id", "name"]}), 200)["security_groups"]
    assert all(set(g) == {"id", "name"} for g in only)


def test_tags_and_if_match(net: NetApi, member: Member) -> None:
    made = sg(net, member.token)
    assert_status(net.put(f"/security-groups/{made['id']}/tags/red", member.token), 201)
    shown = assert_status(net.get(f"/security-groups/{made['id']}", member.token),
                          200)["security_group"]
    assert shown["tags"] == ["red"]
    neutron_fault(net.put(f"/security-groups/{made['id']}", member.token,
                          headers={"If-Match": "revision_number=0"},
                          json={"security_group": {"name": "n"}}), 412)
    assert {g["id"] for g in groups(net, member.token, tags="red")} == {made["id"]}


def test_quota_counts_groups(net: NetApi, member: Member) -> None:
    """With quotas served, the 11th group of a project (the default one counts) is a 409
    OverQuota."""
    aliases = {e["alias"] for e in assert_status(net.get("/extensions"), 200)["extensions"]}
    if "quotas" not in aliases:
        pytest.skip("no quotas service yet")
    for _ in range(9):
        sg(net, member.token)
    neutron_fault(net.post("/security-groups", member.token,
                           json={"security_group": {"name": "one-too-many"}}), 409,
                  "OverQuota")


def test_racing_replicas_make_one_default_group(net: NetApi, member: Member, make_api,
                                                monkeypatch) -> None:
    """Eight first lists of a project at once on two replicas: the look-up window is
    widened so that every racer misses the group and tries to make it; the unique
    default_for lets one through and the others answer with that one."""
    real = SecurityGroups.default_id_of

    def slow(self, s, project_id):
        found = real(self, s, project_id)
        time.sleep(0.1)
        return found
    monkeypatch.setattr(SecurityGroups, "default_id_of", slow)
    replicas = [NetApi(make_api(), net.admin) for _ in range(2)]
    seen: list[object] = []
    barrier = threading.Barrier(8)

    def first_list(n: int) -> None:
        barrier.wait()
        r = replicas[n % 2].get("/security-groups", member.token)
        seen.append(r.status_code == 200 and
                    [g["id"] for g in r.json()["security_groups"] if g["name"] == "default"])
    threads = [threading.Thread(target=first_list, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    monkeypatch.setattr(SecurityGroups, "default_id_of", real)
    defaults = [g["id"] for g in groups(net, member.token) if g["name"] == "default"]
    assert len(defaults) == 1
    assert seen == [defaults] * 8, seen


def test_group_in_use_by_a_port(net: NetApi, member: Member) -> None:
    network = net.network(member.token)
    group = sg(net, member.token)
    port = net.create("ports", "port", member.token, network_id=network["id"],
                      security_groups=[group["id"]])
    assert port["security_groups"] == [group["id"]]
    neutron_fault(net.delete(f"/security-groups/{group['id']}", member.token), 409,
                  "SecurityGroupInUse")
    neutron_fault(net.put(f"/security-groups/{group['id']}", member.token,
                          json={"security_group": {"stateful": False}}), 409,
                  "SecurityGroupInUse")
    # a name change is fine while in use
    assert_status(net.put(f"/security-groups/{group['id']}", member.token,
                          json={"security_group": {"name": "still-used"}}), 200)
    # a port without groups gets the project's default group
    plain = net.create("ports", "port", member.token, network_id=network["id"])
    default = groups(net, member.token, name="default")[0]
    assert plain["security_groups"] == [default["id"]]
    assert_status(net.delete(f"/ports/{port['id']}", member.token), 204)
    assert_status(net.delete(f"/security-groups/{group['id']}", member.token), 204)


def test_a_port_cannot_mix_stateful_and_stateless_groups(net: NetApi, member: Member) -> None:
    network = net.network(member.token)
    stateful, stateless = sg(net, member.token), sg(net, member.token, stateful=False)
    assert stateless["stateful"] is False
    neutron_fault(net.post("/ports", member.token, json={"port": {
        "network_id": network["id"], "security_groups": [stateful["id"], stateless["id"]]}}),
        409, "SecurityGroupConflict")
    port = net.create("ports", "port", member.token, network_id=network["id"],
                      security_groups=[stateless["id"]])
    neutron_fault(net.put(f"/ports/{port['id']}", member.token, json={"port": {
        "security_groups": [stateless["id"], stateful["id"]]}}), 409, "SecurityGroupConflict")


def test_port_with_another_projects_group_is_404(net: NetApi, member: Member,
                                                 make_project_member) -> None:
    network = net.network(member.token)
    theirs = sg(net, make_project_member().token)
    neutron_fault(net.post("/ports", member.token, json={"port": {
        "network_id": network["id"], "security_groups": [theirs["id"]]}}), 404,
        "SecurityGroupNotFound")


def test_a_member_listing_another_project_makes_no_group_there(
        net: NetApi, member: Member, make_project_member) -> None:
    other = make_project_member()
    assert groups(net, member.token, project_id=other.project["id"]) == []
    rules = assert_status(net.get("/security-group-rules", member.token, params={
        "project_id": other.project["id"]}), 200)["security_group_rules"]
    assert rules == []
    # (an admin list filtered by the project would make it: list them all)
    assert other.project["id"] not in {g["project_id"] for g in groups(net, name="default")}


def test_a_group_shared_by_rbac(net: NetApi, member: Member, make_project_member) -> None:
    other = make_project_member()
    group = sg(net, member.token)
    assert_status(net.post("/rbac-policies", member.token, json={"rbac_policy": {
        "object_type": "security_group", "object_id": group["id"],
        "action": "access_as_shared", "target_tenant": other.project["id"]}}), 201)
    seen = assert_status(net.get(f"/security-groups/{group['id']}", other.token),
                         200)["security_group"]
    assert seen["shared"] is True
    assert assert_status(net.get(f"/security-groups/{group['id']}", member.token),
                         200)["security_group"]["shared"] is False
    assert [g["id"] for g in groups(net, other.token, shared="true")] == [group["id"]]
    assert group["id"] not in {g["id"] for g in groups(net, other.token, shared="false")}
    assert group["id"] in {g["id"] for g in groups(net, other.token)}
    # the sharer's own list: the group is its own, not shared with it
    assert group["id"] not in {g["id"] for g in groups(net, member.token, shared="true")}
    rules = assert_status(net.get("/security-group-rules", other.token, params={
        "security_group_id": group["id"]}), 200)["security_group_rules"]
    assert len(rules) == 2
    network = net.network(other.token)
    port = net.create("ports", "port", other.token, network_id=network["id"],
                      security_groups=[group["id"]])
    assert port["security_groups"] == [group["id"]]

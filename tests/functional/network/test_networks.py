"""Networks through the API: CRUD, visibility across projects, list conventions (filters,
fields, sorting, pagination), revisions with If-Match, tags and fault bodies."""
from __future__ import annotations

from tests.functional.network.conftest import NetApi, neutron_fault
from tests.support.api import assert_status
from tests.support.identity import Member, unique


def test_create_show_update_delete(net: NetApi) -> None:
    made = net.network(description="d")
    assert made["status"] == "ACTIVE" and made["admin_state_up"] is True
    assert made["project_id"] == made["tenant_id"] and made["revision_number"] == 0
    assert made["subnets"] == [] and made["mtu"] == 1450 and made["tags"] == []  # vxlan
    assert made["created_at"].endswith("Z")
    shown = assert_status(net.get(f"/networks/{made['id']}"), 200)["network"]
    assert shown == made
    changed = assert_status(net.put(f"/networks/{made['id']}",
                                    json={"network": {"name": "renamed"}}), 200)["network"]
    assert changed["name"] == "renamed" and changed["revision_number"] == 1
    assert_status(net.delete(f"/networks/{made['id']}"), 204)
    neutron_fault(net.get(f"/networks/{made['id']}"), 404, "NetworkNotFound")


def test_bad_bodies_are_neutron_400s(net: NetApi) -> None:
    neutron_fault(net.post("/networks", json={"network": {"bogus": 1}}), 400)
    neutron_fault(net.post("/networks", json={"network": {"status": "DOWN"}}), 400)
    neutron_fault(net.post("/networks", json={"network": {"admin_state_up": "maybe"}}), 400,
                  "InvalidInput")
    neutron_fault(net.post("/networks", json={"nope": {}}), 400)
    made = net.network()
    neutron_fault(net.put(f"/networks/{made['id']}", json={"network": {"id": "x"}}), 400)


def test_other_projects_network_is_404_and_shared_is_visible(net: NetApi,
                                                            member: Member) -> None:
    private = net.network()
    shared = net.network(shared=True)
    neutron_fault(net.get(f"/networks/{private['id']}", member.token), 404,
                  "NetworkNotFound")
    neutron_fault(net.delete(f"/networks/{private['id']}", member.token), 404)
    assert assert_status(net.get(f"/networks/{shared['id']}", member.token), 200)
    # visible but not theirs: a forbidden change is 403
    neutron_fault(net.put(f"/networks/{shared['id']}", member.token,
                          json={"network": {"name": "x"}}), 403)
    listed = {n["id"] for n in assert_status(net.get("/networks", member.token),
                                             200)["networks"]}
    assert shared["id"] in listed and private["id"] not in listed


def test_member_cannot_set_admin_only_attributes(net: NetApi, member: Member) -> None:
    neutron_fault(net.post("/networks", member.token, json={"network": {"shared": True}}),
                  403)
    mine = net.network(member.token)
    assert "provider:network_type" not in mine
    admin_view = assert_status(net.get(f"/networks/{mine['id']}"), 200)["network"]
    assert "provider:network_type" in admin_view
    neutron_fault(net.post("/networks", member.token,
                           json={"network": {"project_id": "someone-else"}}), 403)


def test_filters_fields_sorting_and_pages(net: NetApi) -> None:
    tag = unique("grp")
    made = [net.network(name=f"{tag}-{i}", description=tag) for i in range(5)]
    ids = sorted(m["id"] for m in made)
    listed = assert_status(net.get("/networks", params={"description": tag}), 200)
    assert sorted(n["id"] for n in listed["networks"]) == ids
    only = assert_status(net.get("/networks", params={"description": tag,
                                                      "fields": ["id", "name"]}), 200)
    assert all(set(n) == {"id", "name"} for n in only["networks"])
    by_name = assert_status(net.get("/networks", params={
        "description": tag, "sort_key": "name", "sort_dir": "desc"}), 200)["networks"]
    assert [n["name"] for n in by_name] == [f"{tag}-{i}" for i in range(4, -1, -1)]
    seen, params = [], {"description": tag, "limit": 2, "sort_key": "name",
                        "sort_dir": "asc"}
    page = assert_status(net.get("/networks", params=params), 200)
    while True:
        seen += [n["name"] for n in page["networks"]]
        nxt = [link for link in page.get("networks_links", []) if link["rel"] == "next"]
        if not nxt:
            break
        page = assert_status(net.api.http.get(nxt[0]["href"],
                                              headers={"X-Auth-Token": net.admin}), 200)
    assert seen == [f"{tag}-{i}" for i in range(5)]
    neutron_fault(net.get("/networks", params={"no_such_attr": "x"}), 400)
    neutron_fault(net.get("/networks", params={"sort_key": "bogus", "sort_dir": "asc"}), 400)
    shared = assert_status(net.get("/networks", params={"description": tag,
                                                        "shared": "true"}), 200)
    assert shared["networks"] == []


def test_if_match_revision(net: NetApi) -> None:
    made = net.network()
    neutron_fault(net.put(f"/networks/{made['id']}", json={"network": {"name": "a"}},
                          headers={"If-Match": "revision_number=7"}), 412,
                  "RevisionNumberConstraintFailed")
    assert_status(net.put(f"/networks/{made['id']}", json={"network": {"name": "a"}},
                          headers={"If-Match": "revision_number=0"}), 200)
    neutron_fault(net.delete(f"/networks/{made['id']}",
                             headers={"If-Match": "revision_number=0"}), 412)
    assert_status(net.delete(f"/networks/{made['id']}",
                             headers={"If-Match": "revision_number=1"}), 204)


def test_tags(net: NetApi) -> None:
    made = net.network()
    path = f"/networks/{made['id']}/tags"
    assert assert_status(net.put(path, json={"tags": ["b", "a"]}), 200)["tags"] == ["a", "b"]
    assert net.put(f"{path}/c").status_code == 201
    assert net.get(f"{path}/c").status_code == 204
    neutron_fault(net.get(f"{path}/zz"), 404)
    assert_status(net.delete(f"{path}/a"), 204)
    shown = assert_status(net.get(f"/networks/{made['id']}"), 200)["network"]
    assert shown["tags"] == ["b", "c"] and shown["revision_number"] >= 2
    tagged = assert_status(net.get("/networks", params={"tags": "b,c"}), 200)["networks"]
    assert [n["id"] for n in tagged] == [made["id"]]
    assert made["id"] not in {n["id"] for n in assert_status(
        net.get("/networks", params={"not-tags-any": "c"}), 200)["networks"]}
    assert_status(net.delete(path), 204)
    assert assert_status(net.get(path), 200)["tags"] == []


def test_bulk_create_is_all_or_nothing(net: NetApi) -> None:
    name = unique("bulk")
    made = assert_status(net.post("/networks", json={"networks": [
        {"name": name}, {"name": name}]}), 201)["networks"]
    assert len(made) == 2
    neutron_fault(net.post("/networks", json={"networks": [
        {"name": name + "x"}, {"name": name + "x", "bogus": 1}]}), 400)
    assert assert_status(net.get("/networks", params={"name": name + "x"}),
                         200)["networks"] == []


def test_versions_and_extensions(net: NetApi) -> None:
    versions = net.http.get("/network/")
    assert versions.status_code == 200
    assert versions.json()["versions"][0]["id"] == "v2.0"
    aliases = {e["alias"] for e in assert_status(net.get("/extensions"), 200)["extensions"]}
    assert {"external-net", "standard-attr-tag"} <= aliases
    assert assert_status(net.get("/extensions/external-net"), 200)["extension"]["alias"] \
        == "external-net"
    neutron_fault(net.get("/extensions/nope"), 404)

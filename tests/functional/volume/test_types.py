"""Volume types through the API: create/show/list/update/delete (admin), what readers see
(extra specs trimmed, private types hidden), type access, the ``default`` type, and the
in-use and default-type refusals."""
from __future__ import annotations

import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.functional.volume.conftest import VolApi, cinder_fault
from tests.support.api import assert_status
from tests.support.identity import Member, unique

ADMIN_SHOW = {"id", "name", "description", "is_public", "extra_specs", "qos_specs_id",
              "os-volume-type-access:is_public"}
MEMBER_SHOW = {"id", "name", "description", "is_public", "extra_specs",
               "os-volume-type-access:is_public"}


def make_type(vol: VolApi, **attrs: Any) -> dict[str, Any]:
    attrs.setdefault("name", unique("vt"))
    return assert_status(vol.post("/types", json={"volume_type": attrs}), 200)["volume_type"]


def test_create_answers_the_legacy_view_with_the_access_flag(vol: VolApi) -> None:
    body = make_type(vol, description="d", extra_specs={"a": "1", "b/c d": None},
                     **{"os-volume-type-access:is_public": False})
    assert set(body) == {"id", "name", "description", "is_public", "extra_specs",
                         "os-volume-type-access:is_public"}
    assert (body["is_public"], body["os-volume-type-access:is_public"], body["description"]) \
        == (False, False, "d")
    assert body["extra_specs"] == {"a": "1", "b/c d": None}
    uuid.UUID(body["id"])


def test_show_as_admin_has_qos_specs_id_and_every_spec(vol: VolApi) -> None:
    t = make_type(vol, extra_specs={"secret_key": "x", "multiattach": "<is> True"})
    shown = assert_status(vol.get(f"/types/{t['id']}"), 200)["volume_type"]
    assert set(shown) == ADMIN_SHOW
    assert shown["extra_specs"] == {"secret_key": "x", "multiattach": "<is> True"}
    assert shown["qos_specs_id"] is None


def test_a_member_sees_only_user_visible_specs_and_no_qos_id(vol: VolApi,
                                                              member: Member) -> None:
    t = make_type(vol, extra_specs={"volume_backend_name": "file", "multiattach": "<is> True",
                                    "replication_enabled": "<is> False"})
    shown = assert_status(vol.get(f"/types/{t['id']}", member.token), 200)["volume_type"]
    assert set(shown) == MEMBER_SHOW
    assert shown["extra_specs"] == {"multiattach": "<is> True",
                                    "replication_enabled": "<is> False"}
    specs = assert_status(vol.get(f"/types/{t['id']}/extra_specs", member.token), 200)
    assert specs == {"extra_specs": {"multiattach": "<is> True",
                                     "replication_enabled": "<is> False"}}
    cinder_fault(vol.get(f"/types/{t['id']}/extra_specs/volume_backend_name", member.token),
                 404, "has no extra specs with key volume_backend_name")


def test_create_is_admin_only(vol: VolApi, member: Member) -> None:
    cinder_fault(vol.post("/types", member.token, json={"volume_type": {"name": unique()}}),
                 403, "volume_extension:type_create")


def test_bad_create_bodies_are_400(vol: VolApi) -> None:
    for body in ({"volume_type": {"name": ""}}, {"volume_type": {"name": "   "}},
                 {"volume_type": {}}, {"volume_type": {"name": "x", "bogus": 1}},
                 {"volume_type": {"name": "x", "extra_specs": ["a"]}},
                 {"volume_type": {"name": "x", "os-volume-type-access:is_public": "maybe"}},
                 {"volume_type": {"name": "x" * 256}}, {"nothing": {}}, [1]):
        cinder_fault(vol.post("/types", json=body), 400)


def test_duplicate_name_is_409(vol: VolApi) -> None:
    t = make_type(vol)
    cinder_fault(vol.post("/types", json={"volume_type": {"name": t["name"]}}), 409,
                 f"Volume Type {t['name']} already exists.")
    other = make_type(vol)
    cinder_fault(vol.put(f"/types/{other['id']}", json={"volume_type": {"name": t["name"]}}),
                 409)


def test_unknown_type_is_404_everywhere(vol: VolApi) -> None:
    ghost = str(uuid.uuid4())
    message = f"Volume type {ghost} could not be found."
    cinder_fault(vol.get(f"/types/{ghost}"), 404, message)
    cinder_fault(vol.delete(f"/types/{ghost}"), 404, message)
    cinder_fault(vol.put(f"/types/{ghost}", json={"volume_type": {"description": "x"}}), 404)
    cinder_fault(vol.get(f"/types/{ghost}/extra_specs"), 404)
    cinder_fault(vol.post(f"/types/{ghost}/extra_specs", json={"extra_specs": {"a": "b"}}),
                 404)
    cinder_fault(vol.put(f"/types/{ghost}/extra_specs/a", json={"a": "b"}), 404)
    cinder_fault(vol.delete(f"/types/{ghost}/extra_specs/a"), 404)
    cinder_fault(vol.get(f"/types/{ghost}/encryption"), 404)


def test_update_changes_name_description_and_visibility(vol: VolApi) -> None:
    t = make_type(vol)
    new = unique("renamed")
    body = assert_status(vol.put(f"/types/{t['id']}", json={"volume_type": {
        "name": new, "description": "dd", "is_public": False}}), 200)["volume_type"]
    assert set(body) == {"id", "name", "description", "is_public", "extra_specs"}
    assert (body["name"], body["description"], body["is_public"]) == (new, "dd", False)
    shown = assert_status(vol.get(f"/types/{t['id']}"), 200)["volume_type"]
    assert (shown["name"], shown["description"], shown["is_public"]) == (new, "dd", False)


def test_update_needs_something_and_a_non_blank_name(vol: VolApi) -> None:
    t = make_type(vol)
    cinder_fault(vol.put(f"/types/{t['id']}", json={"volume_type": {}}), 400,
                 "Specify volume type name, description, is_public or a combination")
    cinder_fault(vol.put(f"/types/{t['id']}", json={"volume_type": {"name": "  "}}), 400,
                 "Volume type name can not be empty.")


def test_private_types_are_hidden_from_other_projects(vol: VolApi, member: Member) -> None:
    t = make_type(vol, **{"os-volume-type-access:is_public": False})
    cinder_fault(vol.get(f"/types/{t['id']}", member.token), 404)
    listed = assert_status(vol.get("/types", member.token), 200)["volume_types"]
    assert t["id"] not in [x["id"] for x in listed]
    assert_status(vol.post(f"/types/{t['id']}/action", json={
        "addProjectAccess": {"project": member.project["id"]}}), 202)
    assert assert_status(vol.get(f"/types/{t['id']}", member.token), 200)
    listed = assert_status(vol.get("/types", member.token), 200)["volume_types"]
    assert t["id"] in [x["id"] for x in listed]
    access = assert_status(vol.get(f"/types/{t['id']}/os-volume-type-access"), 200)
    assert access == {"volume_type_access": [{"volume_type_id": t["id"],
                                              "project_id": member.project["id"]}]}
    cinder_fault(vol.post(f"/types/{t['id']}/action", json={
        "addProjectAccess": {"project": member.project["id"]}}), 409)
    assert_status(vol.post(f"/types/{t['id']}/action", json={
        "removeProjectAccess": {"project": member.project["id"]}}), 202)
    cinder_fault(vol.get(f"/types/{t['id']}", member.token), 404)
    cinder_fault(vol.post(f"/types/{t['id']}/action", json={
        "removeProjectAccess": {"project": member.project["id"]}}), 404,
        "Volume type access not found")


def test_access_on_public_types_is_refused(vol: VolApi) -> None:
    t = make_type(vol)
    cinder_fault(vol.get(f"/types/{t['id']}/os-volume-type-access"), 404,
                 "Access list not available for public volume types.")
    cinder_fault(vol.post(f"/types/{t['id']}/action", json={
        "addProjectAccess": {"project": "p"}}), 400, "not applicable to public volume type")
    cinder_fault(vol.post(f"/types/{t['id']}/action", json={"dance": {}}), 400,
                 "There is no such action: dance")


def test_access_actions_are_admin_only(vol: VolApi, member: Member) -> None:
    t = make_type(vol, **{"os-volume-type-access:is_public": False})
    cinder_fault(vol.post(f"/types/{t['id']}/action", member.token, json={
        "addProjectAccess": {"project": member.project["id"]}}), 403)
    cinder_fault(vol.get(f"/types/{t['id']}/os-volume-type-access", member.token), 403)


def test_list_filters_is_public_for_admins(vol: VolApi) -> None:
    public, private = make_type(vol), make_type(
        vol, **{"os-volume-type-access:is_public": False})
    default_ids = ids(vol.get("/types"))
    assert public["id"] in default_ids and private["id"] not in default_ids
    assert private["id"] in ids(vol.get("/types?is_public=false"))
    assert public["id"] not in ids(vol.get("/types?is_public=false"))
    both = ids(vol.get("/types?is_public=None"))
    assert {public["id"], private["id"]} <= set(both)
    cinder_fault(vol.get("/types?is_public=sometimes"), 400, "Invalid is_public filter")


def test_list_filters_by_extra_specs(vol: VolApi, member: Member) -> None:
    tag = unique("az")
    hit = make_type(vol, extra_specs={"RESKEY:availability_zones": f"{tag},other",
                                      "backend_tag": tag})
    make_type(vol, extra_specs={"backend_tag": "no"})
    found = ids(vol.get(f"/types?extra_specs={{'backend_tag':'{tag}'}}"))
    assert found == [hit["id"]]
    # a member may filter by user-visible specs from 3.52 (a like match on zones) …
    found = ids(vol.get(f"/types?extra_specs={{'RESKEY:availability_zones':'{tag}'}}",
                        member.token, version="3.52"))
    assert found == [hit["id"]]
    # … and finds nothing through a sensitive one
    assert ids(vol.get(f"/types?extra_specs={{'backend_tag':'{tag}'}}", member.token,
                       version="3.52")) == []
    cinder_fault(vol.get("/types?color=red", member.token, version="3.52"), 400,
                 "Invalid filters color are found in query options.")
    # before 3.52 a member's other filters are dropped
    assert ids(vol.get("/types?color=red", member.token))


def test_list_pages_with_marker_limit_and_next_link(vol: VolApi) -> None:
    made = [make_type(vol, description="pg") for _ in range(3)]
    first = assert_status(vol.get("/types?description=pg&sort=name:asc&limit=2"), 200)
    names = sorted(t["name"] for t in made)
    got = [t["name"] for t in first["volume_types"]]
    assert got == sorted(got) and len(got) == 2
    link = first["volume_type_links"][0]
    assert link["rel"] == "next" and "marker=" in link["href"]
    marker = first["volume_types"][-1]["id"]
    rest = assert_status(vol.get(f"/types?description=pg&sort=name:asc&marker={marker}"),
                         200)["volume_types"]
    assert set(got + [t["name"] for t in rest]) >= set(names)
    assert "volume_type_links" not in rest
    cinder_fault(vol.get(f"/types?marker={uuid.uuid4()}"), 404)
    cinder_fault(vol.get("/types?sort=bogus"), 400)
    cinder_fault(vol.get("/types?limit=-1"), 400)


def test_show_default_is_the_default_type_or_the_projects_choice(
        vol: VolApi, member: Member) -> None:
    shown = assert_status(vol.get("/types/default", member.token), 200)["volume_type"]
    assert shown["name"] == "__DEFAULT__"
    chosen = make_type(vol)
    assert_status(vol.put(f"/default-types/{member.project['id']}", version="3.62",
                          json={"default_type": {"volume_type": chosen["name"]}}), 200)
    shown = assert_status(vol.get("/types/default", member.token), 200)["volume_type"]
    assert shown["id"] == chosen["id"]


def test_delete_refuses_the_default_and_types_in_use(vol: VolApi, member: Member) -> None:
    default = assert_status(vol.get("/types/default"), 200)["volume_type"]
    cinder_fault(vol.delete(f"/types/{default['id']}"), 400,
                 "is a default volume type and cannot be deleted")
    project_default = make_type(vol)
    assert_status(vol.put(f"/default-types/{member.project['id']}", version="3.62",
                          json={"default_type": {"volume_type": project_default["id"]}}), 200)
    cinder_fault(vol.delete(f"/types/{project_default['id']}"), 400, "default volume type")
    used = make_type(vol)
    v = vol.volume(volume_type=used["id"])
    cinder_fault(vol.delete(f"/types/{used['id']}"), 400, "Target volume type is still in use.")
    cinder_fault(vol.post(f"/types/{used['id']}/extra_specs", json={"extra_specs": {
        "a": "b"}}), 400, "Volume Type is currently in use.")
    assert v["volume_type"] == used["name"]


def test_delete_removes_the_type_and_its_specs(vol: VolApi, member: Member) -> None:
    t = make_type(vol, extra_specs={"k": "v"}, **{"os-volume-type-access:is_public": False})
    assert_status(vol.post(f"/types/{t['id']}/action", json={
        "addProjectAccess": {"project": member.project["id"]}}), 202)
    assert_status(vol.delete(f"/types/{t['id']}"), 202)
    cinder_fault(vol.get(f"/types/{t['id']}"), 404)
    assert t["id"] not in ids(vol.get("/types?is_public=none"))
    cinder_fault(vol.delete(f"/types/{t['id']}", member.token), 403)


def test_project_url_form_works_and_checks_the_project(vol: VolApi, member: Member) -> None:
    pid = member.project["id"]
    assert_status(vol.get(f"/{pid}/types", member.token), 200)
    cinder_fault(vol.get(f"/{uuid.uuid4().hex}/types", member.token), 400)


def test_concurrent_creates_of_one_name_make_one_type(vol: VolApi) -> None:
    name = unique("race")

    def create(_: int) -> int:
        return vol.post("/types", json={"volume_type": {"name": name}}).status_code

    with ThreadPoolExecutor(8) as pool:
        results = Counter(pool.map(create, range(8)))
    assert results == Counter({200: 1, 409: 7}), results
    assert [t["name"] for t in assert_status(vol.get(f"/types?name={name}"), 200)[
        "volume_types"]] == [name]


def test_concurrent_access_grants_make_one_entry(vol: VolApi, member: Member) -> None:
    t = make_type(vol, **{"os-volume-type-access:is_public": False})

    def grant(_: int) -> int:
        return vol.post(f"/types/{t['id']}/action", json={
            "addProjectAccess": {"project": member.project["id"]}}).status_code

    with ThreadPoolExecutor(8) as pool:
        results = Counter(pool.map(grant, range(8)))
    assert results == Counter({202: 1, 409: 7}), results
    access = assert_status(vol.get(f"/types/{t['id']}/os-volume-type-access"), 200)
    assert len(access["volume_type_access"]) == 1


def ids(response: Any) -> list[str]:
    return [t["id"] for t in assert_status(response, 200)["volume_types"]]


def test_a_type_a_group_names_cannot_be_deleted(vol: VolApi, member: Member) -> None:
    t = make_type(vol)
    group_type = assert_status(vol.post("/group_types", version="3.13", json={
        "group_type": {"name": unique("gt")}}), 202)["group_type"]
    assert_status(vol.post("/groups", member.token, version="3.13", json={"group": {
        "name": unique("grp"), "group_type": group_type["id"], "volume_types": [t["id"]]}}),
        202)
    cinder_fault(vol.delete(f"/types/{t['id']}"), 400, "Target volume type is still in use.")


def test_renaming_a_type_renames_its_per_type_quotas(vol: VolApi, member: Member) -> None:
    t = make_type(vol)
    pid = member.project["id"]
    assert_status(vol.put(f"/os-quota-sets/{pid}", json={"quota_set": {
        f"volumes_{t['name']}": 3}}), 200)
    new = unique("renamed")
    assert_status(vol.put(f"/types/{t['id']}", json={"volume_type": {"name": new}}), 200)
    found = assert_status(vol.get(f"/os-quota-sets/{pid}"), 200)["quota_set"]
    assert found[f"volumes_{new}"] == 3
    assert f"volumes_{t['name']}" not in found

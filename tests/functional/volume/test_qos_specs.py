"""QoS specs through the API: create (consumer default and check), show, list, set and
unset keys, associations with types, delete with and without ``force``; admin only."""
from __future__ import annotations

import uuid
from typing import Any

from tests.functional.volume.conftest import VolApi, cinder_fault
from tests.functional.volume.test_types import make_type
from tests.support.api import assert_status
from tests.support.identity import Member, unique


def make_qos(vol: VolApi, **specs: Any) -> dict[str, Any]:
    specs.setdefault("name", unique("qos"))
    body = assert_status(vol.post("/qos-specs", json={"qos_specs": specs}), 200)
    assert set(body) == {"qos_specs", "links"}
    assert body["links"][0]["rel"] == "self"
    assert body["links"][0]["href"].endswith(f"/qos-specs/{body['qos_specs']['id']}")
    return body["qos_specs"]


def test_create_show_and_list(vol: VolApi) -> None:
    q = make_qos(vol, consumer="front-end", read_iops_sec="2000")
    assert set(q) == {"id", "name", "consumer", "specs"}
    assert (q["consumer"], q["specs"]) == ("front-end", {"read_iops_sec": "2000"})
    shown = assert_status(vol.get(f"/qos-specs/{q['id']}"), 200)
    assert shown["qos_specs"] == q
    assert q in assert_status(vol.get("/qos-specs"), 200)["qos_specs"]
    assert make_qos(vol)["consumer"] == "back-end"
    assert make_qos(vol, consumer="both")["consumer"] == "both"


def test_create_refuses_bad_consumer_duplicate_and_blank_names(vol: VolApi) -> None:
    cinder_fault(vol.post("/qos-specs", json={"qos_specs": {"name": unique(),
                                                            "consumer": "sideways"}}), 400,
                 "Valid consumer of QoS specs are")
    q = make_qos(vol)
    cinder_fault(vol.post("/qos-specs", json={"qos_specs": {"name": q["name"]}}), 409,
                 f"QoS Specs {q['name']} already exists.")
    cinder_fault(vol.post("/qos-specs", json={"qos_specs": {"name": "  "}}), 400)
    cinder_fault(vol.post("/qos-specs", json={"qos_specs": {}}), 400)
    cinder_fault(vol.post("/qos-specs", json={"qos_specs": {"name": unique(), "k": 5}}), 400)


def test_set_and_unset_keys(vol: VolApi) -> None:
    q = make_qos(vol, read_iops_sec="2000")
    assert assert_status(vol.put(f"/qos-specs/{q['id']}", json={
        "qos_specs": {"iops_bytes": "500"}}), 200) == {"qos_specs": {"iops_bytes": "500"}}
    specs = assert_status(vol.get(f"/qos-specs/{q['id']}"), 200)["qos_specs"]["specs"]
    assert specs == {"read_iops_sec": "2000", "iops_bytes": "500"}
    assert_status(vol.put(f"/qos-specs/{q['id']}/delete_keys", json={
        "keys": ["iops_bytes"]}), 202)
    specs = assert_status(vol.get(f"/qos-specs/{q['id']}"), 200)["qos_specs"]["specs"]
    assert specs == {"read_iops_sec": "2000"}
    cinder_fault(vol.put(f"/qos-specs/{q['id']}/delete_keys", json={"keys": ["nope"]}), 404,
                 f"QoS spec {q['id']} has no spec with key nope.")
    assert_status(vol.put(f"/qos-specs/{q['id']}", json={"qos_specs": {
        "consumer": "front-end"}}), 200)
    assert assert_status(vol.get(f"/qos-specs/{q['id']}"), 200)["qos_specs"]["consumer"] == \
        "front-end"


def test_associate_disassociate_and_the_types_view(vol: VolApi) -> None:
    q = make_qos(vol)
    types = [make_type(vol) for _ in range(3)]
    for t in types:
        assert_status(vol.get(f"/qos-specs/{q['id']}/associate?vol_type_id={t['id']}"), 202)
    found = assert_status(vol.get(f"/qos-specs/{q['id']}/associations"), 200)
    assert sorted(a["id"] for a in found["qos_associations"]) == sorted(t["id"] for t in types)
    assert {a["association_type"] for a in found["qos_associations"]} == {"volume_type"}
    shown = assert_status(vol.get(f"/types/{types[0]['id']}"), 200)["volume_type"]
    assert shown["qos_specs_id"] == q["id"]
    other = make_qos(vol)
    cinder_fault(vol.get(f"/qos-specs/{other['id']}/associate?vol_type_id={types[0]['id']}"),
                 400, "is already associated with another qos specs")
    assert_status(vol.get(f"/qos-specs/{q['id']}/disassociate?vol_type_id={types[0]['id']}"),
                  202)
    left = assert_status(vol.get(f"/qos-specs/{q['id']}/associations"), 200)
    assert types[0]["id"] not in [a["id"] for a in left["qos_associations"]]
    assert_status(vol.get(f"/qos-specs/{q['id']}/disassociate_all"), 202)
    assert assert_status(vol.get(f"/qos-specs/{q['id']}/associations"), 200) == \
        {"qos_associations": []}
    cinder_fault(vol.get(f"/qos-specs/{q['id']}/associate"), 400,
                 "Volume Type id must not be None.")
    cinder_fault(vol.get(f"/qos-specs/{q['id']}/associate?vol_type_id={uuid.uuid4()}"), 404)


def test_delete_in_use_needs_force(vol: VolApi) -> None:
    q = make_qos(vol)
    t = make_type(vol)
    assert_status(vol.get(f"/qos-specs/{q['id']}/associate?vol_type_id={t['id']}"), 202)
    cinder_fault(vol.delete(f"/qos-specs/{q['id']}"), 400, "Qos specs still in use.")
    cinder_fault(vol.delete(f"/qos-specs/{q['id']}?force=perhaps"), 400)
    assert_status(vol.delete(f"/qos-specs/{q['id']}?force=True"), 202)
    cinder_fault(vol.get(f"/qos-specs/{q['id']}"), 404, f"No such QoS spec {q['id']}.")
    assert assert_status(vol.get(f"/types/{t['id']}"), 200)["volume_type"]["qos_specs_id"] \
        is None
    cinder_fault(vol.delete(f"/qos-specs/{q['id']}"), 404)


def test_qos_specs_are_admin_only(vol: VolApi, member: Member) -> None:
    q = make_qos(vol)
    cinder_fault(vol.get("/qos-specs", member.token), 403)
    cinder_fault(vol.get(f"/qos-specs/{q['id']}", member.token), 403)
    cinder_fault(vol.post("/qos-specs", member.token, json={"qos_specs": {"name": "x"}}), 403)
    cinder_fault(vol.delete(f"/qos-specs/{q['id']}", member.token), 403)


def test_list_pages(vol: VolApi) -> None:
    for _ in range(3):
        make_qos(vol)
    page = assert_status(vol.get("/qos-specs?limit=2&sort=name:asc"), 200)
    assert len(page["qos_specs"]) == 2 and page["qos_specs_links"][0]["rel"] == "next"
    marker = page["qos_specs"][-1]["id"]
    rest = assert_status(vol.get(f"/qos-specs?sort=name:asc&marker={marker}"), 200)
    assert marker not in [q["id"] for q in rest["qos_specs"]]
    names = [q["name"] for q in page["qos_specs"] + rest["qos_specs"]]
    assert names == sorted(names)

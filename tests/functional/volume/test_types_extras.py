"""A type's extra specs and encryption through the API, and the 3.62 default types."""
from __future__ import annotations

import uuid

from tests.functional.volume.conftest import VolApi, cinder_fault
from tests.functional.volume.test_types import make_type
from tests.support.api import assert_status
from tests.support.identity import Member

ENCRYPTION = {"provider": "LuksEncryptor", "key_size": 256, "cipher": "aes-xts-plain64",
              "control_location": "front-end"}


# --- extra specs ----------------------------------------------------------------------
def test_extra_specs_create_update_show_delete(vol: VolApi) -> None:
    t = make_type(vol)
    base = f"/types/{t['id']}/extra_specs"
    assert assert_status(vol.post(base, json={"extra_specs": {"spec1": "val1"}}), 200) == \
        {"extra_specs": {"spec1": "val1"}}
    assert assert_status(vol.put(f"{base}/spec1", json={"spec1": "val2"}), 200) == \
        {"spec1": "val2"}
    assert assert_status(vol.get(f"{base}/spec1"), 200) == {"spec1": "val2"}
    assert_status(vol.post(base, json={"extra_specs": {"spec1": "val3", "spec4": "v4"}}), 200)
    assert assert_status(vol.get(base), 200) == {"extra_specs": {"spec1": "val3",
                                                                 "spec4": "v4"}}
    assert_status(vol.delete(f"{base}/spec1"), 202)
    cinder_fault(vol.get(f"{base}/spec1"), 404,
                 f"Volume Type {t['id']} has no extra specs with key spec1.")
    cinder_fault(vol.delete(f"{base}/spec1"), 404)


def test_extra_spec_update_needs_one_matching_key(vol: VolApi) -> None:
    t = make_type(vol, extra_specs={"spec1": "v"})
    base = f"/types/{t['id']}/extra_specs"
    cinder_fault(vol.put(f"{base}/spec1", content=b""), 400)
    cinder_fault(vol.put(f"{base}/other", json={"spec1": "x"}), 400,
                 "Request body and URI mismatch")
    cinder_fault(vol.put(f"{base}/spec1", json={"spec1": "x", "spec2": "y"}), 400)
    cinder_fault(vol.post(base, content=b""), 400)
    cinder_fault(vol.post(base, json={"extra_specs": ["invalid"]}), 400)
    cinder_fault(vol.post(base, json={"extra_specs": {"bad key": "x"}}), 400)


def test_cacheable_and_multiattach_do_not_mix(vol: VolApi) -> None:
    t = make_type(vol, extra_specs={"multiattach": "<is> True"})
    cinder_fault(vol.post(f"/types/{t['id']}/extra_specs", json={
        "extra_specs": {"cacheable": "<is> True"}}), 400,
        "cacheable cannot be set with multiattach.")


def test_extra_spec_changes_are_admin_only(vol: VolApi, member: Member) -> None:
    t = make_type(vol)
    cinder_fault(vol.post(f"/types/{t['id']}/extra_specs", member.token,
                          json={"extra_specs": {"a": "b"}}), 403)
    cinder_fault(vol.delete(f"/types/{t['id']}/extra_specs/a", member.token), 403)


# --- encryption -----------------------------------------------------------------------
def test_encryption_create_show_update_item_delete(vol: VolApi) -> None:
    t = make_type(vol)
    base = f"/types/{t['id']}/encryption"
    assert assert_status(vol.get(base), 200) == {}
    created = assert_status(vol.post(base, json={"encryption": ENCRYPTION}), 200)["encryption"]
    assert set(created) == {*ENCRYPTION, "volume_type_id", "encryption_id"}
    assert created["volume_type_id"] == t["id"]
    shown = assert_status(vol.get(base), 200)
    assert {k: shown[k] for k in ENCRYPTION} == ENCRYPTION
    assert shown["encryption_id"] == created["encryption_id"] and shown["deleted"] is False
    cinder_fault(vol.post(base, json={"encryption": ENCRYPTION}), 400, "already exists")
    change = {"key_size": 128, "provider": "SomeProvider", "cipher": "aes-xts-plain64",
              "control_location": "back-end"}
    assert assert_status(vol.put(f"{base}/{created['encryption_id']}",
                                 json={"encryption": change}), 200) == {"encryption": change}
    shown = assert_status(vol.get(base), 200)
    assert {k: shown[k] for k in change} == change
    assert assert_status(vol.get(f"{base}/cipher"), 200) == {"cipher": "aes-xts-plain64"}
    cinder_fault(vol.get(f"{base}/nothing"), 404)
    assert_status(vol.delete(f"{base}/{created['encryption_id']}"), 202)
    assert assert_status(vol.get(base), 200) == {}
    cinder_fault(vol.delete(f"{base}/{created['encryption_id']}"), 404, "does not exist")


def test_encryption_bad_input_and_unknown_type(vol: VolApi, member: Member) -> None:
    t = make_type(vol)
    base = f"/types/{t['id']}/encryption"
    cinder_fault(vol.post(base, json={"encryption": {**ENCRYPTION, "key_size": "big"}}), 400,
                 "key_size must be an integer")
    cinder_fault(vol.post(base, json={"encryption": {**ENCRYPTION,
                                                     "control_location": "middle"}}), 400)
    cinder_fault(vol.post(base, json={"encryption": {"provider": "p"}}), 400)
    cinder_fault(vol.post(f"/types/{uuid.uuid4()}/encryption",
                          json={"encryption": ENCRYPTION}), 404)
    cinder_fault(vol.get(base, member.token), 403)


def test_encrypted_type_in_use_cannot_change(vol: VolApi) -> None:
    t = make_type(vol)
    base = f"/types/{t['id']}/encryption"
    created = assert_status(vol.post(base, json={"encryption": ENCRYPTION}), 200)["encryption"]
    vol.volume(volume_type=t["id"])
    cinder_fault(vol.delete(f"{base}/{created['encryption_id']}"), 400,
                 "Cannot delete encryption specs. Volume type in use.")


# --- default types (3.62) --------------------------------------------------------------
def test_default_types_set_show_list_unset(vol: VolApi, member: Member) -> None:
    pid = member.project["id"]
    t = make_type(vol)
    cinder_fault(vol.get(f"/default-types/{pid}", version="3.62"), 404,
                 f"Default type for project {pid} not found.")
    body = assert_status(vol.put(f"/default-types/{pid}", version="3.62", json={
        "default_type": {"volume_type": t["name"]}}), 200)
    assert body == {"default_type": {"project_id": pid, "volume_type_id": t["id"]}}
    assert assert_status(vol.get(f"/default-types/{pid}", version="3.62"), 200) == body
    listed = assert_status(vol.get("/default-types", version="3.62"), 200)["default_types"]
    assert body["default_type"] in listed
    # a member's new volumes get the project's default
    v = vol.volume(member.token)
    assert v["volume_type"] == t["name"]
    assert vol.delete(f"/default-types/{pid}", version="3.62").status_code == 204
    cinder_fault(vol.get(f"/default-types/{pid}", version="3.62"), 404)


def test_default_types_need_362_an_admin_a_project_and_a_type(vol: VolApi,
                                                              member: Member) -> None:
    pid = member.project["id"]
    cinder_fault(vol.get("/default-types"), 404)
    cinder_fault(vol.get("/default-types", member.token, version="3.62"), 403)
    cinder_fault(vol.put(f"/default-types/{pid}", member.token, version="3.62", json={
        "default_type": {"volume_type": "__DEFAULT__"}}), 403)
    cinder_fault(vol.put(f"/default-types/{uuid.uuid4().hex}", version="3.62", json={
        "default_type": {"volume_type": "__DEFAULT__"}}), 404, "not found")
    cinder_fault(vol.put(f"/default-types/{pid}", version="3.62", json={
        "default_type": {"volume_type": "no-such-type"}}), 400, "could not be found")
    cinder_fault(vol.put(f"/default-types/{pid}", version="3.62", json={
        "default_type": {}}), 400)

"""Sharing: members of a shared image accept or reject it."""
from __future__ import annotations

from tests.functional.image.conftest import assert_glance_fault
from tests.support.api import assert_status


def members_path(image_id: str, member: str | None = None) -> str:
    return f"/v2/images/{image_id}/members" + (f"/{member}" if member else "")


def test_share_accept_reject_remove(glance, owner, other, cloud):
    image = glance.create(owner.token)
    them = other.project["id"]
    member = assert_status(glance.post(members_path(image["id"]), token=owner.token,
                                       json={"member": them}), 200)
    assert member["member_id"] == them and member["image_id"] == image["id"]
    assert member["status"] == "pending" and member["schema"] == "/v2/schemas/member"
    assert_glance_fault(glance.post(members_path(image["id"]), token=owner.token,
                                    json={"member": them}), 409)
    # pending: visible by id, not in the default list, listed with member_status
    assert glance.show(other.token, image["id"])["id"] == image["id"]
    assert image["id"] not in glance.ids(other.token)
    assert glance.ids(other.token, visibility="shared", member_status="pending") == [image["id"]]
    # the owner cannot accept for the member; the member can
    assert_glance_fault(glance.put(members_path(image["id"], them), token=owner.token,
                                   json={"status": "accepted"}), 403)
    assert_glance_fault(glance.put(members_path(image["id"], them), token=other.token,
                                   json={"status": "wonderful"}), 400)
    accepted = assert_status(glance.put(members_path(image["id"], them), token=other.token,
                                        json={"status": "accepted"}), 200)
    assert accepted["status"] == "accepted"
    assert image["id"] in glance.ids(other.token)
    assert image["id"] in glance.ids(other.token, visibility="shared")
    # lists and shows
    listed = assert_status(glance.get(members_path(image["id"]), token=owner.token), 200)
    assert [m["member_id"] for m in listed["members"]] == [them]
    assert listed["schema"] == "/v2/schemas/members"
    assert assert_status(glance.get(members_path(image["id"], them), token=other.token),
                         200)["status"] == "accepted"
    # the member cannot change the image or its members
    assert_glance_fault(glance.patch_image(other.token, image["id"], [
        {"op": "replace", "path": "/name", "value": "mine"}]), 403)
    assert_glance_fault(glance.delete(members_path(image["id"], them), token=other.token), 403)
    # rejected: gone from the member's list
    glance.put(members_path(image["id"], them), token=other.token, json={"status": "rejected"})
    assert image["id"] not in glance.ids(other.token)
    # removed: no longer visible at all
    assert_status(glance.delete(members_path(image["id"], them), token=owner.token), 204)
    assert_glance_fault(glance.get(f"/v2/images/{image['id']}", token=other.token), 404)
    assert_glance_fault(glance.delete(members_path(image["id"], them), token=owner.token), 404)


def test_only_shared_images_have_members(glance, owner, other):
    image = glance.create(owner.token, visibility="private")
    assert_glance_fault(glance.post(members_path(image["id"]), token=owner.token,
                                    json={"member": other.project["id"]}), 403)
    assert_glance_fault(glance.get(members_path(image["id"]), token=owner.token), 403)
    assert_glance_fault(glance.post(members_path(image["id"]), token=owner.token,
                                    json={"nope": 1}), 400)


def test_strangers_see_nothing(glance, owner, other, cloud):
    image = glance.create(owner.token)
    stranger = cloud.make_project_member()
    glance.post(members_path(image["id"]), token=owner.token,
                json={"member": other.project["id"]})
    assert_glance_fault(glance.get(members_path(image["id"]), token=stranger.token), 404)
    assert_glance_fault(glance.get(members_path(image["id"], other.project["id"]),
                                   token=stranger.token), 404)

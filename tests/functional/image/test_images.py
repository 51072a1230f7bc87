"""Image records: create, show, visibility, update by JSON patch, delete, tags, actions."""
from __future__ import annotations

import uuid

import pytest

from tests.functional.image.conftest import assert_glance_fault
from tests.support.api import assert_status

CORE_KEYS = {"id", "name", "status", "visibility", "protected", "os_hidden", "checksum",
             "os_hash_algo", "os_hash_value", "owner", "size", "virtual_size",
             "container_format", "disk_format", "min_ram", "min_disk", "tags", "created_at",
             "updated_at", "self", "file", "schema"}


def test_create_defaults_and_shape(glance, owner):
    response = glance.post("/v2/images", token=owner.token, json={"name": "cirros"})
    image = assert_status(response, 201)
    assert set(image) == CORE_KEYS
    assert image["status"] == "queued" and image["visibility"] == "shared"
    assert image["owner"] == owner.project["id"]
    assert image["protected"] is False and image["os_hidden"] is False
    assert image["size"] is None and image["checksum"] is None
    assert image["tags"] == [] and image["min_ram"] == 0
    assert image["self"] == f"/v2/images/{image['id']}"
    assert image["file"] == f"/v2/images/{image['id']}/file"
    assert image["schema"] == "/v2/schemas/image"
    assert image["created_at"].endswith("Z") and len(image["created_at"]) == 20
    uuid.UUID(image["id"])
    assert response.headers["location"].endswith(f"/image/v2/images/{image['id']}")
    assert response.headers["openstack-image-import-methods"] == "glance-direct,web-download"
    assert response.headers["openstack-image-store-ids"] == "file"
    assert glance.show(owner.token, image["id"]) == image


def test_create_with_id_tags_and_custom_properties(glance, owner):
    image_id = str(uuid.uuid4())
    image = glance.create(owner.token, id=image_id, tags=["a", "b", "a"], os_distro="debian",
                          ramdisk_id="00000000-1111-2222-3333-444455556666",
                          disk_format="qcow2", container_format="bare", min_disk=2)
    assert image["id"] == image_id and sorted(image["tags"]) == ["a", "b"]
    assert image["os_distro"] == "debian" and image["min_disk"] == 2
    assert_glance_fault(glance.post("/v2/images", token=owner.token, json={"id": image_id}),
                        409)


@pytest.mark.parametrize("body,status", [
    ({"container_format": "wrong", "disk_format": "vhd"}, 400),
    ({"container_format": "bare", "disk_format": "wrong"}, 400),
    ({"visibility": "everyone"}, 400),
    ({"name": "x" * 256}, 400),
    ({"custom": 5}, 400),
    ({"ramdisk_id": "not-a-uuid"}, 400),
    ({"id": "not-a-uuid"}, 400),
    ({"status": "active"}, 403),
    ({"size": 5}, 403),
    ({"os_glance_foo": "bar"}, 403),
    ({"locations": []}, 403),
    ({"visibility": "public"}, 403),  # only admins publish
])
def test_create_refusals(glance, owner, body, status):
    assert_glance_fault(glance.post("/v2/images", token=owner.token, json=body), status)


def test_create_needs_a_json_object(glance, owner):
    assert_glance_fault(glance.post("/v2/images", token=owner.token, content=b"[1]"), 400)
    assert_glance_fault(glance.post("/v2/images", token=owner.token, content=b"{nope"), 400)


def test_personas(glance, owner, reader, other, cloud):
    image = glance.create(owner.token, name="p", visibility="private")
    # a reader reads but cannot create, change or delete
    assert glance.show(reader.token, image["id"])["id"] == image["id"]
    assert_glance_fault(glance.post("/v2/images", token=reader.token, json={}), 403)
    assert_glance_fault(glance.patch_image(reader.token, image["id"], [
        {"op": "replace", "path": "/name", "value": "n"}]), 403)
    assert_glance_fault(glance.delete(f"/v2/images/{image['id']}", token=reader.token), 403)
    # another project does not even see a private image
    assert_glance_fault(glance.get(f"/v2/images/{image['id']}", token=other.token), 404)
    assert_glance_fault(glance.delete(f"/v2/images/{image['id']}", token=other.token), 404)
    assert image["id"] not in glance.ids(other.token)
    # a member cannot create an image for another project; an admin can
    assert_glance_fault(glance.post("/v2/images", token=owner.token,
                                    json={"owner": other.project["id"]}), 403)
    made = glance.create(cloud.admin_token, owner=other.project["id"], visibility="public")
    assert made["owner"] == other.project["id"]
    assert made["id"] in glance.ids(owner.token)
    # the admin sees every image
    assert image["id"] in glance.ids(cloud.admin_token, limit=1000)
    assert_status(glance.delete(f"/v2/images/{made['id']}", token=cloud.admin_token), 204)


def test_community_images_are_visible_but_not_listed_by_default(glance, owner, other):
    image = glance.create(owner.token, visibility="community")
    assert glance.show(other.token, image["id"])["visibility"] == "community"
    assert image["id"] not in glance.ids(other.token)
    assert image["id"] in glance.ids(other.token, visibility="community")
    assert image["id"] in glance.ids(owner.token)


def test_patch_core_and_custom_properties(glance, owner):
    image = glance.create(owner.token, name="before", os_distro="debian")
    response = glance.patch_image(owner.token, image["id"], [
        {"op": "replace", "path": "/name", "value": "after"},
        {"op": "add", "path": "/hw_disk_bus", "value": "scsi"},
        {"op": "replace", "path": "/os_distro", "value": "ubuntu"},
        {"op": "add", "path": "/tags", "value": ["x", "y"]},
        {"op": "replace", "path": "/min_ram", "value": 512},
        {"op": "replace", "path": "/protected", "value": True},
        {"op": "replace", "path": "/disk_format", "value": "qcow2"},
    ])
    updated = assert_status(response, 200)
    assert updated["name"] == "after" and updated["hw_disk_bus"] == "scsi"
    assert updated["os_distro"] == "ubuntu" and updated["tags"] == ["x", "y"]
    assert updated["min_ram"] == 512 and updated["protected"] is True
    assert updated["disk_format"] == "qcow2"
    # the older media type and spelling work too
    response = glance.patch_image(owner.token, image["id"], [{"remove": "/hw_disk_bus"}],
                                  media="application/openstack-images-v2.0-json-patch")
    assert "hw_disk_bus" not in assert_status(response, 200)
    assert "hw_disk_bus" not in glance.show(owner.token, image["id"])
    glance.patch_image(owner.token, image["id"], [
        {"op": "replace", "path": "/protected", "value": False}])


@pytest.mark.parametrize("ops,status", [
    ([{"op": "replace", "path": "/nope", "value": "x"}], 409),
    ([{"op": "remove", "path": "/nope"}], 409),
    ([{"op": "replace", "path": "/status", "value": "active"}], 403),
    ([{"op": "replace", "path": "/id", "value": "x"}], 403),
    ([{"op": "add", "path": "/os_glance_foo", "value": "bar"}], 403),
    ([{"op": "remove", "path": "/name"}], 403),
    ([{"op": "replace", "path": "/visibility", "value": "public"}], 403),
    ([{"op": "replace", "path": "/owner", "value": "someone-else"}], 403),
    ([{"op": "replace", "path": "/visibility", "value": "nope"}], 400),
    ([{"op": "add", "path": "/x", "value": ["list"]}], 400),
    ([{"op": "jump", "path": "/x"}], 400),
    ({"op": "add"}, 400),
])
def test_patch_refusals(glance, owner, ops, status):
    image = glance.create(owner.token, name="keep")
    assert_glance_fault(glance.patch_image(owner.token, image["id"], ops), status)
    assert glance.show(owner.token, image["id"])["name"] == "keep"


def test_patch_needs_the_patch_media_type(glance, owner):
    image = glance.create(owner.token)
    response = glance.patch_image(owner.token, image["id"], [
        {"op": "replace", "path": "/name", "value": "n"}], media="application/json")
    assert_glance_fault(response, 415)


def test_admin_changes_owner_and_publishes(glance, owner, other, cloud):
    image = glance.create(owner.token)
    updated = assert_status(glance.patch_image(cloud.admin_token, image["id"], [
        {"op": "replace", "path": "/owner", "value": other.project["id"]},
        {"op": "replace", "path": "/visibility", "value": "public"}]), 200)
    assert updated["owner"] == other.project["id"] and updated["visibility"] == "public"
    assert_status(glance.delete(f"/v2/images/{image['id']}", token=cloud.admin_token), 204)


def test_delete_protected_and_deleted(glance, owner):
    image = glance.create(owner.token, protected=True)
    path = f"/v2/images/{image['id']}"
    assert_glance_fault(glance.delete(path, token=owner.token), 403, "protected")
    glance.patch_image(owner.token, image["id"], [
        {"op": "replace", "path": "/protected", "value": False}])
    assert_status(glance.delete(path, token=owner.token), 204)
    assert_glance_fault(glance.get(path, token=owner.token), 404)
    assert_glance_fault(glance.delete(path, token=owner.token), 404)
    assert_glance_fault(glance.get(f"/v2/images/{uuid.uuid4()}", token=owner.token), 404)
    assert_glance_fault(glance.get("/v2/images/not-a-uuid", token=owner.token), 404)


def test_tags(glance, owner):
    image = glance.create(owner.token)
    base = f"/v2/images/{image['id']}/tags"
    assert_status(glance.put(f"{base}/blue", token=owner.token), 204)
    assert_status(glance.put(f"{base}/blue", token=owner.token), 204)  # idempotent
    assert_status(glance.put(f"{base}/green", token=owner.token), 204)
    assert glance.show(owner.token, image["id"])["tags"] == ["blue", "green"]
    assert_status(glance.delete(f"{base}/blue", token=owner.token), 204)
    assert_glance_fault(glance.delete(f"{base}/blue", token=owner.token), 404)
    assert glance.show(owner.token, image["id"])["tags"] == ["green"]
    assert_glance_fault(glance.put(f"/v2/images/{uuid.uuid4()}/tags/x", token=owner.token),
                        404)


def test_deactivate_and_reactivate(glance, owner, reader):
    image = glance.create(owner.token, disk_format="raw", container_format="bare")
    actions = f"/v2/images/{image['id']}/actions"
    assert_glance_fault(glance.post(f"{actions}/deactivate", token=owner.token), 403)
    assert_status(glance.upload(owner.token, image["id"], b"data"), 204)
    assert_glance_fault(glance.post(f"{actions}/deactivate", token=reader.token), 403)
    assert_status(glance.post(f"{actions}/deactivate", token=owner.token), 204)
    assert_status(glance.post(f"{actions}/deactivate", token=owner.token), 204)
    assert glance.show(owner.token, image["id"])["status"] == "deactivated"
    file_path = f"/v2/images/{image['id']}/file"
    assert_glance_fault(glance.get(file_path, token=owner.token), 403)
    assert_status(glance.post(f"{actions}/reactivate", token=owner.token), 204)
    assert glance.show(owner.token, image["id"])["status"] == "active"
    assert glance.get(file_path, token=owner.token).content == b"data"

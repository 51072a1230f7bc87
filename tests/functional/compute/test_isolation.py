"""Another project's servers, private images and another user's keypairs do not exist for
the caller (404), through the compute and image APIs alike."""
from __future__ import annotations

import uuid

from onestack.compute.flavors import ensure_default_flavors
from onestack.core.db import Database


def call(api, method, path, token, json=None):
    kwargs = {"headers": {"X-Auth-Token": token}}
    if json is not None:
        kwargs["json"] = json
    return api.http.request(method, path, **kwargs)


def test_other_projects_things_are_404(api, cloud, db_url):
    db = Database(db_url)
    try:
        ensure_default_flavors(db)
    finally:
        db.dispose()
    alice, bob = cloud.make_project_member(), cloud.make_project_member()
    image = call(api, "POST", "/image/v2/images", alice.token, {
        "name": "alice-private", "disk_format": "raw", "container_format": "bare",
        "visibility": "private"})
    assert image.status_code == 201, image.text
    image_id = image.json()["id"]
    r = api.http.put(f"/image/v2/images/{image_id}/file", content=b"alice" * 100,
                     headers={"X-Auth-Token": alice.token,
                              "Content-Type": "application/octet-stream"})
    assert r.status_code == 204, r.text
    server = call(api, "POST", "/compute/v2.1/servers", alice.token, {"server": {
        "name": "alice-vm", "imageRef": image_id, "flavorRef": "42"}})
    assert server.status_code == 202, server.text
    server_id = server.json()["server"]["id"]
    key = call(api, "POST", "/compute/v2.1/os-keypairs", alice.token,
               {"keypair": {"name": "alice-key-" + uuid.uuid4().hex[:6]}})
    assert key.status_code == 200, key.text
    key_name = key.json()["keypair"]["name"]

    # the owner sees all three
    assert call(api, "GET", f"/compute/v2.1/servers/{server_id}", alice.token).status_code \
        == 200
    assert call(api, "GET", f"/image/v2/images/{image_id}", alice.token).status_code == 200
    assert call(api, "GET", f"/compute/v2.1/os-keypairs/{key_name}",
                alice.token).status_code == 200
    # another project's member sees none of them, and cannot act on them
    for method, path in (("GET", f"/compute/v2.1/servers/{server_id}"),
                         ("DELETE", f"/compute/v2.1/servers/{server_id}"),
                         ("GET", f"/compute/v2.1/servers/{server_id}/metadata"),
                         ("GET", f"/compute/v2.1/os-keypairs/{key_name}"),
                         ("DELETE", f"/compute/v2.1/os-keypairs/{key_name}"),
                         ("GET", f"/compute/v2.1/images/{image_id}")):
        r = call(api, method, path, bob.token)
        assert r.status_code == 404, f"{method} {path}: {r.status_code} {r.text}"
        assert "itemNotFound" in r.json()
    r = call(api, "POST", f"/compute/v2.1/servers/{server_id}/action", bob.token,
             {"os-stop": None})
    assert r.status_code == 404
    assert call(api, "GET", f"/image/v2/images/{image_id}", bob.token).status_code == 404
    assert call(api, "DELETE", f"/image/v2/images/{image_id}", bob.token).status_code == 404
    listed = call(api, "GET", "/compute/v2.1/servers", bob.token).json()["servers"]
    assert server_id not in [s["id"] for s in listed]
    listed = call(api, "GET", "/image/v2/images", bob.token).json()["images"]
    assert image_id not in [i["id"] for i in listed]
    # nothing changed for the owner
    assert call(api, "GET", f"/compute/v2.1/servers/{server_id}", alice.token).status_code \
        == 200

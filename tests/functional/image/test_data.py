"""Image data over HTTP: upload, download with Content-MD5 and ranges, stage and import."""
from __future__ import annotations

import hashlib
import os
import struct
import time

from tests.functional.image.conftest import assert_glance_fault
from tests.support.api import assert_status


def raw_image(glance, token, **attrs):
    return glance.create(token, disk_format="raw", container_format="bare", **attrs)


def test_upload_and_download_round_trip(glance, owner, reader, image_dir):
    image = raw_image(glance, owner.token)
    file_path = f"/v2/images/{image['id']}/file"
    empty = glance.get(file_path, token=owner.token)
    assert empty.status_code == 204 and empty.content == b""
    data = os.urandom(3 * 1024 * 1024 + 7)
    assert_status(glance.upload(owner.token, image["id"], data), 204)
    shown = glance.show(owner.token, image["id"])
    assert shown["status"] == "active" and shown["size"] == len(data)
    assert shown["checksum"] == hashlib.md5(data).hexdigest()
    assert shown["os_hash_value"] == hashlib.sha512(data).hexdigest()
    assert shown["stores"] == "file" and shown["virtual_size"] is None
    got = glance.get(file_path, token=reader.token)  # readers download
    assert got.status_code == 200 and got.content == data
    assert got.headers["content-md5"] == shown["checksum"]
    assert got.headers["content-type"] == "application/octet-stream"
    assert int(got.headers["content-length"]) == len(data)
    assert_glance_fault(glance.upload(owner.token, image["id"], b"again"), 409)
    assert_glance_fault(glance.upload(reader.token, image["id"], b"again"), 403)


def test_range_requests(glance, owner):
    image = raw_image(glance, owner.token)
    data = bytes(range(256)) * 64
    glance.upload(owner.token, image["id"], data)
    file_path = f"/v2/images/{image['id']}/file"
    part = glance.get(file_path, token=owner.token, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == data[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{len(data)}"
    tail = glance.get(file_path, token=owner.token, headers={"Range": "bytes=-10"})
    assert tail.status_code == 206 and tail.content == data[-10:]
    response = glance.get(file_path, token=owner.token,
                          headers={"Range": f"bytes={len(data)}-"})
    assert response.status_code == 416
    assert response.headers["content-range"] == f"bytes */{len(data)}"


def test_qcow2_virtual_size(glance, owner):
    image = glance.create(owner.token, disk_format="qcow2", container_format="bare")
    header = b"QFI\xfb" + struct.pack(">IQIIQ", 3, 0, 0, 16, 20 << 30) + b"\0" * 1000
    glance.upload(owner.token, image["id"], header)
    assert glance.show(owner.token, image["id"])["virtual_size"] == 20 << 30


def test_upload_needs_disk_and_container_formats(glance, owner):
    image = glance.create(owner.token)
    assert_glance_fault(glance.upload(owner.token, image["id"], b"x"), 400)
    assert glance.show(owner.token, image["id"])["status"] == "queued"


def test_stage_import_and_tasks(glance, owner, reader):
    image = raw_image(glance, owner.token)
    data = os.urandom(100_000)
    response = glance.put(f"/v2/images/{image['id']}/stage", token=owner.token, content=data,
                          headers={"Content-Type": "application/octet-stream"})
    assert_status(response, 204)
    assert glance.show(reader.token, image["id"])["status"] == "uploading"
    assert_glance_fault(glance.put(f"/v2/images/{image['id']}/stage", token=owner.token,
                                   content=b"x"), 409)
    response = glance.post(f"/v2/images/{image['id']}/import", token=owner.token,
                           json={"method": {"name": "glance-direct"}, "all_stores": True})
    assert_status(response, 202)
    shown = glance.show(owner.token, image["id"])
    assert shown["status"] == "active" and shown["size"] == len(data)
    assert shown["stores"] == "file" and shown["os_glance_failed_import"] == ""
    assert glance.get(f"/v2/images/{image['id']}/file", token=owner.token).content == data
    tasks = assert_status(glance.get(f"/v2/images/{image['id']}/tasks", token=reader.token),
                          200)["tasks"]
    assert len(tasks) == 1 and tasks[0]["status"] == "success"
    assert tasks[0]["request_id"] == response.headers["x-openstack-request-id"]
    assert tasks[0]["type"] == "api_image_import"


def test_import_refusals(glance, owner):
    image = raw_image(glance, owner.token)
    path = f"/v2/images/{image['id']}/import"
    assert_glance_fault(glance.post(path, token=owner.token,
                                    json={"method": {"name": "glance-direct"}}), 409)
    assert_glance_fault(glance.post(path, token=owner.token, json={
        "method": {"name": "web-download", "uri": "http://127.0.0.1:9/x"}}), 400)
    assert_glance_fault(glance.post(path, token=owner.token, json={"method": "x"}), 400)


def test_tasks_api_is_admin_only_and_url_imports_fail_later(glance, owner, cloud):
    task = {"type": "import", "input": {"import_from": "http://127.0.0.1:9/x.qcow2",
                                        "import_from_format": "qcow2",
                                        "image_properties": {"disk_format": "qcow2",
                                                             "container_format": "bare"}}}
    assert_glance_fault(glance.post("/v2/tasks", token=owner.token, json=task), 403)
    # Glance accepts the task (201) and fails it afterwards, with a message
    created = assert_status(glance.post("/v2/tasks", token=cloud.admin_token, json=task), 201)
    assert created["type"] == "import" and created["status"] in ("pending", "processing",
                                                                 "failure")
    assert created["input"] == task["input"]
    failed = wait_for_task(glance, cloud.admin_token, created["id"])
    assert failed["status"] == "failure" and "does not pass filtering" in failed["message"]
    for bad in ({"type": "import"}, {"type": "export", "input": {}},
                {"type": "import", "input": {"import_from": "http://x/"}}, []):
        assert_glance_fault(glance.post("/v2/tasks", token=cloud.admin_token, json=bad), 400)
    assert_glance_fault(glance.get("/v2/tasks", token=owner.token), 403)
    body = assert_status(glance.get("/v2/tasks", token=cloud.admin_token), 200)
    assert body["schema"] == "/v2/schemas/tasks"
    for listed in body["tasks"]:
        shown = assert_status(glance.get(f"/v2/tasks/{listed['id']}",
                                         token=cloud.admin_token), 200)
        assert shown["id"] == listed["id"]
    assert_glance_fault(glance.get("/v2/tasks/nope", token=cloud.admin_token), 404)


def wait_for_task(glance, token, task_id, seconds=10.0):
    """The task once it has finished (tasks run after the API answers)."""
    deadline = time.monotonic() + seconds
    while True:
        task = assert_status(glance.get(f"/v2/tasks/{task_id}", token=token), 200)
        if task["status"] in ("success", "failure") or time.monotonic() > deadline:
            return task
        time.sleep(0.05)

"""Uploads, stages and imports are format-inspected (issue 7's note, OSSA-2024-001): a
qcow2 naming a backing file is refused with a 400 on upload and stage and fails the
import task, the image going back to ``queued``; content that is not the declared format
is refused; raw stays the catch-all."""
from __future__ import annotations

import struct

from tests.functional.image.conftest import assert_glance_fault
from tests.support.api import assert_status


def evil_qcow2() -> bytes:
    head = b"QFI\xfb" + struct.pack(">IQIIQ", 3, 0x200, 11, 16, 1 << 30)
    head += b"\0" * (512 - len(head))
    return head + b"/etc/passwd" + b"\0" * 4096


def clean_qcow2() -> bytes:
    head = b"QFI\xfb" + struct.pack(">IQIIQ", 3, 0, 0, 16, 2 << 30)
    return head + b"\0" * (4096 - len(head))


def stage(glance, token, image_id, data):
    return glance.put(f"/v2/images/{image_id}/stage", token=token, content=data,
                      headers={"Content-Type": "application/octet-stream"})


def test_upload_refuses_a_qcow2_with_a_backing_file(glance, owner):
    for declared in ("qcow2", "raw"):
        image = glance.create(owner.token, disk_format=declared, container_format="bare")
        assert_glance_fault(glance.upload(owner.token, image["id"], evil_qcow2()), 400,
                            "backing file")
        shown = glance.show(owner.token, image["id"])
        assert shown["status"] == "queued" and shown["size"] is None
        assert_status(glance.get(f"/v2/images/{image['id']}/file", token=owner.token), 204)


def test_upload_checks_the_declared_format_against_the_content(glance, owner):
    image = glance.create(owner.token, disk_format="qcow2", container_format="bare")
    assert_glance_fault(glance.upload(owner.token, image["id"], b"not a disk" * 100), 400,
                        "does not match")
    assert glance.show(owner.token, image["id"])["status"] == "queued"
    assert_status(glance.upload(owner.token, image["id"], clean_qcow2()), 204)
    shown = glance.show(owner.token, image["id"])
    assert shown["status"] == "active" and shown["virtual_size"] == 2 << 30
    raw = glance.create(owner.token, disk_format="raw", container_format="bare")
    assert_status(glance.upload(owner.token, raw["id"], clean_qcow2()), 204)


def test_upload_refuses_a_virtual_size_no_disk_can_have(glance, owner):
    """A header stating 2^64 - 1 bytes: a 400, the image queued (it was a 500 with the
    image stuck in saving: the size did not fit its column)."""
    head = b"QFI\xfb" + struct.pack(">IQIIQ", 3, 0, 0, 16, (1 << 64) - 1)
    image = glance.create(owner.token, disk_format="qcow2", container_format="bare")
    assert_glance_fault(glance.upload(owner.token, image["id"],
                                      head + b"\0" * (4096 - len(head))),
                        400, "more than any disk can have")
    assert glance.show(owner.token, image["id"])["status"] == "queued"


def test_stage_refuses_and_import_fails_the_task(glance, owner):
    image = glance.create(owner.token, disk_format="qcow2", container_format="bare")
    assert_glance_fault(stage(glance, owner.token, image["id"], evil_qcow2()), 400,
                        "backing file")
    assert glance.show(owner.token, image["id"])["status"] == "queued"
    # staged as harmless bytes, then declared qcow2: the import inspects again and fails
    raw = glance.create(owner.token, disk_format="raw", container_format="bare")
    assert_status(stage(glance, owner.token, raw["id"], b"plain bytes" * 100), 204)
    patched = glance.patch_image(owner.token, raw["id"], [
        {"op": "replace", "path": "/disk_format", "value": "qcow2"}])
    assert_status(patched, 200)
    response = glance.post(f"/v2/images/{raw['id']}/import", token=owner.token,
                           json={"method": {"name": "glance-direct"}})
    assert_status(response, 202)
    shown = glance.show(owner.token, raw["id"])
    assert shown["status"] == "queued" and shown["os_glance_failed_import"] == "file"
    tasks = assert_status(glance.get(f"/v2/images/{raw['id']}/tasks", token=owner.token),
                          200)["tasks"]
    assert tasks[-1]["status"] == "failure" and "does not match" in tasks[-1]["message"]


def test_gpt_is_a_disk_format_and_its_checks_bind(glance, owner):
    protective = bytearray(4096)
    protective[446:462] = b"\x00\x00\x02\x00\xee\x00\x00\x00" + struct.pack("<II", 1, 99)
    protective[510:512] = b"\x55\xaa"
    image = glance.create(owner.token, disk_format="gpt", container_format="bare")
    assert_status(glance.upload(owner.token, image["id"], bytes(protective)), 204)
    no_partitions = bytearray(4096)
    no_partitions[510:512] = b"\x55\xaa"
    image = glance.create(owner.token, disk_format="gpt", container_format="bare")
    assert_glance_fault(glance.upload(owner.token, image["id"], bytes(no_partitions)), 400,
                        "no partitions")

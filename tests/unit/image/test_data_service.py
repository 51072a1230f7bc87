"""Upload, download, stage and import through the service layer, with the memory stores."""
from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from onestack.core.errors import BadRequest, Conflict, Forbidden, PayloadTooLarge
from onestack.image import models as m
from onestack.image.service.data import RangeNotSatisfiable
from tests.unit.image.conftest import ADMIN, OTHER, OWNER, new_image


def status(g, image_id: str) -> str:
    return g.images.show(ADMIN, image_id)["status"]


def test_upload_streams_chunk_by_chunk_into_the_store(glance, monkeypatch):
    image_id = new_image(glance)
    produced: list[int] = []
    store = glance.deps.store
    made_when_stored: list[int] = []  # how many chunks existed as the store took each one
    real_write = store.write

    def watching_write(ident, chunks):
        def watch() -> Iterator[bytes]:
            for chunk in chunks:
                made_when_stored.append(len(produced))
                yield chunk
        return real_write(ident, watch())
    monkeypatch.setattr(store, "write", watching_write)

    def body() -> Iterator[bytes]:
        for i in range(50):
            produced.append(i)
            yield bytes([i]) * 4096

    glance.data.upload(OWNER, image_id, body())
    # the store took chunk n while only n chunks had been made: nothing read ahead or joined
    assert made_when_stored == list(range(1, 51))
    assert len(store.blobs[image_id]) == 50  # arrived as 50 chunks, never joined
    data = b"".join(bytes([i]) * 4096 for i in range(50))
    image = glance.images.show(OWNER, image_id)
    assert image["status"] == "active"
    assert image["size"] == len(data)
    assert image["checksum"] == hashlib.md5(data).hexdigest()
    assert image["os_hash_algo"] == "sha512"
    assert image["os_hash_value"] == hashlib.sha512(data).hexdigest()
    assert image["virtual_size"] is None
    assert image["stores"] == "file"


def test_qcow2_uploads_get_their_virtual_size(glance):
    image_id = new_image(glance, disk_format="qcow2")
    header = b"QFI\xfb" + struct.pack(">IQIIQ", 3, 0, 0, 16, 8 << 30) + b"\0" * 200
    glance.data.upload(OWNER, image_id, iter([header[:10], header[10:], b"\0" * 1000]))
    assert glance.images.show(OWNER, image_id)["virtual_size"] == 8 << 30


def test_a_broken_upload_kills_the_image_and_keeps_no_bytes(glance):
    image_id = new_image(glance)

    def body() -> Iterator[bytes]:
        yield b"some"
        raise ConnectionError("client disconnected")

    with pytest.raises(BadRequest):
        glance.data.upload(OWNER, image_id, body())
    assert status(glance, image_id) == "killed"
    assert image_id not in glance.deps.store.blobs


def test_upload_needs_formats_a_queued_image_and_the_owner(glance):
    no_formats = glance.images.create(OWNER, {"name": "x"})["id"]
    with pytest.raises(BadRequest):
        glance.data.upload(OWNER, no_formats, [b"x"])
    image_id = new_image(glance, visibility="community")
    with pytest.raises(Forbidden):
        glance.data.upload(OTHER, image_id, [b"x"])
    glance.data.upload(OWNER, image_id, [b"x"])
    with pytest.raises(Conflict):
        glance.data.upload(OWNER, image_id, [b"again"])


def test_size_cap_refuses_and_requeues(glance):
    glance.deps.size_cap = 10
    image_id = new_image(glance)
    with pytest.raises(PayloadTooLarge):
        glance.data.upload(OWNER, image_id, [b"12345", b"678901"])
    assert status(glance, image_id) == "queued"
    with pytest.raises(PayloadTooLarge):
        glance.data.upload(OWNER, image_id, [b"x"], content_length=11)
    glance.data.upload(OWNER, image_id, [b"0123456789"])
    assert status(glance, image_id) == "active"


def test_download_whole_and_ranges(glance):
    image_id = new_image(glance)
    empty = glance.data.download(OWNER, image_id)
    assert (empty.status, empty.chunks) == (204, None)
    data = bytes(range(256)) * 400
    glance.data.upload(OWNER, image_id, [data])
    whole = glance.data.download(OWNER, image_id)
    assert whole.status == 200 and b"".join(whole.chunks) == data
    assert whole.headers["Content-MD5"] == hashlib.md5(data).hexdigest()
    part = glance.data.download(OWNER, image_id, "bytes=1000-1999")
    assert part.status == 206 and b"".join(part.chunks) == data[1000:2000]
    assert part.headers["Content-Range"] == f"bytes 1000-1999/{len(data)}"
    with pytest.raises(RangeNotSatisfiable):
        glance.data.download(OWNER, image_id, f"bytes={len(data)}-")


def test_deactivated_images_cannot_be_downloaded_except_by_admins(glance):
    image_id = new_image(glance)
    glance.data.upload(OWNER, image_id, [b"data"])
    glance.images.deactivate(OWNER, image_id)
    with pytest.raises(Forbidden):
        glance.data.download(OWNER, image_id)
    assert b"".join(glance.data.download(ADMIN, image_id).chunks) == b"data"
    glance.images.reactivate(OWNER, image_id)
    assert b"".join(glance.data.download(OWNER, image_id).chunks) == b"data"


def test_stage_and_glance_direct_import(glance):
    image_id = new_image(glance)
    glance.data.stage(OWNER, image_id, [b"abc", b"def"])
    assert status(glance, image_id) == "uploading"
    assert glance.deps.staging.blobs[image_id]
    task_id = glance.data.import_image(OWNER, image_id, {"method": {"name": "glance-direct"}})
    image = glance.images.show(OWNER, image_id)
    assert image["status"] == "active" and image["size"] == 6
    assert image["checksum"] == hashlib.md5(b"abcdef").hexdigest()
    assert image["os_glance_failed_import"] == ""
    assert "os_glance_import_task" not in image
    assert image_id not in glance.deps.staging.blobs
    (task,) = glance.tasks.for_image(OWNER, image_id)
    assert (task["id"], task["status"], task["request_id"]) == (task_id, "success", "req-unit")
    assert task["input"]["import_req"]["method"]["name"] == "glance-direct"


def test_import_needs_staged_data_and_a_known_method(glance):
    image_id = new_image(glance)
    with pytest.raises(Conflict):
        glance.data.import_image(OWNER, image_id, {"method": {"name": "glance-direct"}})
    for body in ({"method": {"name": "web-download", "uri": "http://x"}},
                 {"method": {"name": "nope"}}, {}):
        with pytest.raises(BadRequest):
            glance.data.import_image(OWNER, image_id, body)


def test_a_failed_import_requeues_and_records_the_failure(glance):
    image_id = new_image(glance)
    glance.data.stage(OWNER, image_id, [b"abc"])
    glance.deps.staging.blobs.pop(image_id)  # the staged bytes vanished
    glance.data.import_image(OWNER, image_id, {"method": {"name": "glance-direct"}})
    image = glance.images.show(OWNER, image_id)
    assert image["status"] == "queued"
    assert image["os_glance_failed_import"] == "file"
    (task,) = glance.tasks.for_image(OWNER, image_id)
    assert task["status"] == "failure" and task["message"]


def test_deleting_an_image_removes_its_bytes(glance, db):
    image_id = new_image(glance)
    glance.data.upload(OWNER, image_id, [b"bytes"])
    glance.images.delete(OWNER, image_id)
    assert image_id not in glance.deps.store.blobs
    assert db.read(lambda s: s.scalar(sa.select(sa.func.count()).select_from(m.Image))) == 0


def test_raw_images_get_no_virtual_size_even_with_a_qcow2_header(glance):
    image_id = new_image(glance, disk_format="raw")
    header = b"QFI\xfb" + struct.pack(">IQIIQ", 3, 0, 0, 16, 8 << 30) + b"\0" * 200
    glance.data.upload(OWNER, image_id, [header])
    assert glance.images.show(OWNER, image_id)["virtual_size"] is None

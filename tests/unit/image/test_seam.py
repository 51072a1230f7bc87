"""The compute ↔ image seam: image bytes stream to the agent (never a whole image in
memory), deletes take the image API's one delete path, rotated backups lose their bytes
only when the rotation commits."""
from __future__ import annotations

import tracemalloc
from datetime import datetime, timedelta
import uuid
from collections.abc import Iterator
from types import SimpleNamespace

import pytest

from onestack.core.db import utcnow
from onestack.image import models as m
from onestack.image import seam
from onestack.image.seam import ImageSeam

MiB = 1 << 20


@pytest.fixture
def stores(db):
    return ImageSeam.stores_for_url(db.url)


def add_image(db, **attrs) -> str:
    image_id = str(uuid.uuid4())

    def work(s):
        now = utcnow()
        s.add(m.Image(id=image_id, name="i", status="active", visibility="private",
                      owner="p1", min_disk=0, min_ram=0, protected=False, os_hidden=False,
                      created_at=now, updated_at=now, **attrs))
    db.write(work)
    return image_id


def test_open_bytes_streams_instead_of_reading_the_whole_image(db, stores):
    store, _ = stores
    handy = ImageSeam.for_database(db)
    image_id = add_image(db)
    store.write(image_id, (bytes([i % 256]) * MiB for i in range(16)))
    tracemalloc.start()
    try:
        chunks = handy.open_bytes(image_id)
        first = next(iter(chunks))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert isinstance(chunks, Iterator) and not isinstance(chunks, list)
    assert peak < 2 * MiB, f"{peak} bytes held to hand out the first chunk"
    rest = b"".join(chunks)
    assert len(first) + len(rest) == 16 * MiB
    assert handy.open_bytes(str(uuid.uuid4())) is None


def test_open_bytes_and_delete_share_the_image_api_path(db, stores):
    store, staging = stores
    image_id = add_image(db)
    store.write(image_id, [b"abc"])
    staging.write(image_id, [b"staged"])
    handy = ImageSeam.for_database(db)
    assert b"".join(handy.open_bytes(image_id)) == b"abc"
    handy.delete(image_id)
    assert db.read(lambda s: s.get(m.Image, image_id)) is None
    assert handy.open_bytes(image_id) is None
    assert not (store.directory / image_id).exists()
    assert not (staging.directory / image_id).exists()


def _backup(db, store, instance_id: str, when: int) -> str:
    image_id = add_image(db)

    def work(s):
        row = s.get(m.Image, image_id)
        row.created_at = datetime(2026, 1, 1) + timedelta(minutes=when)
        for key, value in (("instance_uuid", instance_id), ("image_type", "backup"),
                           ("backup_type", "daily")):
            s.add(m.ImageProperty(image_id=image_id, name=key, value=value))
    db.write(work)
    store.write(image_id, [b"backup"])
    return image_id


def test_rotation_drops_old_backups_with_their_bytes_after_commit(db, stores):
    store, _ = stores
    instance_id = str(uuid.uuid4())
    old, mid, new = (_backup(db, store, instance_id, n) for n in (1, 2, 3))
    handy = ImageSeam.for_database(db)

    class Abort(Exception):
        pass

    def rotate_then_fail(s):
        handy.rotate_backups(s, instance_id, "daily", 1, keep=new)
        raise Abort()

    with pytest.raises(Abort):
        db.write(rotate_then_fail)
    assert (store.directory / old).exists()  # rolled back: bytes kept with their rows
    dropped = db.write(lambda s: handy.rotate_backups(s, instance_id, "daily", 1, keep=new))
    assert set(dropped) == {old, mid}
    for gone in (old, mid):
        assert db.read(lambda s, i=gone: s.get(m.Image, i)) is None
        assert not (store.directory / gone).exists()
    assert (store.directory / new).exists()


def test_find_for_refuses_what_is_not_an_image_id(db):
    image_id = add_image(db)
    assert db.read(lambda s: seam.find_for(s, "p1", False, image_id))["id"] == image_id
    assert db.read(lambda s: seam.find_for(s, "p2", False, image_id)) is None
    assert db.read(lambda s: seam.find_for(s, "p1", False, "bad\x00id")) is None


def test_create_snapshot_registers_a_queued_private_image(db):
    inst = SimpleNamespace(id=str(uuid.uuid4()), image_ref=None, flavor={"disk": 3},
                           user_id="u1")
    image_id = db.write(lambda s: seam.create_snapshot(s, inst, "snap", {"k": 1}, "p1"))
    row = db.read(lambda s: s.get(m.Image, image_id))
    assert (row.status, row.visibility, row.owner, row.min_disk) == \
        ("queued", "private", "p1", 3)


def test_a_snapshot_streams_from_its_source_into_a_new_active_image(db, stores):
    store, _ = stores
    source = add_image(db)
    store.write(source, (bytes([i]) * 65536 for i in range(8)))
    inst = SimpleNamespace(id=str(uuid.uuid4()), image_ref=source, flavor={"disk": 1},
                           user_id="u1")
    snap = db.write(lambda s: seam.create_snapshot(s, inst, "snap", {}, "p1"))
    handy = ImageSeam.for_database(db)
    assert handy.store_snapshot(snap, handy.open_bytes(source)) is True
    row = db.read(lambda s: s.get(m.Image, snap))
    assert (row.status, row.size, row.os_hash_algo) == ("active", 8 * 65536, "sha512")
    assert b"".join(handy.open_bytes(snap)) == b"".join(handy.open_bytes(source))
    handy.delete(snap)
    assert handy.store_snapshot(snap, [b"late"]) is False  # gone: nothing stored
    assert handy.open_bytes(snap) is None

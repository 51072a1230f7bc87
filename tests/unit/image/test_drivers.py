"""The store contract, run against every store: the in-memory fake and the filesystem one."""
from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest

from onestack.image.drivers.base import DataNotFound, ImageStore
from onestack.image.drivers.filesystem import FilesystemStore
from onestack.image.drivers.memory import MemoryStore

IMAGE = "0b7cc7cd-3e2f-4d7e-a9d8-6f9a2e6e0c11"


@pytest.fixture(params=["memory", "filesystem"])
def store(request: pytest.FixtureRequest, tmp_path) -> ImageStore:
    if request.param == "memory":
        return MemoryStore()
    return FilesystemStore(tmp_path / "images")


def chunks(data: bytes, size: int = 1000) -> Iterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i:i + size]


DATA = bytes(range(256)) * 1000  # 256000 bytes, every byte value


def test_write_returns_size_and_digests_of_exactly_the_bytes(store):
    size, md5, sha512 = store.write(IMAGE, chunks(DATA))
    assert size == len(DATA)
    assert md5 == hashlib.md5(DATA).hexdigest()
    assert sha512 == hashlib.sha512(DATA).hexdigest()
    assert b"".join(store.read(IMAGE)) == DATA


def test_read_from_an_offset_and_for_a_length(store):
    store.write(IMAGE, chunks(DATA))
    assert b"".join(store.read(IMAGE, 100)) == DATA[100:]
    assert b"".join(store.read(IMAGE, 70000, 100000)) == DATA[70000:170000]
    assert b"".join(store.read(IMAGE, len(DATA) - 5, 100)) == DATA[-5:]


def test_write_consumes_chunks_one_at_a_time(store):
    seen: list[int] = []

    def produce() -> Iterator[bytes]:
        for i in range(5):
            seen.append(i)
            yield bytes([i]) * 10

    store.write(IMAGE, produce())
    assert seen == [0, 1, 2, 3, 4]
    assert b"".join(store.read(IMAGE)) == b"".join(bytes([i]) * 10 for i in range(5))


def test_a_failing_write_leaves_nothing_behind(store, tmp_path):
    def broken() -> Iterator[bytes]:
        yield b"partial"
        raise ConnectionError("client went away")

    with pytest.raises(ConnectionError):
        store.write(IMAGE, broken())
    with pytest.raises(DataNotFound):
        store.read(IMAGE)
    if isinstance(store, FilesystemStore):
        assert list(store.directory.iterdir()) == []


def test_write_replaces_what_was_stored(store):
    store.write(IMAGE, [b"old"])
    store.write(IMAGE, [b"new!"])
    assert b"".join(store.read(IMAGE)) == b"new!"


def test_empty_image(store):
    assert store.write(IMAGE, [])[0] == 0
    assert b"".join(store.read(IMAGE)) == b""


def test_delete_is_idempotent(store):
    store.write(IMAGE, [b"x"])
    store.delete(IMAGE)
    store.delete(IMAGE)
    with pytest.raises(DataNotFound):
        store.read(IMAGE)


def test_ids_that_could_escape_the_store_are_refused(store):
    for bad in ("../etc", "a/b", "", ".hidden"):
        with pytest.raises(ValueError):
            store.write(bad, [b"x"])

"""How bytes become backup chunks and come back (``volume.backup.chunks``): fixed
chunks with sha256, zeros stored as nothing, incrementals storing only changed chunks
and naming the parent's objects for the rest, restores checked against the index."""
from __future__ import annotations

import os

import pytest

from onestack.volume.backup.chunks import (BackupCorrupt, Hole, object_name, read_backup,
                                           rechunk, write_backup)
from onestack.volume.backup.memory import MemoryStore

CHUNK = 64 << 10


def pieces(data: bytes, size: int) -> list[bytes]:
    return [data[i:i + size] for i in range(0, len(data), size)]


def test_rechunk_cuts_any_input_into_fixed_pieces() -> None:
    data = os.urandom(10 * 1000 + 7)
    for size in (1, 333, 1000, 4096):
        out = list(rechunk(pieces(data, size), 1000))
        assert b"".join(out) == data
        assert all(len(p) == 1000 for p in out[:-1]) and len(out[-1]) == 7


def test_holes_stay_numbers_unless_they_share_a_piece_with_data() -> None:
    data = os.urandom(700)
    out = list(rechunk([Hole(2500), data, Hole(800)], 1000))
    assert out[:2] == [Hole(1000), Hole(1000)] and isinstance(out[0], Hole)
    assert out[2] == bytes(500) + data[:500] and out[3] == data[500:] + bytes(800)
    assert not isinstance(out[2], Hole)


def test_holes_are_stored_as_nothing() -> None:
    store = MemoryStore()
    data = os.urandom(CHUNK)
    refs, written = write_backup(store, "bh", [Hole(2 * CHUNK), data, Hole(10)],
                                 chunk_size=CHUNK)
    assert [r.object for r in refs] == [None, None, object_name("bh", 2), None]
    assert written == 1 and refs[3].length == 10
    assert b"".join(read_backup(store, refs)) == bytes(2 * CHUNK) + data + bytes(10)


def test_full_backup_round_trips_and_stores_no_zero_chunks() -> None:
    store = MemoryStore()
    data = os.urandom(CHUNK) + bytes(3 * CHUNK) + os.urandom(CHUNK // 2)
    refs, written = write_backup(store, "b1", pieces(data, 4096), chunk_size=CHUNK)
    assert [r.object for r in refs] == [object_name("b1", 0), None, None, None,
                                        object_name("b1", 4)]
    assert written == 2 and store.names() == [object_name("b1", 0), object_name("b1", 4)]
    assert b"".join(read_backup(store, refs)) == data


def test_incremental_stores_only_the_changed_chunks() -> None:
    store = MemoryStore()
    base = os.urandom(4 * CHUNK)
    parent, _ = write_backup(store, "full", [base], chunk_size=CHUNK)
    changed = base[:CHUNK] + os.urandom(CHUNK) + base[2 * CHUNK:]
    refs, written = write_backup(store, "incr", [changed], {r.idx: r for r in parent},
                                 chunk_size=CHUNK)
    assert written == 1
    assert [r.object for r in refs] == [object_name("full", 0), object_name("incr", 1),
                                        object_name("full", 2), object_name("full", 3)]
    assert b"".join(read_backup(store, refs)) == changed
    # the parent still restores its own bytes
    assert b"".join(read_backup(store, parent)) == base


def test_a_rerun_after_a_crash_rewrites_the_same_objects() -> None:
    store = MemoryStore()
    data = os.urandom(2 * CHUNK)

    def dies() -> object:
        yield data[:CHUNK]
        raise OSError("killed")
    with pytest.raises(OSError):
        write_backup(store, "b2", dies(), chunk_size=CHUNK)
    refs, written = write_backup(store, "b2", [data], chunk_size=CHUNK)
    assert written == 2 and store.names() == [object_name("b2", 0), object_name("b2", 1)]
    assert b"".join(read_backup(store, refs)) == data


def test_restore_refuses_a_changed_or_missing_object() -> None:
    store = MemoryStore()
    refs, _ = write_backup(store, "b3", [os.urandom(2 * CHUNK)], chunk_size=CHUNK)
    store.put(refs[1].object, b"tampered" + bytes(CHUNK - 8))
    with pytest.raises(BackupCorrupt):
        b"".join(read_backup(store, refs))
    store.delete(refs[0].object)
    with pytest.raises(BackupCorrupt):
        next(iter(read_backup(store, refs)))

"""The backup-store contract (``onestack.volume.backup.base.BackupStore``), run against
every store in ``HARNESSES``: the in-memory fake and the file store. The object store
adds its harness here and must pass the same suite."""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest

from onestack.volume.backup.base import SERVICE_PREFIX, BackupStore, ObjectNotFound
from onestack.volume.backup.file import FileStore
from onestack.volume.backup.memory import MemoryStore


@dataclass(frozen=True)
class Harness:
    name: str
    make: Callable[[Path], BackupStore]


HARNESSES = [Harness("memory", lambda root: MemoryStore()),
             Harness("file", lambda root: FileStore(root / "backups"))]


@pytest.fixture(params=HARNESSES, ids=[h.name for h in HARNESSES])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> BackupStore:
    return request.param.make(tmp_path)


def test_service_name_is_a_cinder_backup_driver_name(store: BackupStore) -> None:
    assert store.service.startswith(SERVICE_PREFIX)


def test_put_then_get_gives_the_same_bytes(store: BackupStore) -> None:
    data = os.urandom(1 << 20) + b"\0" * 1000
    store.put("backup-a/chunk-000000", data)
    assert store.get("backup-a/chunk-000000") == data
    assert store.exists("backup-a/chunk-000000")


def test_put_replaces(store: BackupStore) -> None:
    store.put("backup-a/chunk-000001", b"old")
    store.put("backup-a/chunk-000001", b"new bytes")
    assert store.get("backup-a/chunk-000001") == b"new bytes"


def test_stored_object_does_not_alias_the_callers_buffer(store: BackupStore) -> None:
    buf = bytearray(b"abc")
    store.put("backup-a/chunk-000002", buf)
    buf[0] = ord("z")
    assert store.get("backup-a/chunk-000002") == b"abc"


def test_get_of_a_missing_object_raises_not_found(store: BackupStore) -> None:
    with pytest.raises(ObjectNotFound):
        store.get("backup-missing/chunk-000000")
    assert not store.exists("backup-missing/chunk-000000")


def test_delete_is_idempotent(store: BackupStore) -> None:
    store.put("backup-b/chunk-000000", b"x")
    store.delete("backup-b/chunk-000000")
    store.delete("backup-b/chunk-000000")
    assert not store.exists("backup-b/chunk-000000")
    with pytest.raises(ObjectNotFound):
        store.get("backup-b/chunk-000000")


def test_names_lists_by_prefix_sorted(store: BackupStore) -> None:
    for name in ("backup-c/chunk-000002", "backup-c/chunk-000000", "backup-d/chunk-000000"):
        store.put(name, b"x")
    assert store.names("backup-c/") == ["backup-c/chunk-000000", "backup-c/chunk-000002"]
    assert store.names("backup-none/") == []
    assert set(store.names()) >= {"backup-c/chunk-000000", "backup-d/chunk-000000"}


@pytest.mark.parametrize("name", ["../escape", "/abs", "a/../../b", "", "a//b", "a/./b"])
def test_unsafe_names_are_refused(store: BackupStore, name: str) -> None:
    with pytest.raises(ValueError):
        store.put(name, b"x")
    with pytest.raises(ValueError):
        store.get(name)


def test_concurrent_puts_of_one_name_leave_one_whole_object(store: BackupStore) -> None:
    payloads = [bytes([i]) * (256 << 10) for i in range(1, 9)]
    threads = [threading.Thread(target=store.put, args=("backup-e/chunk-000000", p))
               for p in payloads]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.get("backup-e/chunk-000000") in payloads


def test_file_store_clears_partial_writes_and_keeps_objects(tmp_path: Path) -> None:
    """A worker killed mid-put leaves a temporary file only; the next store on the
    directory removes it and never lists it, and whole objects stay."""
    first = FileStore(tmp_path / "b")
    first.put("backup-f/chunk-000000", b"whole")
    partial = tmp_path / "b" / "backup-f" / ".chunk-000001.deadbeef.part"
    partial.write_bytes(b"half")
    assert first.names("backup-f/") == ["backup-f/chunk-000000"]
    FileStore(tmp_path / "b")
    assert not partial.exists()
    assert FileStore(tmp_path / "b").get("backup-f/chunk-000000") == b"whole"


def test_file_store_objects_are_private(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "p")
    store.put("backup-g/chunk-000000", b"secret")
    path = tmp_path / "p" / "backup-g" / "chunk-000000"
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700


def test_file_store_delete_removes_emptied_directories(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "d")
    store.put("backup-h/chunk-000000", b"x")
    store.delete("backup-h/chunk-000000")
    assert not (tmp_path / "d" / "backup-h").exists()
    assert (tmp_path / "d").is_dir()

"""How a volume's bytes become backup objects and come back (Cinder's chunked driver, in
small): the bytes are cut into fixed chunks (``CHUNK_SIZE``), each with its sha256.

* A chunk of zeros is stored as nothing (``object`` None): an empty 1 GiB volume backs
  up in no objects at all.
* A full backup stores every other chunk as ``backup-<id>/chunk-<idx>``.
* An incremental backup compares each chunk's sha256 with its parent's chunk at the same
  index: unchanged chunks name the parent's object, only changed ones are stored anew.
  Its index is therefore whole on its own (restoring never walks the chain).
* Restoring yields the chunks in order and refuses an object whose sha256 is not the
  one the index recorded (``BackupCorrupt``).

Nothing here knows the database: the worker keeps the returned ``ChunkRef`` list as the
backup's chunk index.
"""
from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from typing import Iterable, Iterator, Mapping

from onestack.volume.backup.base import BackupStore, BackupStoreError

CHUNK_SIZE = 32 << 20


class BackupCorrupt(BackupStoreError):
    """An object's bytes are not what the index recorded (or it is missing)."""


@dataclass(frozen=True)
class ChunkRef:
    idx: int
    length: int
    sha256: str
    object: str | None  # None: the chunk is zeros


def object_prefix(backup_id: str) -> str:
    return f"backup-{backup_id}/"


def object_name(backup_id: str, idx: int) -> str:
    return f"{object_prefix(backup_id)}chunk-{idx:06d}"


@functools.lru_cache(maxsize=8)
def zero_sha256(length: int) -> str:
    return hashlib.sha256(bytes(length)).hexdigest()


class Hole(int):
    """``n`` zero bytes a reader skipped (a hole of a sparse file), as a number: nothing
    is allocated or compared for it."""


_ZERO = bytes(CHUNK_SIZE)  # never written: its pages stay the kernel's zero page


def is_zero(data: bytes) -> bool:
    """All zeros? (an equality with zeros is a memcmp: several times faster than
    counting)"""
    if len(data) == CHUNK_SIZE:
        return data == _ZERO
    return data == bytes(len(data))


def rechunk(chunks: Iterable[bytes | Hole], size: int) -> Iterator[bytes | Hole]:
    """The bytes of ``chunks`` in pieces of exactly ``size`` (the last may be shorter).
    A piece made only of holes comes out as a ``Hole``; any other piece is joined once
    from views (holes in it become zeros)."""
    parts: list[memoryview | Hole] = []
    filled, zero = 0, True

    def emit() -> bytes | Hole:
        if zero:
            return Hole(filled)
        return b"".join(bytes(p) if isinstance(p, Hole) else p for p in parts)

    for chunk in chunks:
        hole = isinstance(chunk, Hole)
        total = int(chunk) if hole else len(chunk)
        view = None if hole else memoryview(chunk).cast("B")
        pos = 0
        while pos < total:
            take = min(size - filled, total - pos)
            parts.append(Hole(take) if view is None else view[pos:pos + take])
            zero = zero and hole
            filled += take
            pos += take
            if filled == size:
                yield emit()
                parts, filled, zero = [], 0, True
    if filled:
        yield emit()


def write_backup(store: BackupStore, backup_id: str, data: Iterable[bytes | Hole],
                 parent: Mapping[int, ChunkRef] | None = None,
                 chunk_size: int = CHUNK_SIZE) -> tuple[list[ChunkRef], int]:
    """Store ``data`` as backup ``backup_id``'s chunks; returns its index and how many
    objects it wrote itself. ``parent`` (idx → ref) makes it incremental. Re-running it
    (a worker killed half-way) rewrites the same names: idempotent."""
    refs: list[ChunkRef] = []
    written = 0
    for idx, piece in enumerate(rechunk(data, chunk_size)):
        if isinstance(piece, Hole) or is_zero(piece):
            length = int(piece) if isinstance(piece, Hole) else len(piece)
            refs.append(ChunkRef(idx, length, zero_sha256(length), None))
            continue
        digest = hashlib.sha256(piece).hexdigest()
        before = (parent or {}).get(idx)
        if (before is not None and before.object and before.sha256 == digest
                and before.length == len(piece)):
            refs.append(ChunkRef(idx, len(piece), digest, before.object))
            continue
        name = object_name(backup_id, idx)
        store.put(name, piece)
        written += 1
        refs.append(ChunkRef(idx, len(piece), digest, name))
    return refs, written


def read_backup(store: BackupStore, refs: Iterable[ChunkRef]) -> Iterator[bytes]:
    """The backed-up bytes, chunk by chunk, each checked against its sha256."""
    for ref in sorted(refs, key=lambda r: r.idx):
        if ref.object is None:
            yield bytes(ref.length)
            continue
        try:
            data = store.get(ref.object)
        except BackupStoreError as exc:
            raise BackupCorrupt(f"chunk {ref.idx}: object {ref.object} is missing") from exc
        if len(data) != ref.length or hashlib.sha256(data).hexdigest() != ref.sha256:
            raise BackupCorrupt(f"chunk {ref.idx}: object {ref.object} does not match "
                                "its recorded sha256")
        yield data

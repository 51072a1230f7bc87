"""An in-memory store for tests; it keeps each blob as the list of chunks it was given, so a
test can see how a write arrived."""
from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator

from onestack.image.drivers.base import CHUNK_SIZE, DataNotFound, Digest, check_id


class MemoryStore:
    def __init__(self, name: str = "memory") -> None:
        self.name = name
        self.blobs: dict[str, list[bytes]] = {}
        self._lock = threading.Lock()

    def write(self, image_id: str, chunks: Iterable[bytes]) -> tuple[int, str, str]:
        check_id(image_id)
        digest = Digest()
        parts: list[bytes] = []
        with self._lock:
            self.blobs.pop(image_id, None)
        for chunk in chunks:
            digest.update(chunk)
            parts.append(bytes(chunk))
        with self._lock:
            self.blobs[image_id] = parts
        return digest.result()

    def read(self, image_id: str, offset: int = 0, length: int | None = None
             ) -> Iterator[bytes]:
        with self._lock:
            parts = self.blobs.get(check_id(image_id))
        if parts is None:
            raise DataNotFound(image_id)
        return self._slices(b"".join(parts), offset, length)

    @staticmethod
    def _slices(data: bytes, offset: int, length: int | None) -> Iterator[bytes]:
        end = len(data) if length is None else min(len(data), offset + length)
        for start in range(offset, end, CHUNK_SIZE):
            yield data[start:min(end, start + CHUNK_SIZE)]

    def delete(self, image_id: str) -> None:
        with self._lock:
            self.blobs.pop(check_id(image_id), None)

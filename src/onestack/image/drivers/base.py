"""The image store seam: three methods, bytes in and bytes out, nothing else.

A store keeps opaque blobs under an image id. It knows nothing about image rows, statuses
or quotas; the service layer decides when to write, read or delete.
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from typing import Protocol

CHUNK_SIZE = 64 * 1024
_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


class DataNotFound(Exception):
    """The store holds nothing under this id."""


class ImageStore(Protocol):
    """Contract, for every implementation:

    * ``write`` consumes ``chunks`` one at a time (never joining them), stores the bytes
      under ``image_id`` (replacing anything stored there before) and returns
      ``(size, md5 hex, sha512 hex)`` of exactly what it stored. If ``chunks`` raises, or
      the store fails, the exception propagates and nothing is left under ``image_id``
      (not even a partial blob).
    * ``read`` yields the stored bytes from ``offset``, at most ``length`` of them (all when
      ``length`` is None), in chunks; raises ``DataNotFound`` when nothing is stored.
    * ``delete`` removes the blob; it succeeds when there is nothing to remove.
    """

    name: str  # the store id clients see (``/v2/info/stores``, an image's ``stores``)

    def write(self, image_id: str, chunks: Iterable[bytes]) -> tuple[int, str, str]: ...

    def read(self, image_id: str, offset: int = 0, length: int | None = None
             ) -> Iterator[bytes]: ...

    def delete(self, image_id: str) -> None: ...


class Digest:
    """Size, md5 and sha512 of a byte stream, fed chunk by chunk."""

    def __init__(self) -> None:
        self.size = 0
        self._md5 = hashlib.md5(usedforsecurity=False)
        self._sha512 = hashlib.sha512()

    def update(self, chunk: bytes) -> None:
        self.size += len(chunk)
        self._md5.update(chunk)
        self._sha512.update(chunk)

    def result(self) -> tuple[int, str, str]:
        return self.size, self._md5.hexdigest(), self._sha512.hexdigest()


def check_id(image_id: str) -> str:
    """Store keys become file names: refuse anything that could leave the store."""
    if not _SAFE_ID.match(image_id):
        raise ValueError(f"unsafe store key {image_id!r}")
    return image_id

"""The default store: one file per image under a directory.

A write goes to a uniquely named temporary file in the same directory, is flushed to disk
and then renamed over the final name, so a reader never sees a partial image and a failed
write leaves nothing behind. Several API processes on one host can share the directory.
"""
from __future__ import annotations

import os
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path

from onestack.image.drivers.base import CHUNK_SIZE, DataNotFound, Digest, check_id


class FilesystemStore:
    def __init__(self, directory: Path, name: str = "file") -> None:
        self.name = name
        self.directory = Path(directory)

    def _path(self, image_id: str) -> Path:
        return self.directory / check_id(image_id)

    def write(self, image_id: str, chunks: Iterable[bytes]) -> tuple[int, str, str]:
        final = self._path(image_id)
        self.directory.mkdir(parents=True, exist_ok=True)
        temp = self.directory / f".{image_id}.{uuid.uuid4().hex}.part"
        digest = Digest()
        try:
            with open(temp, "xb") as out:
                for chunk in chunks:
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp, final)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        return digest.result()

    def read(self, image_id: str, offset: int = 0, length: int | None = None
             ) -> Iterator[bytes]:
        try:
            handle = open(self._path(image_id), "rb")  # noqa: SIM115 - closed by the generator
        except FileNotFoundError as exc:
            raise DataNotFound(image_id) from exc
        return self._chunks(handle, offset, length)

    @staticmethod
    def _chunks(handle, offset: int, length: int | None) -> Iterator[bytes]:
        with handle:
            handle.seek(offset)
            remaining = length
            while remaining is None or remaining > 0:
                want = CHUNK_SIZE if remaining is None else min(CHUNK_SIZE, remaining)
                chunk = handle.read(want)
                if not chunk:
                    return
                if remaining is not None:
                    remaining -= len(chunk)
                yield chunk

    def delete(self, image_id: str) -> None:
        self._path(image_id).unlink(missing_ok=True)

"""The default store: one file per image under a directory.

A write goes to a uniquely named temporary file in the same directory, is flushed to disk
and then renamed over the final name, so a reader never sees a partial image and a failed
write leaves nothing behind. Several API processes on one host can share the directory.
Image bytes are tenants' data: files are created 0600 and a new directory 0700, whatever
the umask (never created readable and tightened afterwards).
"""
from __future__ import annotations

import os
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path

from onestack.image.drivers.base import CHUNK_SIZE, DataNotFound, Digest, check_id

FILE_MODE = 0o600
DIR_MODE = 0o700


class FilesystemStore:
    def __init__(self, directory: Path, name: str = "file") -> None:
        self.name = name
        self.directory = Path(directory)

    def _path(self, image_id: str) -> Path:
        return self.directory / check_id(image_id)

    def write(self, image_id: str, chunks: Iterable[bytes]) -> tuple[int, str, str]:
        final = self._path(image_id)
        self._make_directory()
        temp = self.directory / f".{image_id}.{uuid.uuid4().hex}.part"
        digest = Digest()
        try:
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
            with os.fdopen(fd, "wb") as out:
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

    def _make_directory(self) -> None:
        if not self.directory.is_dir():
            self.directory.parent.mkdir(parents=True, exist_ok=True)
            self.directory.mkdir(mode=DIR_MODE, exist_ok=True)

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

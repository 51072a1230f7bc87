"""Base images on a host: fetched once from the image service, checksum-verified, cached.

Every guest of an image shares one cached file (its overlay's backing file), so the cache
never rewrites a file once it is in place: a download goes to a hidden temporary file, is
compared with the image's checksum (Glance's MD5 ``checksum``) and only then renamed to
the image id. A lock per image (a thread lock and a file lock, as agents of several
hosts may share the directory) makes concurrent spawns of one image download it once."""
from __future__ import annotations

import fcntl
import hashlib
import os
import secrets
import threading
from pathlib import Path
from typing import Any

from onestack.compute.drivers.base import DriverError, ImageRef


class BaseImages:
    def __init__(self, root: Path, images: Any):
        """``images``: the image service's seam (``describe``, ``open_bytes``)."""
        self.root = root
        self.images = images
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def _lock(self, image_id: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(image_id, threading.Lock())

    def fetch(self, image_id: str) -> ImageRef:
        """The image with ``path`` naming the host's verified copy; ``DriverError`` when
        the image is gone, holds no data, or its bytes do not match its checksum."""
        meta = self.images.describe(image_id)
        if meta is None:
            raise DriverError(f"image {image_id} not found")
        ref = ImageRef(image_id, str(self.root / image_id), meta.get("disk_format") or "raw")
        if Path(ref.path or "").exists():
            return ref
        self.root.mkdir(parents=True, exist_ok=True)
        with self._lock(image_id), open(self.root / f".{image_id}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not Path(ref.path or "").exists():
                self._download(image_id, meta.get("checksum"))
        return ref

    def _download(self, image_id: str, checksum: str | None) -> None:
        chunks = self.images.open_bytes(image_id)
        if chunks is None:
            raise DriverError(f"image {image_id} has no data")
        partial = self.root / f".{image_id}.{secrets.token_hex(4)}.part"
        digest = hashlib.md5(usedforsecurity=False)
        try:
            with open(partial, "wb") as f:
                for chunk in chunks:
                    digest.update(chunk)
                    f.write(chunk)
                f.flush()
                os.fsync(f.fileno())
            if checksum and digest.hexdigest() != checksum:
                raise DriverError(f"image {image_id}: the downloaded bytes do not match its "
                                  f"checksum ({digest.hexdigest()} != {checksum})")
            os.chmod(partial, 0o444)  # a backing file: nothing may change it
            os.replace(partial, self.root / image_id)
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()
            partial.unlink(missing_ok=True)

"""The host's base image cache: one verified download per image, nothing left behind by a
download that fails."""
from __future__ import annotations

import hashlib
import threading
from pathlib import Path
from typing import Iterator

import pytest

from onestack.compute.agent.images import BaseImages
from onestack.compute.drivers.base import DriverError


class Images:
    """The two image-seam calls the cache makes, over bytes in memory."""

    def __init__(self, data: dict[str, bytes], checksums: dict[str, str] | None = None):
        self.data = data
        self.checksums = checksums or {
            i: hashlib.md5(b, usedforsecurity=False).hexdigest() for i, b in data.items()}
        self.downloads = 0

    def describe(self, image_id: str) -> dict | None:
        if image_id not in self.data:
            return None
        return {"id": image_id, "disk_format": "qcow2", "checksum": self.checksums[image_id]}

    def open_bytes(self, image_id: str) -> Iterator[bytes] | None:
        self.downloads += 1
        body = self.data[image_id]
        return iter([body[:3], body[3:]])


def test_an_image_is_downloaded_once_and_verified(tmp_path: Path) -> None:
    seam = Images({"img-1": b"base image bytes"})
    cache = BaseImages(tmp_path / "images", seam)
    threads = [threading.Thread(target=cache.fetch, args=("img-1",)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ref = cache.fetch("img-1")
    assert seam.downloads == 1
    assert Path(ref.path).read_bytes() == b"base image bytes"
    assert ref.disk_format == "qcow2" and ref.id == "img-1"


def test_a_checksum_mismatch_keeps_nothing(tmp_path: Path) -> None:
    seam = Images({"img-1": b"tampered"}, {"img-1": "0" * 32})
    cache = BaseImages(tmp_path, seam)
    with pytest.raises(DriverError, match="checksum"):
        cache.fetch("img-1")
    assert [p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock")] == []


def test_a_missing_image_says_so(tmp_path: Path) -> None:
    with pytest.raises(DriverError, match="not found"):
        BaseImages(tmp_path, Images({})).fetch("img-9")

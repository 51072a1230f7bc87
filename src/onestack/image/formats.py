"""What the image service reads from image bytes: the virtual size of a qcow2 image.

Only the header is looked at (the first 32 bytes), captured while the upload streams by.
"""
from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator

QCOW2_MAGIC = b"QFI\xfb"
HEAD_BYTES = 512  # enough for every header we read


def qcow2_virtual_size(head: bytes) -> int | None:
    """The guest-visible disk size from a qcow2 header, or None when ``head`` is not one."""
    if len(head) < 32 or not head.startswith(QCOW2_MAGIC):
        return None
    version, = struct.unpack(">I", head[4:8])
    if version not in (2, 3):
        return None
    size, = struct.unpack(">Q", head[24:32])
    return size


class HeadCapture:
    """Passes chunks through unchanged and keeps the first ``HEAD_BYTES`` bytes."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = chunks
        self.head = b""

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._chunks:
            if len(self.head) < HEAD_BYTES:
                self.head += chunk[:HEAD_BYTES - len(self.head)]
            yield chunk

    def virtual_size(self) -> int | None:
        return qcow2_virtual_size(self.head)

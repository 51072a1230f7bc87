"""qcow2 (and the old qcow, and qed): what the header says about files outside the image.

A qcow2 header is big-endian: magic ``QFI\\xfb``, version (4), backing file offset (8),
backing file name size (4), cluster bits (4), virtual size (8) … and, from version 3 on,
an 8-byte incompatible-feature bitmap at byte 72. A backing file or an *external data
file* (incompatible feature bit 2) makes QEMU open a path named inside the image — a
host file read (OSSA-2024-001) — so either makes the image unsafe, and so does any
incompatible feature this code does not know (QEMU would refuse or misread it).
"""
from __future__ import annotations

import struct

MAGIC = b"QFI\xfb"
QED_MAGIC = b"QED\x00"
HEADER_BYTES = 104  # through the version-3 fields we read
FEATURES_AT = 72
# Incompatible features qemu documents: dirty (0), corrupt (1), external data file (2),
# compression type (3), extended L2 entries (4). Any higher bit is unknown.
DATA_FILE_BIT = 1 << 2
KNOWN_FEATURES = (1 << 5) - 1


def matches(head: bytes) -> bool:
    return len(head) >= 32 and head.startswith(MAGIC)


def virtual_size(head: bytes) -> int | None:
    if not matches(head):
        return None
    version, = struct.unpack(">I", head[4:8])
    if version not in (2, 3):
        return None
    size, = struct.unpack(">Q", head[24:32])
    return size


def problems(head: bytes) -> list[str]:
    """Why the image is unsafe (empty when it is not)."""
    if len(head) < FEATURES_AT:
        return ["truncated qcow2 header"]
    version, backing_offset = struct.unpack(">IQ", head[4:16])
    found = []
    if backing_offset != 0:
        found.append("qcow2 image has a backing file")
    if version == 2:
        return found
    if version != 3:
        return found + [f"unsupported qcow2 version {version}"]
    if len(head) < FEATURES_AT + 8:
        return found + ["truncated qcow2 header"]
    features, = struct.unpack(">Q", head[FEATURES_AT:FEATURES_AT + 8])
    if features & DATA_FILE_BIT:
        found.append("qcow2 image has an external data file")
    if features & ~KNOWN_FEATURES:
        found.append("qcow2 image has unknown incompatible features")
    return found


def qed_matches(head: bytes) -> bool:
    """QED is recognised only to be refused: nothing supports it and it can name files."""
    return head.startswith(QED_MAGIC)

import struct

from onestack.image.inspector import Inspection
from onestack.image.inspector.qcow2 import virtual_size


def qcow2_header(size: int, version: int = 3) -> bytes:
    return b"QFI\xfb" + struct.pack(">IQIIQ", version, 0, 0, 16, size) + b"\0" * 72


def test_qcow2_virtual_size_is_read_from_the_header():
    assert virtual_size(qcow2_header(10 * 1024**3)) == 10 * 1024**3
    assert virtual_size(qcow2_header(1 << 20, version=2)) == 1 << 20


def test_not_qcow2():
    assert virtual_size(b"\0" * 512) is None
    assert virtual_size(b"QFI\xfb") is None  # truncated
    assert virtual_size(qcow2_header(5, version=9)) is None


def test_inspection_passes_chunks_through_and_keeps_only_the_head():
    header = qcow2_header(123456)
    parts = [header[:3], header[3:20], header[20:], b"x" * 4096] + [b"\0" * 65536] * 4
    inspection = Inspection(iter(parts), "qcow2")
    assert list(inspection) == parts
    assert inspection.virtual_size() == 123456
    assert len(inspection.head) == 34 * 1024  # the head, not the whole stream

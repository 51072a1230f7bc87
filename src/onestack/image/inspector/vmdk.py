"""VMDK: only the self-contained variants are safe.

A hosted sparse extent starts with a little-endian header: magic ``KDMV``, version (4),
flags (4), capacity in sectors (8), grain size (8), descriptor offset and size in sectors
(8 + 8), GTEs per GT (4), redundant grain directory offset (8), grain directory offset
(8). The descriptor is text naming a ``createType`` and the extents holding the data.
Every variant except ``monolithicSparse`` and ``streamOptimized`` keeps its data in
*other* files (``monolithicFlat``, ``vmfs``, ``twoGbMaxExtent…``), which a hypervisor
would open on the host; an extent naming a path is unsafe whatever the type. A descriptor
uploaded on its own (plain text) is inspected the same way. A grain directory "at the
end" means a footer overrides the header: it must agree with it.
"""
from __future__ import annotations

import struct

MAGIC = b"KDMV"
DESCRIPTOR_AT = 0x200
DESCRIPTOR_MAX = (1 << 20) - 1
SELF_CONTAINED = ("monolithicsparse", "streamoptimized")
ACCESS = ("rw", "rdonly", "noaccess")
GD_AT_END = 0xFFFFFFFFFFFFFFFF
FOOTER_BYTES = 1536  # footer marker, footer, end-of-stream marker
_HEADER = struct.Struct("<4sIIQQQQIQQ")


def is_sparse(head: bytes) -> bool:
    return head.startswith(MAGIC)


def looks_like_text(head: bytes) -> bool:
    sample = head[:512]
    if not sample:
        return False
    try:
        text = sample.decode("ascii")
    except UnicodeDecodeError:
        return False
    return all(ch.isprintable() or ch.isspace() for ch in text)


def _descriptor(head: bytes) -> str | None:
    if is_sparse(head):
        if len(head) < _HEADER.size:
            return None
        _, _, _, _, _, sector, count, _, _, _ = _HEADER.unpack(head[:_HEADER.size])
        start = sector * 512
        raw = head[start:start + min(count * 512, DESCRIPTOR_MAX)] if start else b""
    else:
        raw = head[:DESCRIPTOR_MAX]
    raw = raw.split(b"\x00", 1)[0]
    try:
        return raw.decode("ascii").lower()
    except UnicodeDecodeError:
        return None


def create_type(head: bytes) -> str | None:
    text = _descriptor(head)
    if text is None or 'createtype="' not in text:
        return None
    start = text.index('createtype="') + len('createtype="')
    end = text.find('"', start)
    return text[start:end] if 0 <= end - start < 64 else None


def matches(head: bytes) -> bool:
    """A sparse header, or a text descriptor that names a ``createType``."""
    return is_sparse(head) or (looks_like_text(head) and create_type(head) is not None)


def needed_bytes(head: bytes) -> int:
    """How much of the stream the descriptor needs (it may reach 1 MiB)."""
    return DESCRIPTOR_AT + DESCRIPTOR_MAX if is_sparse(head) or looks_like_text(head) else 0


def virtual_size(head: bytes) -> int | None:
    if not is_sparse(head) or len(head) < _HEADER.size:
        return None
    return _HEADER.unpack(head[:_HEADER.size])[3] * 512


def problems(head: bytes, tail: bytes | None) -> list[str]:
    """Why the VMDK is unsafe; ``tail`` (the stream's last bytes) is None until the end."""
    if is_sparse(head):
        found = _header_problems(head, tail)
        if found:
            return found
    kind = create_type(head)
    if kind not in SELF_CONTAINED:
        return [f"VMDK subformat {kind or 'unknown'} keeps its data outside the image"]
    return _descriptor_problems(_descriptor(head) or "")


def _header_problems(head: bytes, tail: bytes | None) -> list[str]:
    if len(head) < _HEADER.size:
        return ["truncated VMDK header"]
    fields = _HEADER.unpack(head[:_HEADER.size])
    version, sector, gd_offset = fields[1], fields[5], fields[9]
    if version not in (1, 2, 3):
        return [f"unsupported VMDK version {version}"]
    if sector * 512 != DESCRIPTOR_AT:
        return ["VMDK descriptor is not where it must be"]
    if gd_offset == GD_AT_END and tail is not None:
        return _footer_problems(fields, tail)
    return []


def _footer_problems(header: tuple, tail: bytes) -> list[str]:
    if len(tail) < FOOTER_BYTES:
        return ["VMDK footer missing"]
    footer = _HEADER.unpack(tail[512:512 + _HEADER.size])
    if footer[0] != header[0] or footer[1] != header[1]:
        return ["VMDK footer does not match its header"]
    if footer[5:7] != header[5:7]:
        return ["VMDK footer names another descriptor"]
    if footer[9] == GD_AT_END:
        return ["VMDK footer points at another footer"]
    marker = struct.unpack("<QII", tail[:16])
    end = struct.unpack("<QII", tail[-512:-496])
    if marker[1:] != (0, 3) or any(tail[16:512]) or end != (0, 0, 0) or any(tail[-496:]):
        return ["VMDK footer markers are invalid"]
    return []


def _descriptor_problems(text: str) -> list[str]:
    extents = []
    for line in (x.strip() for x in text.split("\n")):
        if not line or line.startswith("#") or line.startswith("ddb"):
            continue
        key, eq, _ = line.partition("=")
        if eq and " " not in key.strip():
            continue
        if line.split(" ")[0] in ACCESS:
            extents.append(line)
            continue
        return ["VMDK descriptor has a line this cloud does not understand"]
    if not extents:
        return ["VMDK descriptor names no extents"]
    if any("/" in line for line in extents):
        return ["VMDK extent names a path outside the image"]
    return []

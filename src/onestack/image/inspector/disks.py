"""The other formats a disk image can arrive in, recognised from their first sectors.

vhd (``conectix``), vhdx (``vhdxfile``), vdi (magic at 0x40), LUKS v1, ISO 9660/UDF (a
volume descriptor at 32 KiB) and GPT/MBR (the 0x55AA boot signature, not a FAT boot
sector). Only GPT/MBR has a safety check: a protective (0xEE) GPT entry must be the only
partition and start at LBA 1, boot flags must be 0x00 or 0x80, and something must be
partitioned — the shapes QEMU and firmware agree on.
"""
from __future__ import annotations

import struct

ISO_AT = 32 * 1024
ISO_BYTES = ISO_AT + 2048
MBR_SIGNATURE = b"\x55\xaa"
PARTITIONS_AT = 446


def vhd(head: bytes) -> bool:
    return head.startswith(b"conectix")


def vhd_size(head: bytes) -> int | None:
    return struct.unpack(">Q", head[40:48])[0] if vhd(head) and len(head) >= 48 else None


def vhdx(head: bytes) -> bool:
    return head.startswith(b"vhdxfile")


def vdi(head: bytes) -> bool:
    return len(head) >= 0x44 and struct.unpack("<I", head[0x40:0x44])[0] == 0xBEDA107F


def vdi_size(head: bytes) -> int | None:
    return struct.unpack("<Q", head[0x170:0x178])[0] if vdi(head) and len(head) >= 0x178 \
        else None


def luks(head: bytes) -> bool:
    return head.startswith(b"LUKS\xba\xbe")


def luks_problems(head: bytes) -> list[str]:
    version = struct.unpack(">h", head[6:8])[0] if len(head) >= 8 else None
    return [] if version == 1 else [f"LUKS version {version} is not supported"]


def iso(head: bytes) -> bool:
    return len(head) >= ISO_BYTES and head[ISO_AT + 1:ISO_AT + 6] in (b"CD001", b"NSR02",
                                                                       b"NSR03")


def iso_size(head: bytes) -> int | None:
    if not iso(head) or head[ISO_AT] != 1:  # a primary volume descriptor
        return None
    block, = struct.unpack("<H", head[ISO_AT + 128:ISO_AT + 130])
    blocks, = struct.unpack("<I", head[ISO_AT + 80:ISO_AT + 84])
    return block * blocks


def gpt(head: bytes) -> bool:
    """An MBR (GPT's protective one included), but not a FAT volume's boot sector."""
    if len(head) < 512 or head[510:512] != MBR_SIGNATURE:
        return False
    fat = head[0x10] == 2 and head[0x15] == 0xF8
    return not fat


def gpt_problems(head: bytes) -> list[str]:
    used, protective = [], False
    for index in range(4):
        entry = head[PARTITIONS_AT + 16 * index:PARTITIONS_AT + 16 * (index + 1)]
        boot, chs, kind, start = entry[0], entry[1:4], entry[4], struct.unpack(
            "<I", entry[8:12])[0]
        if boot not in (0x00, 0x80):
            return [f"MBR partition {index} has an invalid boot flag"]
        if kind:
            used.append(index)
        if kind == 0xEE:
            protective = True
            if chs != b"\x00\x02\x00" or start != 1:
                return ["GPT protective partition does not start at LBA 1"]
    if protective and used != [0]:
        return ["GPT protective MBR defines other partitions"]
    if not used:
        return ["MBR defines no partitions"]
    return []

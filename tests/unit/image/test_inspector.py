"""The format inspector on tiny images crafted here, byte by byte (no qemu-img): what
Glance's inspector refuses — qcow2 backing/data files and unknown features, VMDKs whose
extents live elsewhere, QED, ambiguous content, bad protective MBRs when declared gpt —
and the disk_format ⇄ content rule (raw is the catch-all)."""
from __future__ import annotations

import os
import struct

import pytest

from onestack.image.inspector import FormatRefused, Inspection, inspect, judge

MiB = 1 << 20


def qcow2(size: int = 1 << 30, version: int = 3, backing: int = 0, features: int = 0
          ) -> bytes:
    head = b"QFI\xfb" + struct.pack(">IQIIQ", version, backing, 0, 16, size)
    head += b"\0" * (72 - len(head)) + struct.pack(">QQQII", features, 0, 0, 4, 104)
    return head + b"\0" * (512 - len(head))


def sparse_vmdk(descriptor: str, gd_offset: int = 64, sectors: int = 2048) -> bytes:
    header = struct.pack("<4sIIQQQQIQQ", b"KDMV", 1, 3, sectors, 128, 1, 20, 512, 0,
                         gd_offset)
    desc = descriptor.encode()
    return header + b"\0" * (512 - len(header)) + desc + b"\0" * (20 * 512 - len(desc))


def descriptor(kind: str, extent: str) -> str:
    return ("# Disk DescriptorFile\nversion=1\nCID=fffffffe\nparentCID=ffffffff\n"
            f'createType="{kind}"\n\n# Extent description\n{extent}\n\n'
            '# The Disk Data Base\nddb.virtualHWVersion = "4"\n')


def iso(extra_mbr: bytes | None = None) -> bytes:
    data = bytearray(36 * 1024)
    data[32768:32774] = b"\x01CD001"
    data[32768 + 80:32768 + 84] = struct.pack("<I", 100)
    data[32768 + 128:32768 + 130] = struct.pack("<H", 2048)
    if extra_mbr:
        data[:512] = extra_mbr
    return bytes(data)


def mbr(entries: list[tuple[int, bytes, int, int]]) -> bytes:
    data = bytearray(512)
    for i, (boot, chs, kind, start) in enumerate(entries):
        data[446 + 16 * i:446 + 16 * (i + 1)] = (bytes([boot]) + chs + bytes([kind])
                                                 + b"\0\0\0" + struct.pack("<II", start, 99))
    data[510:512] = b"\x55\xaa"
    return bytes(data)


PROTECTIVE = mbr([(0, b"\x00\x02\x00", 0xEE, 1)])


def verdict(data: bytes, disk_format: str | None) -> str:
    inspection = Inspection(iter([data[i:i + 700] for i in range(0, len(data), 700)]),
                            disk_format)
    assert b"".join(inspection) == data
    return inspection.detected


def refused(data: bytes, disk_format: str | None, words: str) -> None:
    with pytest.raises(FormatRefused, match=words):
        verdict(data, disk_format)


def test_clean_qcow2_passes_with_its_virtual_size():
    data = qcow2(size=8 << 30) + b"\0" * 4096
    inspection = Inspection(iter([data[:7], data[7:]]), "qcow2")
    list(inspection)
    assert inspection.detected == "qcow2" and inspection.virtual_size() == 8 << 30
    assert verdict(qcow2(version=2), "qcow2") == "qcow2"


@pytest.mark.parametrize("declared", ["qcow2", "raw", "ami", None])
def test_qcow2_with_a_backing_file_is_refused_whatever_is_declared(declared):
    refused(qcow2(backing=0x200) + b"/etc/passwd\0", declared, "backing file")


def test_qcow2_data_file_unknown_features_and_old_versions_are_refused():
    refused(qcow2(features=1 << 2), "qcow2", "external data file")
    refused(qcow2(features=1 << 40), "qcow2", "unknown incompatible features")
    refused(qcow2(version=1), "raw", "unsupported qcow2 version")
    assert verdict(qcow2(features=0b11011), "qcow2") == "qcow2"  # known, harmless bits
    refused(b"QED\x00" + b"\0" * 508, "raw", "QED")


def test_a_virtual_size_beyond_any_disk_is_refused():
    """A header's 64-bit size field can state more than a signed 64-bit column holds (the
    upload was a 500 and the image stuck in saving)."""
    refused(qcow2(size=(1 << 64) - 1), "qcow2", "more than any disk can have")
    refused(qcow2(size=1 << 63), "raw", "more than any disk can have")
    assert verdict(qcow2(size=(1 << 63) - 1), "qcow2") == "qcow2"


def test_self_contained_vmdks_pass():
    good = descriptor("monolithicSparse", 'RW 2048 SPARSE "disk.vmdk"')
    assert verdict(sparse_vmdk(good), "vmdk") == "vmdk"
    assert inspect(sparse_vmdk(good), b"").sizes["vmdk"] == 2048 * 512


@pytest.mark.parametrize("kind, extent, words", [
    ("monolithicFlat", 'RW 2048 FLAT "disk-flat.vmdk" 0', "monolithicflat"),
    ("vmfs", 'RW 2048 VMFS "/vmfs/volumes/x.vmdk"', "vmfs"),
    ("monolithicSparse", 'RW 2048 SPARSE "/etc/shadow"', "path"),
    ("monolithicSparse", "", "no extents"),
    ("monolithicSparse", 'RW 2048 SPARSE "x"\nrm -rf /', "does not understand"),
])
def test_vmdks_reaching_outside_the_image_are_refused(kind, extent, words):
    refused(sparse_vmdk(descriptor(kind, extent)), "vmdk", words)
    refused(sparse_vmdk(descriptor(kind, extent)), "raw", words)


def test_a_bare_descriptor_uploaded_as_raw_is_a_vmdk_and_refused():
    text = descriptor("monolithicFlat", 'RW 2048 FLAT "/dev/sda" 0').encode()
    refused(text, "raw", "monolithicflat")
    assert verdict(b"just some text\n" * 100, "raw") == "raw"


def test_stream_optimized_footer_must_agree_with_the_header():
    desc = descriptor("streamOptimized", 'RW 2048 SPARSE "disk.vmdk"')
    body = sparse_vmdk(desc, gd_offset=0xFFFFFFFFFFFFFFFF)
    header = body[:512]
    footer_marker = struct.pack("<QII", 0, 0, 3) + b"\0" * 496
    eos = b"\0" * 512
    good_footer = header[:56] + struct.pack("<Q", 64) + header[64:]
    assert verdict(body + footer_marker + good_footer + eos, "vmdk") == "vmdk"
    refused(body + footer_marker + header + eos, "vmdk", "another footer")
    refused(body + b"\0" * 1536, "vmdk", "footer")


def test_iso_hybrid_iso_and_mismatches():
    assert verdict(iso(), "iso") == "iso"
    assert verdict(iso(PROTECTIVE), "iso") == "iso"  # a hybrid ISO is an ISO
    assert verdict(iso(), "raw") == "iso"
    refused(iso(), "qcow2", "does not match")
    both = bytearray(iso())
    both[:512] = qcow2()
    refused(bytes(both), "qcow2", "several formats")


def test_gpt_checks_bind_a_declared_gpt_only():
    assert verdict(PROTECTIVE + b"\0" * 4096, "gpt") == "gpt"
    extra = mbr([(0, b"\x00\x02\x00", 0xEE, 1), (0, b"\0\0\0", 0x83, 2048)])
    refused(extra, "gpt", "other partitions")
    refused(mbr([(0x7F, b"\0\0\0", 0x83, 2048)]), "gpt", "boot flag")
    refused(mbr([]), "gpt", "no partitions")
    assert verdict(mbr([]), "raw") == "gpt"  # raw is the catch-all: accepted


@pytest.mark.parametrize("declared", ["qcow2", "vmdk", "vhd", "vhdx", "vdi", "iso"])
def test_unrecognised_bytes_do_not_pass_for_a_specific_format(declared):
    refused(os.urandom(8192).replace(b"\x55\xaa", b"\0\0"), declared, "does not match")


@pytest.mark.parametrize("declared", ["raw", "ami", "ari", "aki", "ploop", None])
def test_unrecognised_bytes_pass_as_raw_or_formats_without_an_inspector(declared):
    assert verdict(b"\x01" * 70_000, declared) == "raw"
    assert verdict(b"", declared) == "raw"


def test_refusal_comes_as_soon_as_the_head_decides():
    pulled = []

    def body():
        yield qcow2(backing=512)
        for n in range(1000):
            pulled.append(n)
            yield b"\0" * 65536

    with pytest.raises(FormatRefused):
        for _ in Inspection(body(), "qcow2"):
            pass
    assert len(pulled) < 5  # 64 MiB were never read


def test_other_formats_are_recognised():
    assert judge(inspect(b"conectix" + b"\0" * 600, b""), "vhd") == "vhd"
    assert judge(inspect(b"vhdxfile" + b"\0" * 600, b""), "vhdx") == "vhdx"
    vdi = bytearray(512)
    vdi[0x40:0x44] = struct.pack("<I", 0xBEDA107F)
    assert judge(inspect(bytes(vdi), b""), "vdi") == "vdi"
    luks2 = b"LUKS\xba\xbe\x00\x02" + b"\0" * 600
    with pytest.raises(FormatRefused, match="LUKS version 2"):
        judge(inspect(luks2, b""), "raw")

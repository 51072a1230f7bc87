"""The image format inspector: reads image bytes as they stream by (upload, stage, import)
and refuses what a hypervisor must never be handed.

Glance's rules, in our own code: every format is detected from the content (several at
once is refused, except an ISO whose system area also holds an MBR — a hybrid ISO);
the detected format's safety checks must pass whatever ``disk_format`` was declared (a
qcow2 with a backing or data file is refused even when declared ``raw``); and a declared
format this inspector knows must match the content — ``raw`` stays the catch-all that
accepts any safe content (Glance's first stage of format enforcement). MBR/GPT checks
only bind a declared ``gpt``: random bytes declared raw end in 0x55AA once in 65,536.

Only the head of the stream (34 KiB; up to 1 MiB for a VMDK descriptor) and its last
1.5 KiB are kept.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from onestack.image.inspector import disks, qcow2, vmdk

HEAD_BYTES = disks.ISO_BYTES
# Declared formats whose content is checked against the declaration.
INSPECTED = frozenset(("qcow2", "vmdk", "vhd", "vhdx", "vdi", "iso", "gpt"))
# a header's size field is 64 bits unsigned; no disk (and no signed 64-bit column) is larger
MAX_VIRTUAL_SIZE = (1 << 63) - 1


class FormatRefused(Exception):
    """The image data is unsafe, ambiguous or not the declared format."""


@dataclass
class Finding:
    formats: list[str]  # what the content is; ["raw"] when nothing specific matched
    problems: dict[str, list[str]] = field(default_factory=dict)
    sizes: dict[str, int | None] = field(default_factory=dict)

    @property
    def format(self) -> str:
        if set(self.formats) == {"iso", "gpt"}:
            return "iso"
        if len(self.formats) > 1:
            raise FormatRefused("Image data matches several formats at once ("
                                + ", ".join(sorted(self.formats)) + ").")
        return self.formats[0]


def inspect(head: bytes, tail: bytes | None) -> Finding:
    """What ``head`` (the stream's first bytes) is; ``tail`` (its last bytes) is None
    until the stream has ended (checks that need it wait)."""
    found = Finding([])

    def add(name: str, problems: list[str] | None = None, size: int | None = None) -> None:
        found.formats.append(name)
        found.problems[name] = problems or []
        found.sizes[name] = size

    if qcow2.matches(head):
        add("qcow2", qcow2.problems(head), qcow2.virtual_size(head))
    if qcow2.qed_matches(head):
        add("qed", ["the QED format is not supported"])
    if vmdk.matches(head):
        add("vmdk", vmdk.problems(head, tail), vmdk.virtual_size(head))
    for name, test, size in (("vhd", disks.vhd, disks.vhd_size), ("vhdx", disks.vhdx, None),
                             ("vdi", disks.vdi, disks.vdi_size), ("iso", disks.iso,
                                                                   disks.iso_size)):
        if test(head):
            add(name, [], size(head) if size else None)
    if disks.luks(head):
        add("luks", disks.luks_problems(head))
    if disks.gpt(head):
        add("gpt", disks.gpt_problems(head))
    if not found.formats:
        add("raw")
    return found


def judge(finding: Finding, disk_format: str | None) -> str:
    """The detected format, or ``FormatRefused`` with the reason."""
    detected = finding.format
    problems = finding.problems.get(detected, [])
    if problems and (detected != "gpt" or disk_format == "gpt"):
        raise FormatRefused(f"Image data failed the safety checks for format '{detected}': "
                            + "; ".join(problems) + ".")
    if disk_format in INSPECTED and detected != disk_format:
        raise FormatRefused(f"Image data does not match the declared disk_format "
                            f"'{disk_format}' (the content is '{detected}').")
    size = finding.sizes.get(detected)
    if size is not None and size > MAX_VIRTUAL_SIZE:
        raise FormatRefused(f"Image data states a virtual size of {size} bytes, more than "
                            f"any disk can have.")
    return detected


class Inspection:
    """Passes chunks through unchanged, refusing (``FormatRefused`` raised into whoever
    consumes the stream) as soon as the head decides it, or at the end at the latest."""

    def __init__(self, chunks: Iterable[bytes], disk_format: str | None) -> None:
        self._chunks = chunks
        self.disk_format = disk_format
        self.head = bytearray()
        self.tail = b""
        self._early_done = False
        self.detected: str | None = None
        self.finding: Finding | None = None

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._chunks:
            self._take(chunk)
            if not self._early_done and len(self.head) >= self._head_limit():
                self._early_done = True
                judge(inspect(bytes(self.head), None), self.disk_format)
            yield chunk
        self.finding = inspect(bytes(self.head), self.tail)
        self.detected = judge(self.finding, self.disk_format)

    def _head_limit(self) -> int:
        return max(HEAD_BYTES, vmdk.needed_bytes(bytes(self.head[:512])))

    def _take(self, chunk: bytes) -> None:
        room = self._head_limit() - len(self.head)
        if room > 0:
            self.head += chunk[:room]
        keep = vmdk.FOOTER_BYTES
        self.tail = chunk[-keep:] if len(chunk) >= keep else (self.tail + chunk)[-keep:]

    def virtual_size(self) -> int | None:
        """The guest disk size the content states, when it is the declared format."""
        if self.finding is None or self.detected != self.disk_format:
            return None
        return self.finding.sizes.get(self.detected)

"""Attachment rules (Cinder's names): a project member attaches its project's volumes
(Nova calls these with the user's token); multiattach of a bootable in-use volume has a
rule of its own, as in Cinder."""
from __future__ import annotations

from onestack.volume.policies import MEMBER

RULES: list[tuple[str, str]] = [
    ("volume:attachment_create", MEMBER),
    ("volume:attachment_update", MEMBER),
    ("volume:attachment_complete", MEMBER),
    ("volume:attachment_delete", MEMBER),
    ("volume:multiattach_bootable_volume", MEMBER),
]

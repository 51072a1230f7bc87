"""User message rules (Cinder's names): a project's readers list and show its messages,
its members delete them."""
from __future__ import annotations

from onestack.volume.policies import MEMBER, READER

RULES: list[tuple[str, str]] = [
    ("message:get_all", READER),
    ("message:get", READER),
    ("message:delete", MEMBER),
]

"""Volume transfer rules (Cinder's names): the volume's project offers and withdraws it,
any project member accepts with the key."""
from __future__ import annotations

from onestack.volume.policies import MEMBER, READER

RULES: list[tuple[str, str]] = [
    ("volume:create_transfer", MEMBER),
    ("volume:get_transfer", READER),
    ("volume:get_all_transfers", READER),
    ("volume:delete_transfer", MEMBER),
    ("volume:accept_transfer", MEMBER),
]

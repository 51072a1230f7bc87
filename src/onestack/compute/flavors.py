"""The flavors a fresh cloud starts with (the classic m1 set plus tiny test flavors)."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.compute import models as cm
from onestack.core.db import Database, utcnow

DEFAULT_FLAVORS = [
    # id, name, vcpus, ram MiB, disk GiB
    ("1", "m1.tiny", 1, 512, 1),
    ("2", "m1.small", 1, 2048, 20),
    ("3", "m1.medium", 2, 4096, 40),
    ("4", "m1.large", 4, 8192, 80),
    ("5", "m1.xlarge", 8, 16384, 160),
    ("42", "m1.nano", 1, 128, 1),
    ("84", "m1.micro", 1, 192, 1),
]


def ensure_default_flavors(db: Database) -> None:
    def work(s: Session) -> None:
        if s.scalar(sa.select(sa.func.count()).select_from(cm.Flavor)):
            return
        for fid, name, vcpus, ram, disk in DEFAULT_FLAVORS:
            s.add(cm.Flavor(id=fid, name=name, vcpus=vcpus, ram=ram, disk=disk, ephemeral=0,
                            swap=0, rxtx_factor=1.0, is_public=True, disabled=False,
                            extra_specs={}, created_at=utcnow()))
    db.write(work)

"""A volume agent over a migrated database and a driver, with the image service's real
seam over in-memory stores: rows are inserted as the API would write them, and tests call
the agent's ``reconcile`` directly (no worker, no clock)."""
from __future__ import annotations

import hashlib
import uuid
from typing import Any

import sqlalchemy as sa

from onestack.core.db import Database, utcnow
from onestack.image import models as im
from onestack.image.drivers.memory import MemoryStore
from onestack.image.seam import ImageSeam
from onestack.volume.agent.host import VolumeAgent
from onestack.volume.drivers.base import GiB, VolumeDriver
from onestack.volume.models.backends import Backend
from onestack.volume.models.messages import Message
from onestack.volume.models.snapshots import Snapshot
from onestack.volume.models.volumes import Volume, VolumeImageMetadata

MiB = 1 << 20


def pattern(size: int, seed: int = 1) -> bytes:
    block = bytes((i * 13 + seed) % 251 + 1 for i in range(4096))
    return (block * (size // 4096 + 1))[:size]


class World:
    def __init__(self, db: Database, driver: VolumeDriver, host: str | None = None):
        self.db = db
        self.driver = driver
        self.host = host or f"vhost-{uuid.uuid4().hex[:8]}"
        self.images = ImageSeam(db, MemoryStore(), MemoryStore("staging"))
        self.project = uuid.uuid4().hex
        self.agent = self.new_agent(driver)
        self.agent.start()

    def new_agent(self, driver: VolumeDriver) -> VolumeAgent:
        """Another agent process for the same host (a restart)."""
        return VolumeAgent(self.db, None, self.host, driver, images=self.images)

    @property
    def backend(self) -> str:
        return self.agent.name

    # --- arranging -----------------------------------------------------------------------
    def volume(self, status: str = "creating", size: int = 1, **values: Any) -> str:
        ident = values.pop("id", None) or str(uuid.uuid4())
        values.setdefault("host", self.backend)
        now = utcnow()
        self.db.write(lambda s: s.add(Volume(
            id=ident, project_id=self.project, user_id="u", size=size, status=status,
            attach_status=values.pop("attach_status", "detached"), created_at=now,
            updated_at=now, use_quota=values.pop("use_quota", True), bootable=False,
            multiattach=False, availability_zone="nova", **values)))
        return ident

    def snapshot(self, volume_id: str, status: str = "creating", size: int = 1) -> str:
        ident = str(uuid.uuid4())
        now = utcnow()
        self.db.write(lambda s: s.add(Snapshot(
            id=ident, volume_id=volume_id, project_id=self.project, status=status,
            size=size, host=self.backend, progress="0%", created_at=now, use_quota=True)))
        return ident

    def image(self, data: bytes, disk_format: str = "raw", status: str = "active",
              **props: str) -> str:
        ident = str(uuid.uuid4())
        now = utcnow()
        if status == "active":
            size, md5, _ = self.images.store.write(ident, iter([data]))
        else:
            size, md5 = None, None

        def work(s: Any) -> None:
            s.add(im.Image(id=ident, name=f"img-{ident[:6]}", status=status,
                           visibility="public", owner=self.project, size=size,
                           checksum=md5, disk_format=disk_format,
                           container_format="bare", min_disk=0, min_ram=0,
                           protected=False, os_hidden=False, created_at=now,
                           updated_at=now))
            s.flush()
            for key, value in props.items():
                s.add(im.ImageProperty(image_id=ident, name=key, value=value))
        self.db.write(work)
        return ident

    def queued_image(self, disk_format: str = "raw") -> str:
        return self.image(b"", disk_format, status="queued")

    # --- acting --------------------------------------------------------------------------
    def run(self, agent: VolumeAgent | None = None) -> list[str]:
        """Passes over everything pending until nothing is (at most five)."""
        agent = agent or self.agent
        handled: list[str] = []
        for _ in range(5):
            keys = agent.pending()
            if not keys:
                break
            for key in keys:
                agent.reconcile(key)
            handled.extend(keys)
        return handled

    # --- looking -------------------------------------------------------------------------
    def row(self, ident: str) -> Volume | None:
        return self.db.read(lambda s: s.get(Volume, ident))

    def snap(self, ident: str) -> Snapshot | None:
        return self.db.read(lambda s: s.get(Snapshot, ident))

    def backend_row(self) -> Backend:
        return self.db.read(lambda s: s.get(Backend, self.backend))

    def image_meta(self, ident: str) -> dict[str, str]:
        return self.db.read(lambda s: {r.key: r.value for r in s.scalars(
            sa.select(VolumeImageMetadata).where(VolumeImageMetadata.volume_id == ident))})

    def messages(self, ident: str) -> list[Message]:
        return self.db.read(lambda s: list(s.scalars(
            sa.select(Message).where(Message.resource_uuid == ident))))

    def image_row(self, ident: str) -> Any:
        return self.db.read(lambda s: s.get(im.Image, ident))

    def image_bytes(self, ident: str) -> bytes:
        return b"".join(self.images.store.read(ident))

    def head(self, ident: str, n: int) -> bytes:
        out = bytearray()
        for chunk in self.driver.read_volume(ident):
            out += chunk
            if len(out) >= n:
                break
        return bytes(out[:n])

    def usage(self) -> dict[str, int]:
        from onestack.volume.service.quotas import usage

        return self.db.read(lambda s: usage(s, self.project))

    def charge(self, **deltas: int) -> None:
        from onestack.volume.service.quotas import charge

        self.db.write(lambda s: charge(s, self.project, deltas))

    def claim(self, size: int) -> None:
        self.db.write(lambda s: s.execute(sa.update(Backend).where(
            Backend.name == self.backend).values(
            allocated_capacity_gb=Backend.allocated_capacity_gb + size)))


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


__all__ = ["GiB", "MiB", "World", "pattern", "sha"]

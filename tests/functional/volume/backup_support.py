"""Backups through the API with the workers that move them on: a backup worker over a
backup store (the file store, or the in-memory one) and, for restores, the volume agent of
whatever backend a volume landed on, over one file (or memory) driver. Tests call their
``reconcile`` for the rows they made (other modules' rows stay untouched)."""
from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from onestack.core.db import utcnow
from onestack.volume.agent.host import VolumeAgent
from onestack.volume.backup.base import BackupStore
from onestack.volume.backup.reading import DriverReader
from onestack.volume.backup.worker import BackupSource, BackupWorker
from onestack.volume.drivers.base import VolumeDriver
from onestack.volume.models.backends import Service
from tests.functional.volume.conftest import VolApi
from tests.support.api import assert_status

CHUNK = 1 << 20


class Rig:
    def __init__(self, vol: VolApi, driver: VolumeDriver, store: BackupStore,
                 host: str | None = None) -> None:
        self.vol, self.db, self.driver, self.store = vol, vol.db, driver, store
        self.host = host or f"btest-{uuid.uuid4().hex[:6]}"
        self.worker = BackupWorker(self.db, self.host, store,
                                   DriverReader(lambda backend: driver), chunk_size=CHUNK)
        self.worker.register()

    def beat(self) -> None:
        """The worker's service row is the freshest (the API picks it)."""
        now = utcnow() + timedelta(seconds=1)
        self.db.write(lambda s: s.execute(sa.update(Service).where(
            Service.binary == "cinder-backup", Service.host == self.host).values(
            heartbeat_at=now)))

    def agent(self, backend: str) -> VolumeAgent:
        host, _, rest = backend.partition("@")
        return VolumeAgent(self.db, None, host, self.driver, backend=rest.partition("#")[0],
                           backups=BackupSource(self.db, self.store))

    def settle_volume(self, volume_id: str) -> dict[str, Any]:
        """The volume agent's step for the volume (create, restore), then its row."""
        row = self.volume_row(volume_id)
        self.agent(row["host"]).reconcile(f"volume:{volume_id}")
        return self.volume_row(volume_id)

    def volume_row(self, volume_id: str) -> dict[str, Any]:
        from onestack.volume.models.volumes import Volume

        def work(s: Any) -> dict[str, Any]:
            row = s.get(Volume, volume_id)
            return {c.key: getattr(row, c.key) for c in row.__table__.columns}
        return self.db.read(work)

    def work(self, backup_id: str) -> dict[str, Any] | None:
        """The worker's step for the backup; the backup as the admin sees it after."""
        self.worker.reconcile(backup_id)
        got = self.vol.get(f"/backups/{backup_id}", version="3.56")
        return None if got.status_code == 404 else assert_status(got, 200)["backup"]

    def volume(self, token: str, data: bytes = b"", **attrs: Any) -> str:
        """A volume made through the API and created by its agent (holding ``data``)."""
        made = self.vol.volume(token, settle=False, **attrs)
        assert self.settle_volume(made["id"])["status"] == "available"
        if data:
            self.driver.write_volume(made["id"], made["size"], [data])
        return made["id"]

    def backup(self, token: str, volume_id: str, version: str | None = None,
               **attrs: Any) -> dict[str, Any]:
        made = assert_status(self.vol.post("/backups", token, version=version, json={
            "backup": {"volume_id": volume_id, **attrs}}), 202)["backup"]
        done = self.work(made["id"])
        assert done is not None and done["status"] == "available", done
        return done

    def volume_bytes(self, volume_id: str, n: int) -> bytes:
        out = bytearray()
        for chunk in self.driver.read_volume(volume_id):
            out += chunk
            if len(out) >= n:
                break
        return bytes(out[:n])


def make_rig(vol: VolApi, root: Path, *, memory: bool = False) -> Rig:
    if memory:
        from onestack.volume.backup.memory import MemoryStore
        from onestack.volume.drivers.memory import MemoryDriver

        return Rig(vol, MemoryDriver(capacity_gb=100000), MemoryStore())
    from onestack.volume.backup.file import FileStore
    from onestack.volume.drivers.file import FileDriver

    return Rig(vol, FileDriver(root / "volumes"), FileStore(root / "backups"))

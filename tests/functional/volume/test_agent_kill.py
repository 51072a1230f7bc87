"""``kill -9`` of a real ``onestack agent volume --backend file`` process mid-create and
mid-delete, then a restart: every volume ends ``available`` (with the right bytes),
``error`` with a message, or gone — never stuck in ``creating``/``deleting`` — and no
half-written copy is left in the backend's scratch space."""
from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import time
import uuid
from pathlib import Path
from typing import Callable

import pytest
import sqlalchemy as sa

from onestack.core.db import Database, utcnow
from onestack.volume.drivers.file import FileDriver
from onestack.volume.models.volumes import Volume
from tests.functional.volume.conftest import VolApi
from tests.support.processes import cli_env, onestack_executable

MiB = 1 << 20
CLONES = 12


DATA_MIB = 128


def sha(path: Path) -> tuple[int, str]:
    """The file's size and the SHA-256 of its data part (the rest is a hole of zeros)."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        digest.update(f.read(DATA_MIB * MiB + 4096))
    return path.stat().st_size, digest.hexdigest()


class AgentProcess:
    def __init__(self, db_url: str, host: str, data_dir: Path, log: Path):
        exe = onestack_executable()
        if exe is None:
            pytest.skip("the onestack console script is not installed")
        self.args = [exe, "agent", "volume", "--host", host, "--backend", "file",
                     "--state-dir", str(data_dir), "--database-url", db_url]
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        out = open(self.log, "ab")  # noqa: SIM115 - closed with the process
        self.proc = subprocess.Popen(self.args, env=cli_env(), stdout=out, stderr=out)
        out.close()

    def kill9(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(30)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(30)


def statuses(db: Database, ids: list[str]) -> dict[str, str]:
    return db.read(lambda s: dict(s.execute(sa.select(Volume.id, Volume.status)
                                            .where(Volume.id.in_(ids))).all()))


def until(check: Callable[[], bool], timeout: float = 180.0, what: str = "",
          poll: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(poll)


def test_kill_9_mid_create_and_mid_delete_then_restart(vol: VolApi, db_url: str,
                                                       tmp_path: Path) -> None:
    host = f"killhost-{uuid.uuid4().hex[:6]}"
    backend = f"{host}@file#file"
    data_dir = tmp_path / "data"
    seed = FileDriver(data_dir / "volumes")  # where the agent keeps them
    source = str(uuid.uuid4())
    block = hashlib.sha256(b"seed").digest() * (MiB // 32)
    seed.write_volume(source, 1, (block for _ in range(DATA_MIB)))  # data to copy
    want = sha(seed.volume_path(source))
    project = uuid.uuid4().hex
    now = utcnow()

    def add(ident: str, status: str, **values: object) -> None:
        vol.db.write(lambda s: s.add(Volume(
            id=ident, project_id=project, user_id="u", size=1, status=status,
            attach_status="detached", availability_zone="nova", host=backend,
            bootable=False, multiattach=False, use_quota=False, created_at=now,
            updated_at=now, **values)))
    add(source, "available", provider_location=str(seed.volume_path(source)))
    clones = [str(uuid.uuid4()) for _ in range(CLONES)]
    for ident in clones:
        add(ident, "creating", source_volid=source)

    agent = AgentProcess(db_url, host, data_dir, tmp_path / "agent.log")
    try:
        agent.start()
        scratch = data_dir / "volumes" / ".scratch"
        # killed while a copy is being written (a temporary file in the scratch space)
        until(lambda: any(scratch.iterdir()), what="a copy in progress", poll=0.002)
        agent.kill9()
        after_kill = statuses(vol.db, clones)
        left = [i for i, st in after_kill.items() if st == "creating"]
        agent.start()
        until(lambda: set(statuses(vol.db, clones).values()) <= {"available", "error"},
              what="every clone to settle")
        final = statuses(vol.db, clones)
        assert set(final.values()) == {"available"}, final
        for ident in clones:
            assert sha(seed.volume_path(ident)) == want
        assert left, after_kill  # the kill left creates behind

        # mid-delete
        vol.db.write(lambda s: s.execute(sa.update(Volume).where(Volume.id.in_(clones))
                                         .values(status="deleting")))
        until(lambda: len(statuses(vol.db, clones)) < CLONES, what="a first delete")
        agent.kill9()
        agent.start()
        until(lambda: not statuses(vol.db, clones), what="every delete")
        for ident in clones:
            assert not seed.volume_path(ident).exists()
        assert seed.volume_path(source).exists()
        agent.stop()
        assert list(scratch.iterdir()) == []
    finally:
        agent.stop()

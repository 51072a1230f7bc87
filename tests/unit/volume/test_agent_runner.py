"""The volume agent runner: one agent (for the first host of the context), the driver and
directory the settings choose, woken through ``volume.agent.<host>`` (the API's
``wake``), stopped by the function ``start`` returns; ``onestack agent volume --backend``
reaches the settings."""
from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from onestack.cli.main import _settings, parser
from onestack.core.bus import InProcessBus
from onestack.core.config import Settings
from onestack.core.db import Database, utcnow
from onestack.core.registry import AgentContext
from onestack.volume.agent import runner
from onestack.volume.drivers.file import FileDriver
from onestack.volume.drivers.memory import MemoryDriver
from onestack.volume.models.backends import Backend
from onestack.volume.models.volumes import Volume
from onestack.volume.wake import wake
from tests.support.databases import configured_backends, migrated_database

BACKENDS = configured_backends()


@pytest.fixture(scope="module", params=BACKENDS, ids=[b.kind for b in BACKENDS])
def db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
       ) -> Iterator[Database]:
    with migrated_database(request.param, tmp_path_factory.mktemp("db")) as handle:
        yield handle


def test_the_cli_backend_option_reaches_the_settings() -> None:
    args = parser().parse_args(["agent", "volume", "--host", "h1", "--backend", "memory"])
    assert _settings(args).volume_backend == "memory"
    args = parser().parse_args(["agent", "volume", "--host", "h1"])
    assert _settings(args).volume_backend == "file"
    with pytest.raises(SystemExit):
        parser().parse_args(["agent", "volume", "--backend", "lvm"])


def test_the_driver_and_its_directory_come_from_the_settings(tmp_path: Path) -> None:
    driver = runner.make_driver(Settings(volume_capacity_gb=9), tmp_path)
    assert isinstance(driver, FileDriver) and driver.root == (tmp_path / "volumes").resolve()
    assert driver.capacity().total_gb == 9
    own = runner.make_driver(Settings(volume_data_dir=str(tmp_path / "own")), tmp_path)
    assert own.root == (tmp_path / "own").resolve()  # type: ignore[attr-defined]
    assert isinstance(runner.make_driver(Settings(volume_backend="memory"), None),
                      MemoryDriver)
    with pytest.raises(ValueError):
        runner.make_driver(Settings(volume_backend="lvm"), None)


def test_one_agent_for_the_first_host_woken_by_the_api(db: Database, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch
                                                       ) -> None:
    """Three fake hosts on one disk give one backend (three would each report the whole
    filesystem); a wake-up moves a create long before the (here one-minute) resync."""
    monkeypatch.setattr(runner, "RESYNC_SECONDS", 60.0)
    tag = uuid.uuid4().hex[:6]
    hosts = ((f"c1-{tag}", "nova"), (f"c2-{tag}", "nova"), (f"c3-{tag}", "az2"))
    bus = InProcessBus()
    ctx = AgentContext(db, bus, Settings(volume_backend="memory"), hosts=hosts,
                       state_dir=tmp_path)
    stop = runner.start(ctx)
    try:
        names = db.read(lambda s: list(s.scalars(sa.select(Backend.name).where(
            Backend.host.like(f"%-{tag}")))))
        assert names == [f"c1-{tag}@memory#memory"]
        time.sleep(0.3)  # the worker's first pass found nothing and now waits
        vid = str(uuid.uuid4())
        now = utcnow()
        db.write(lambda s: s.add(Volume(
            id=vid, project_id="p", user_id="u", size=1, status="creating",
            attach_status="detached", availability_zone="nova", host=names[0],
            bootable=False, multiattach=False, use_quota=False, created_at=now,
            updated_at=now)))
        wake(bus, names[0], vid)
        deadline = time.monotonic() + 20
        while db.read(lambda s: s.get(Volume, vid).status) != "available":
            assert time.monotonic() < deadline, "the wake-up did not reach the agent"
            time.sleep(0.02)
    finally:
        stop()


def test_restores_read_the_backup_source_handed_over(tmp_path: Path) -> None:
    handed = object()
    ctx = AgentContext(None, None, Settings(), seams={"volume_backup": handed})  # type: ignore[arg-type]
    assert runner.backup_source(ctx) is handed
    fallback = runner.backup_source(AgentContext(None, None, Settings(),  # type: ignore[arg-type]
                                                 state_dir=tmp_path))
    assert hasattr(fallback, "open_backup")

"""The parts of ``onestack up --driver qemu`` that need no root: the guest image uploaded
once and inspected, the host namespace's name, which driver each agent kind starts on."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Callable, Iterator

import pytest
import sqlalchemy as sa

from onestack.cli import up
from onestack.cli import dataplane
from onestack.cli.dataplane import GUEST_IMAGE_NAME, default_netns, ensure_guest_image
from onestack.core.config import Settings
from onestack.core.db import Database
from onestack.core.registry import AgentContext, AgentRunner, Registry, ServiceSpec
from onestack.image import models as m
from onestack.image.inspector import FormatRefused
from onestack.image.stores import ENV_DIR
from tests.support.databases import configured_backends, migrated_database

OWNER = "0123456789abcdef0123456789abcdef"


@pytest.fixture()
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    monkeypatch.setenv(ENV_DIR, str(tmp_path / "images"))  # database servers' image dir
    (tmp_path / "db").mkdir()
    with migrated_database(configured_backends()[0], tmp_path / "db") as handle:
        yield handle


def images(db: Database) -> list[tuple[str, str, str, int | None]]:
    return db.read(lambda s: [(r.id, r.status, r.visibility, r.virtual_size) for r in s.scalars(
        sa.select(m.Image).where(m.Image.name == GUEST_IMAGE_NAME))])


@pytest.mark.skipif(shutil.which("qemu-img") is None, reason="needs qemu-img (qemu-utils)")
def test_the_guest_image_is_uploaded_once_as_a_public_qcow2(db: Database,
                                                             tmp_path: Path) -> None:
    disk = tmp_path / "guest.qcow2"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(disk), "64M"], check=True)
    settings = Settings(database_url=db.url)
    first = ensure_guest_image(db, settings, disk, OWNER)
    assert images(db) == [(first, "active", "public", 64 << 20)]
    assert ensure_guest_image(db, settings, disk, OWNER) == first  # a restart: no second
    assert len(images(db)) == 1


def test_a_guest_image_that_is_no_qcow2_is_refused_and_leaves_no_image(
        db: Database, tmp_path: Path) -> None:
    disk = tmp_path / "raw.img"
    disk.write_bytes(b"\0" * (1 << 20))
    with pytest.raises(FormatRefused):
        ensure_guest_image(db, Settings(database_url=db.url), disk, OWNER)
    assert images(db) == []


def test_the_host_namespace_is_named_after_the_data_dir(tmp_path: Path) -> None:
    name = default_netns(tmp_path / "a")
    assert name.startswith("onestack-") and len(name) <= 17
    assert name == default_netns(tmp_path / "a" / ".." / "a")
    assert name != default_netns(tmp_path / "b")


def test_up_with_qemu_starts_each_agent_kind_on_its_real_driver(tmp_path: Path) -> None:
    started: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {}

    def runner(kind: str) -> AgentRunner:
        def start(ctx: AgentContext) -> Callable[[], None]:
            started[kind] = (ctx.driver, ctx.hosts)
            return lambda: None
        return AgentRunner(kind, start)
    registry = Registry()
    for kind in ("scheduler", "compute", "network", "volume"):
        registry.register(ServiceSpec(name=kind, prefix="/" + kind, routes=lambda p: [],
                                      agents=(runner(kind),)))
    stops: list[Callable[[], None]] = []
    up.agents_starter(Settings(), None, None, tmp_path, registry, stops, "qemu")()
    host = ((up.real_host(), "nova"),)
    assert started == {"scheduler": ("fake", host), "compute": ("qemu", host),
                       "network": ("linux", host), "volume": ("fake", host)}
    assert len(stops) == 4


def test_up_with_qemu_refuses_to_start_without_root(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dataplane.os, "geteuid", lambda: 1000)
    with pytest.raises(SystemExit, match="needs root"):
        dataplane.Dataplane.prepare(Settings(), tmp_path)

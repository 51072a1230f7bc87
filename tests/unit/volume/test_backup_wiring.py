"""How the backup side is wired into the volume service's registration: the ``backup``
agent runner, and the volume agent's restores reading through ``ctx.seams
["volume_backup"]`` (a ``BackupSource`` over the store under the state dir)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from onestack.core.config import Settings
from onestack.core.registry import AgentContext
from onestack.volume import app
from onestack.volume.backup.file import FileStore
from onestack.volume.backup.worker import BackupSource


def test_the_volume_service_registers_a_backup_runner() -> None:
    kinds = {runner.kind: runner for runner in app.SPEC.agents}
    assert set(kinds) == {"volume", "backup"}
    assert kinds["backup"].start is app.start_backup


def test_the_volume_agent_gets_the_backup_source(monkeypatch: pytest.MonkeyPatch,
                                                 tmp_path: Path) -> None:
    from onestack.volume.agent import runner

    seen: list[AgentContext] = []
    monkeypatch.setattr(runner, "start", lambda ctx: seen.append(ctx) or (lambda: None))
    app.start_agents(AgentContext(db=None, bus=None, settings=Settings(),  # type: ignore
                                  hosts=(("h", "nova"),), state_dir=tmp_path,
                                  seams={"image": "img"}))
    (ctx,) = seen
    source: Any = ctx.seams["volume_backup"]
    assert isinstance(source, BackupSource) and ctx.seams["image"] == "img"
    assert isinstance(source.store, FileStore)
    assert source.store.root == (tmp_path / "backups").resolve()

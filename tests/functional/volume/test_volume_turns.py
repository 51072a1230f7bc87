"""The Block Storage API runs at most its turns' count of handlers at once in a process
(``volume.api.turns``): many requests at once all get their answers, a few at a time."""
from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from onestack.volume.api.turns import SERVER_TURNS, SQLITE_TURNS
from onestack.volume.service.volumes import VolumeService
from tests.functional.volume.conftest import VolApi


def test_requests_at_once_run_a_few_at_a_time(vol: VolApi, admin_project_id: str,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    vol.unlimit(admin_project_id)
    vid = vol.volume()["id"]
    turns = SQLITE_TURNS if vol.db.is_sqlite else SERVER_TURNS
    lock = threading.Lock()
    seen = {"running": 0, "most": 0}
    real_show = VolumeService.show

    def show(self: VolumeService, *args: Any, **kw: Any) -> Any:
        with lock:
            seen["running"] += 1
            seen["most"] = max(seen["most"], seen["running"])
        try:
            time.sleep(0.05)
            return real_show(self, *args, **kw)
        finally:
            with lock:
                seen["running"] -= 1

    monkeypatch.setattr(VolumeService, "show", show)
    statuses: list[int] = []

    def get() -> None:
        statuses.append(vol.get(f"/volumes/{vid}").status_code)

    threads = [threading.Thread(target=get) for _ in range(turns + 4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert statuses == [200] * (turns + 4)
    assert 1 <= seen["most"] <= turns

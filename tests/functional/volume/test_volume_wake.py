"""The API wakes the agent of the volume's backend host after it commits work for it
(``volume.agent.<host>`` with the volume id), and no one when there is nothing to do."""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from onestack.core.bus import NullBus
from onestack.core.db import Database
from onestack.server import build_app
from tests.functional.conftest import settings_for
from tests.functional.volume.conftest import VolApi
from tests.support.api import Api, assert_status


class RecordingBus(NullBus):
    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def notify(self, topic: str, ident: str = "") -> None:
        self.sent.append((topic, ident))


@pytest.fixture(scope="module")
def woken(db_url: str, admin_token: str, vol: VolApi) -> Iterator[tuple[VolApi, RecordingBus]]:
    bus = RecordingBus()
    db = Database(db_url)
    base = Api(build_app(settings_for(db_url), db, bus=bus).asgi)
    try:
        yield VolApi(base, admin_token, vol.db), bus
    finally:
        base.close()
        db.dispose()


def test_create_and_delete_wake_the_backends_agent(woken: tuple[VolApi, RecordingBus],
                                                   admin_project_id: str) -> None:
    client, bus = woken
    client.unlimit(admin_project_id)
    name = client.backend("wakehost@file#file", total=10, zone="wakezone")
    v = client.volume(availability_zone="wakezone")
    assert bus.sent[-1] == ("volume.agent.wakehost", v["id"]), name
    assert_status(client.delete(f"/volumes/{v['id']}"), 202)
    assert bus.sent[-1] == ("volume.agent.wakehost", v["id"])


def test_nothing_to_wake_for_an_unplaced_volume(woken: tuple[VolApi, RecordingBus]) -> None:
    client, bus = woken
    client.backend("wakefull@file#file", total=0, zone="fullzone")
    before = len(bus.sent)
    v = client.volume(availability_zone="fullzone", settle=False)
    assert v["status"] == "error" and len(bus.sent) == before
    assert_status(client.delete(f"/volumes/{v['id']}"), 202)
    assert len(bus.sent) == before

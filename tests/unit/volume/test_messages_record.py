"""``service.messages.record``: the user message other areas write when a request fails."""
from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from onestack.core.db import Database
from onestack.volume.models.messages import Message
from onestack.volume.service import messages
from tests.support.databases import configured_backends, migrated_database

BACKENDS = configured_backends()


@pytest.fixture(scope="module", params=BACKENDS, ids=[b.kind for b in BACKENDS])
def db(request: pytest.FixtureRequest,
       tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    with migrated_database(request.param, tmp_path_factory.mktemp("db")) as handle:
        yield handle


def test_record_with_cinder_codes_builds_event_id_and_text(db: Database) -> None:
    vol = str(uuid.uuid4())
    ident = db.write(lambda s: messages.record(
        s, "p1", messages.Resource.VOLUME, vol, None, messages.Detail.NO_BACKEND_AVAILABLE,
        messages.Action.SCHEDULE_ALLOCATE_VOLUME))
    row = db.read(lambda s: s.get(Message, ident))
    assert row.event_id == "VOLUME_VOLUME_001_003"
    assert row.user_message == ("schedule allocate volume:Could not find any available "
                                "weighted backend.")
    assert row.resource_uuid == vol and row.project_id == "p1"
    assert row.message_level == "ERROR" and row.request_id.startswith("req-")
    assert (row.expires_at - row.created_at).days == 30


def test_record_with_plain_text(db: Database) -> None:
    ident = db.write(lambda s: messages.record(
        s, "p2", "VOLUME_SNAPSHOT", "x", "VOLUME_VOLUME_SNAPSHOT_009_013",
        "Snapshot failed to create.", "create snapshot", request_id="req-abc"))
    row = db.read(lambda s: s.get(Message, ident))
    assert row.event_id == "VOLUME_VOLUME_SNAPSHOT_009_013"
    assert row.user_message == "create snapshot:Snapshot failed to create."
    assert row.request_id == "req-abc"

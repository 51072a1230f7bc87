"""``/messages`` (3.3+): the user messages ``service.messages.record`` writes, as the
project that caused them reads them (Tempest's message schemas)."""
from __future__ import annotations

import uuid
from datetime import timedelta

import sqlalchemy as sa

from onestack.core.db import Database, utcnow
from onestack.volume.models.messages import Message
from onestack.volume.service import messages
from tests.functional.volume.conftest import VolApi, cinder_fault
from tests.support.api import assert_status
from tests.support.identity import Cloud, Member

V = "3.3"


def record(db: Database, project_id: str, resource_id: str | None = None,
           detail: tuple[str, str] = messages.Detail.NO_BACKEND_AVAILABLE) -> str:
    return db.write(lambda s: messages.record(
        s, project_id, messages.Resource.VOLUME, resource_id or str(uuid.uuid4()), None,
        detail, messages.Action.SCHEDULE_ALLOCATE_VOLUME))


def test_show_list_delete_own_message(vol: VolApi, vol_db: Database, member: Member) -> None:
    volume_id = str(uuid.uuid4())
    ident = record(vol_db, member.project["id"], volume_id)
    shown = assert_status(vol.get(f"/messages/{ident}", member.token, version=V),
                          200)["message"]
    assert set(shown) == {"id", "event_id", "user_message", "message_level", "created_at",
                          "guaranteed_until", "request_id", "links", "resource_type",
                          "resource_uuid"}
    assert shown["event_id"] == "VOLUME_VOLUME_001_003"
    assert shown["user_message"] == ("schedule allocate volume:Could not find any "
                                     "available weighted backend.")
    assert shown["resource_uuid"] == volume_id and shown["resource_type"] == "VOLUME"
    assert shown["message_level"] == "ERROR" and shown["request_id"].startswith("req-")
    assert shown["guaranteed_until"] > shown["created_at"]
    listed = assert_status(vol.get("/messages", member.token, version=V), 200)["messages"]
    assert [m["id"] for m in listed] == [ident] and listed[0] == shown
    response = vol.delete(f"/messages/{ident}", member.token, version=V)
    assert response.status_code == 204, response.text
    cinder_fault(vol.get(f"/messages/{ident}", member.token, version=V), 404)


def test_other_projects_messages_are_404(vol: VolApi, vol_db: Database, cloud: Cloud,
                                         member: Member) -> None:
    other = cloud.make_project_member()
    ident = record(vol_db, other.project["id"])
    cinder_fault(vol.get(f"/messages/{ident}", member.token, version=V), 404)
    cinder_fault(vol.delete(f"/messages/{ident}", member.token, version=V), 404)
    assert ident not in [m["id"] for m in assert_status(
        vol.get("/messages", member.token, version=V), 200)["messages"]]
    # the admin sees it, and lists every project's with all_tenants
    assert_status(vol.get(f"/messages/{ident}", version=V), 200)
    everyone = assert_status(vol.get("/messages", version=V,
                                     params={"all_tenants": "1"}), 200)["messages"]
    assert ident in [m["id"] for m in everyone]


def test_reader_cannot_delete(vol: VolApi, vol_db: Database, cloud: Cloud) -> None:
    reader = cloud.make_project_member(role="reader")
    ident = record(vol_db, reader.project["id"])
    assert_status(vol.get(f"/messages/{ident}", reader.token, version=V), 200)
    cinder_fault(vol.delete(f"/messages/{ident}", reader.token, version=V), 403)


def test_needs_3_3(vol: VolApi) -> None:
    cinder_fault(vol.get("/messages"), 404)
    cinder_fault(vol.get("/messages", version="3.2"), 404)


def test_pagination_sort_filters(vol: VolApi, vol_db: Database, member: Member) -> None:
    project = member.project["id"]
    ids = [record(vol_db, project) for _ in range(3)]
    special = record(vol_db, project, detail=messages.Detail.DRIVER_FAILED_CREATE)
    everything = ids + [special]
    page = assert_status(vol.get("/messages", member.token, version="3.5",
                                 params={"limit": 2, "sort": "created_at:asc"}), 200)
    assert [m["id"] for m in page["messages"]] == everything[:2]
    link = page["messages_links"][0]
    assert link["rel"] == "next" and f"marker={everything[1]}" in link["href"]
    rest = assert_status(vol.get("/messages", member.token, version="3.5", params={
        "limit": 5, "sort": "created_at:asc", "marker": everything[1]}), 200)
    assert [m["id"] for m in rest["messages"]] == everything[2:]
    assert "messages_links" not in rest
    newest_first = assert_status(vol.get("/messages", member.token, version="3.5"), 200)
    assert [m["id"] for m in newest_first["messages"]] == everything[::-1]
    only = assert_status(vol.get("/messages", member.token, version="3.5", params={
        "event_id": "VOLUME_VOLUME_001_012"}), 200)["messages"]
    assert [m["id"] for m in only] == [special]
    cinder_fault(vol.get("/messages", member.token, version="3.33",
                         params={"colour": "red"}), 400)
    cinder_fault(vol.get("/messages", member.token, version="3.5",
                         params={"sort": "colour:asc"}), 400)


def test_expired_messages_go(vol: VolApi, vol_db: Database, member: Member) -> None:
    ident = record(vol_db, member.project["id"])
    vol_db.write(lambda s: s.execute(sa.update(Message).where(Message.id == ident).values(
        expires_at=utcnow() - timedelta(seconds=1))))
    listed = assert_status(vol.get("/messages", member.token, version=V), 200)["messages"]
    assert ident not in [m["id"] for m in listed]
    assert vol_db.read(lambda s: s.get(Message, ident)) is None

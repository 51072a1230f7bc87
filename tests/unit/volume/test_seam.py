"""The compute ↔ volume seam (``onestack.volume.seam.VolumeSeam``): reserve → attach with a
connector → complete → detach, and terminate on server delete, over a migrated database —
as the compute API (a user's context) and as compute's agent (no context, no policy)."""
from __future__ import annotations

import uuid
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from onestack.core.bus import NullBus
from onestack.core.config import Settings
from onestack.core.context import RequestContext
from onestack.core.db import Database, utcnow
from onestack.core.errors import BadRequest, Forbidden, NotFound
from onestack.core.platform import Platform
from onestack.core.policy import Policy
from onestack.volume.models.backends import Backend
from onestack.volume.models.volumes import Attachment, Volume
from onestack.volume.policies import RULES
from onestack.volume.seam import VolumeSeam
from tests.support.databases import configured_backends, migrated_database

BACKENDS = configured_backends()
BACKEND = "seamhost@file#file"
CONNECTOR = {"host": "compute-1", "mountpoint": "/dev/vdb"}


@pytest.fixture(scope="module", params=BACKENDS, ids=[b.kind for b in BACKENDS])
def db(request: pytest.FixtureRequest,
       tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    with migrated_database(request.param, tmp_path_factory.mktemp("db")) as handle:
        if handle.read(lambda s: s.get(Backend, BACKEND)) is None:
            handle.write(lambda s: s.add(Backend(
                name=BACKEND, host="seamhost", backend="file", driver="file",
                total_capacity_gb=100, heartbeat_at=utcnow(), created_at=utcnow())))
        yield handle


@pytest.fixture(scope="module")
def platform(db: Database) -> Platform:
    policy = Policy()
    policy.register(RULES)
    return Platform(db, Settings(database_url=db.url), policy, None, NullBus())


@pytest.fixture
def seam(platform: Platform) -> VolumeSeam:
    return VolumeSeam(platform)


def user(project: str, role: str = "member") -> RequestContext:
    return RequestContext(request_id="req-test", user_id="u", project_id=project,
                          roles=[role])


def make_volume(db: Database, project: str, *, multiattach: bool = False,
                status: str = "available") -> str:
    ident = str(uuid.uuid4())
    now = utcnow()
    db.write(lambda s: s.add(Volume(
        id=ident, project_id=project, user_id="u", size=1, status=status,
        attach_status="detached", host=BACKEND, provider_location=f"/data/volume-{ident}",
        multiattach=multiattach, bootable=False, availability_zone="nova", created_at=now,
        updated_at=now)))
    return ident


def state(db: Database, volume_id: str) -> tuple[str, str] | None:
    row = db.read(lambda s: s.get(Volume, volume_id))
    return None if row is None else (row.status, row.attach_status)


def test_the_attach_flow(seam: VolumeSeam, db: Database) -> None:
    project = uuid.uuid4().hex
    ctx = user(project)
    volume = make_volume(db, project)
    server = str(uuid.uuid4())
    attachment = seam.reserve(ctx, volume, server)
    assert state(db, volume) == ("reserved", "reserved")
    info = seam.attach(None, attachment, CONNECTOR)
    assert info["driver_volume_type"] == "file" and info["serial"] == volume
    assert info["data"] == {"device_path": f"/data/volume-{volume}", "format": "raw",
                            "access_mode": "rw", "volume_id": volume, "qos_specs": None}
    assert state(db, volume) == ("attaching", "attaching")
    seam.complete(None, attachment)
    assert state(db, volume) == ("in-use", "attached")
    (att,) = seam.server_attachments(server)
    assert (att["id"], att["status"], att["device"], att["host"]) == (
        attachment, "attached", "/dev/vdb", "compute-1")
    assert seam.get(ctx, volume)["attachments"][0]["server_id"] == server
    seam.detach(ctx, attachment)
    assert state(db, volume) == ("available", "detached")
    seam.detach(ctx, attachment)  # again: already gone, nothing to do
    assert seam.server_attachments(server) == []


def test_reserve_refuses_what_the_volume_api_refuses(seam: VolumeSeam, db: Database) -> None:
    project = uuid.uuid4().hex
    volume = make_volume(db, project)
    with pytest.raises(NotFound):
        seam.reserve(user(uuid.uuid4().hex), volume, str(uuid.uuid4()))  # another project
    with pytest.raises(Forbidden):
        seam.reserve(user(project, "reader"), volume, str(uuid.uuid4()))
    first = seam.reserve(user(project), volume, str(uuid.uuid4()))
    seam.attach(None, first, CONNECTOR)
    seam.complete(None, first)
    with pytest.raises(BadRequest, match="status must be available to reserve"):
        seam.reserve(user(project), volume, str(uuid.uuid4()))
    broken = make_volume(db, project, status="error")
    with pytest.raises(BadRequest, match="error state"):
        seam.reserve(user(project), broken, str(uuid.uuid4()))
    assert state(db, broken) == ("error", "detached")


def test_multiattach_and_the_same_server_again(seam: VolumeSeam, db: Database) -> None:
    project = uuid.uuid4().hex
    volume = make_volume(db, project, multiattach=True)
    servers = [str(uuid.uuid4()) for _ in range(2)]
    ids = []
    for server in servers:
        att = seam.reserve(None, volume, server)
        seam.attach(None, att, {**CONNECTOR, "host": f"host-{server[:4]}"})
        seam.complete(None, att)
        ids.append(att)
    assert state(db, volume) == ("in-use", "attached")
    # a server moving hosts attaches the same volume again (Cinder allows it)
    again = seam.reserve(None, volume, servers[0])
    assert again not in ids
    seam.detach(None, ids[0])
    seam.detach(None, again)
    assert state(db, volume) == ("in-use", "attached")
    seam.detach(None, ids[1])
    assert state(db, volume) == ("available", "detached")


def test_terminate_detaches_and_deletes_on_termination(seam: VolumeSeam, db: Database
                                                       ) -> None:
    project = uuid.uuid4().hex
    server = str(uuid.uuid4())
    keep, drop = make_volume(db, project), make_volume(db, project)
    for volume in (keep, drop):
        att = seam.reserve(None, volume, server)
        seam.attach(None, att, CONNECTOR)
        seam.complete(None, att)
    detached = seam.terminate(None, server, [drop])
    assert sorted(detached) == sorted([keep, drop])
    assert state(db, keep) == ("available", "detached")
    assert state(db, drop) == ("deleting", "detached")
    assert db.read(lambda s: s.query(Attachment).filter_by(instance_uuid=server).count()) == 0
    assert seam.terminate(None, server, [drop]) == []  # again: nothing left to do


def test_an_agent_context_without_policy(db: Database) -> None:
    """Compute's agent builds the seam from its AgentContext (db, bus, settings)."""
    agent_ctx: Any = SimpleNamespace(db=db, bus=NullBus(), settings=Settings(
        database_url=db.url), seams={})
    seam = VolumeSeam(agent_ctx)
    project = uuid.uuid4().hex
    volume = make_volume(db, project)
    att = seam.reserve(None, volume, str(uuid.uuid4()))
    seam.attach(None, att, CONNECTOR)
    seam.complete(None, att)
    seam.terminate(None, seam.get(None, volume)["attachments"][0]["server_id"], [volume])
    assert state(db, volume) == ("deleting", "detached")


def test_create_volume_for_a_block_device_mapping(seam: VolumeSeam, db: Database) -> None:
    from onestack.volume.app import seed

    seed(db)
    db.write(lambda s: s.get(Backend, BACKEND).__setattr__("heartbeat_at", utcnow()))
    project = uuid.uuid4().hex
    made = seam.create_volume(user(project), 2, name="bdm")
    assert made["status"] == "creating"
    got = seam.get(user(project), made["id"])
    assert (got["size"], got["project_id"], got["status"]) == (2, project, "creating")
    with pytest.raises(NotFound):
        seam.get(user(uuid.uuid4().hex), made["id"])
    db.write(lambda s: s.get(Volume, made["id"]).__setattr__("status", "available"))
    seam.delete_volume(None, made["id"])
    assert state(db, made["id"]) == ("deleting", "detached")
    seam.delete_volume(None, made["id"])  # again: already deleting


def test_registered_as_the_volume_services_seam(platform: Platform, db: Database) -> None:
    """``platform.seams["volume"]`` (and an agent's ``ctx.seams["volume"]``) is this seam."""
    from onestack.core.registry import AgentContext, Registry
    from onestack.volume.app import SPEC

    registry = Registry()
    registry.register(SPEC)
    built = registry.build_seams(platform)["volume"]
    assert isinstance(built, VolumeSeam)
    agent_ctx = registry.with_seams(AgentContext(db=db, bus=NullBus(),
                                                 settings=Settings(database_url=db.url)))
    volume = make_volume(db, uuid.uuid4().hex)
    attachment = agent_ctx.seams["volume"].reserve(None, volume, str(uuid.uuid4()))
    assert built.get(None, volume)["attachments"][0]["id"] == attachment

"""The type lookups other volume areas call: ``resolve_type``, ``default_type``,
``extra_specs`` (service/types.py)."""
from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session

from onestack.core.context import RequestContext
from onestack.core.db import Database, utcnow
from onestack.core.errors import NotFound
from onestack.volume.models.types import (DefaultType, VolumeType, VolumeTypeExtraSpec,
                                          VolumeTypeProject)
from onestack.volume.service import types
from tests.support.databases import configured_backends, migrated_database

BACKENDS = configured_backends()


@pytest.fixture(scope="module", params=BACKENDS, ids=[b.kind for b in BACKENDS])
def db(request: pytest.FixtureRequest,
       tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    with migrated_database(request.param, tmp_path_factory.mktemp("db")) as handle:
        types.ensure_default_type(handle)
        yield handle


def ctx(project: str, admin: bool = False) -> RequestContext:
    return RequestContext(request_id="req", user_id="u", project_id=project,
                          roles=["admin"] if admin else ["member", "reader"])


def make_type(db: Database, public: bool = True, specs: dict[str, str] | None = None,
              access: tuple[str, ...] = ()) -> VolumeType:
    ident, name = str(uuid.uuid4()), f"t-{uuid.uuid4().hex[:8]}"

    def work(s: Session) -> VolumeType:
        row = VolumeType(id=ident, name=name, is_public=public, created_at=utcnow())
        s.add(row)
        s.flush()
        for k, v in (specs or {}).items():
            s.add(VolumeTypeExtraSpec(volume_type_id=ident, key=k, value=v))
        for project in access:
            s.add(VolumeTypeProject(volume_type_id=ident, project_id=project))
        return row

    db.write(work)
    return db.read(lambda s: s.get(VolumeType, ident))


def test_seed_is_idempotent_and_default_is_default(db: Database) -> None:
    types.ensure_default_type(db)
    row = db.read(lambda s: types.default_type(s, "any-project"))
    assert row.name == "__DEFAULT__"


def test_resolve_by_id_and_by_name(db: Database) -> None:
    t = make_type(db)
    assert db.read(lambda s: types.resolve_type(s, ctx("p"), t.id)).id == t.id
    assert db.read(lambda s: types.resolve_type(s, ctx("p"), t.name)).id == t.id


def test_unknown_type_is_404(db: Database) -> None:
    with pytest.raises(NotFound) as err:
        db.read(lambda s: types.resolve_type(s, ctx("p"), "no-such-type"))
    assert "could not be found" in err.value.message


def test_private_type_needs_access(db: Database) -> None:
    t = make_type(db, public=False, access=("p-in",))
    assert db.read(lambda s: types.resolve_type(s, ctx("p-in"), t.id)).id == t.id
    assert db.read(lambda s: types.resolve_type(s, ctx("x", admin=True), t.name)).id == t.id
    with pytest.raises(NotFound):
        db.read(lambda s: types.resolve_type(s, ctx("p-out"), t.id))


def test_project_default_type_wins(db: Database) -> None:
    t = make_type(db)
    db.write(lambda s: s.add(DefaultType(project_id="p-def", volume_type_id=t.id,
                                         created_at=utcnow())))
    assert db.read(lambda s: types.default_type(s, "p-def")).id == t.id
    assert db.read(lambda s: types.default_type(s, "p-other")).name == "__DEFAULT__"


def test_extra_specs(db: Database) -> None:
    t = make_type(db, specs={"multiattach": "<is> True", "volume_backend_name": "file"})
    assert db.read(lambda s: types.extra_specs(s, t.id)) == {
        "multiattach": "<is> True", "volume_backend_name": "file"}
    assert db.read(lambda s: types.extra_specs(s, None)) == {}
